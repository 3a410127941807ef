package entangle.cluster;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * The caller's side of code evaluated on members ({@link RemoteEval}): each member's result
 * is reported as it comes, in the order they come, so that one slow or stopped member does
 * not hold back the others'. A member with no result by the deadline, or when the caller is
 * interrupted, has its evaluation cancelled, and is reported as such.
 */
final class EvalOn {
    private EvalOn() {}

    /** What {@code arrived} holds once the caller asks to stop waiting (a stop completed). */
    private static final Map.Entry<String, Map<String, String>> STOPPED = Map.entry("", Map.of());

    /**
     * Waits for {@code results} (by member address) until {@code timeoutMs} has passed,
     * giving each to {@code each} (on this thread) as it comes; returns them all, in that
     * order. An interrupt ends the wait at once: the rest are cancelled and reported as
     * interrupted, and the thread's interrupt flag is set again for the caller. {@code stop}
     * (null: none), once complete, does the same without an interrupt.
     */
    static Map<String, Map<String, String>> collect(Map<String, Future<HashMap<String, String>>> results, long timeoutMs,
                                                    BiConsumer<String, Map<String, String>> each,
                                                    CompletionStage<?> stop) {
        BlockingQueue<Map.Entry<String, Map<String, String>>> arrived = new LinkedBlockingQueue<>();
        results.forEach((address, f) -> stage(f).whenCompleteAsync(
            (v, t) -> arrived.add(Map.entry(address, t == null ? v : failed(t, address))), Runnable::run));
        if (stop != null) stop.whenComplete((v, t) -> arrived.add(STOPPED));
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        boolean interrupted = false;
        boolean stopped = false;
        try {
            while (out.size() < results.size()) {
                Map.Entry<String, Map<String, String>> r = arrived.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (r == null) break;
                if (r == STOPPED) {
                    stopped = true;
                    break;
                }
                out.put(r.getKey(), r.getValue());
                each.accept(r.getKey(), r.getValue());
            }
        } catch (InterruptedException e) {
            interrupted = true;
        }
        // Those that came as the wait ended are results, not timeouts.
        for (Map.Entry<String, Map<String, String>> r; (r = arrived.poll()) != null; ) {
            if (r == STOPPED) continue;
            out.put(r.getKey(), r.getValue());
            each.accept(r.getKey(), r.getValue());
        }
        for (Map.Entry<String, Future<HashMap<String, String>>> e : results.entrySet()) {
            String a = e.getKey();
            if (out.containsKey(a)) continue;
            Cancels.send(e.getValue());
            Map<String, String> r = interrupted || stopped
                ? Map.of("ex", "java.lang.InterruptedException",
                         "err", "interrupted before member " + a + " answered; the evaluation was cancelled there")
                : Map.of("ex", "java.util.concurrent.TimeoutException",
                         "err", "no result from member " + a + " within " + timeoutMs + " ms; the evaluation was cancelled there");
            out.put(a, r);
            each.accept(a, r);
        }
        if (interrupted) Thread.currentThread().interrupt();
        return out;
    }

    /**
     * The future as a stage to wait on (Hazelcast 5's executor futures are CompletableFutures),
     * so that waiting never calls Hazelcast's own get: at a client, an interrupt completes the
     * future it waits on, and Hazelcast's cancel of an executor's task then does nothing (it
     * sends the member the cancel only for a future not done yet), so the evaluation would run
     * on there.
     */
    @SuppressWarnings("unchecked")
    private static <T> CompletionStage<T> stage(Future<T> f) {
        return (CompletionStage<T>) f;
    }

    private static Map<String, String> failed(Throwable t, String address) {
        Throwable c = t;
        while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) c = c.getCause();
        HazelcastCluster.Left left = HazelcastCluster.whoLeft(t);
        String err = left == HazelcastCluster.Left.THAT_MEMBER
            ? "member " + address + " left the cluster before it answered (the code may have run there in part)"
            : left == HazelcastCluster.Left.THIS_MEMBER
                ? "this member left the cluster before member " + address + " answered"
                : "member " + address + " failed: " + c.getMessage();
        return Map.of("ex", c.getClass().getName(), "err", err);
    }
}
