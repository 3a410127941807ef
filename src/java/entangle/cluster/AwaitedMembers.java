package entangle.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.ToLongFunction;

import com.hazelcast.cluster.Member;

/**
 * The members an evaluation's sharing waits for, and the line that names them once the wait
 * has lasted {@link #NOTICE_AFTER_MS}. An evaluation returns only once every member has its
 * definitions, so a member stopped with Ctrl-Z, paused at a breakpoint or gone with its
 * machine's network holds every evaluation in the cluster until the cluster leaves it out
 * (Hazelcast's heartbeat timeout): without a word, that looks like a REPL that hung.
 */
final class AwaitedMembers implements AutoCloseable {
    static final long NOTICE_AFTER_MS = 2_000;
    /** Silent for longer than this (twice the heartbeat interval entangle sets), a member is not answering. */
    private static final long SILENT_AFTER_MS = 2_000;
    private static final ScheduledThreadPoolExecutor TIMER = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "entangle-wait-notice");
        t.setDaemon(true);
        return t;
    });
    static {
        TIMER.setRemoveOnCancelPolicy(true); // one timer an evaluation, nearly all cancelled
    }

    /** How the cluster treats a member that does not answer, for the line. */
    record Limits(long noHeartbeatSeconds, long handOffTimeoutMs) {}

    private final Map<Member, Future<?>> members = new ConcurrentHashMap<>();
    private final Map<Set<String>, Map<String, String>> clients = new ConcurrentHashMap<>();
    private final ToLongFunction<Member> silentMs;
    private final Limits limits;
    private final ScheduledFuture<?> notice;

    /**
     * Starts the wait's clock; {@code notices} gets the line if the wait lasts (null: nobody is
     * told). {@code silentMs} gives how long a member has sent no heartbeat, or -1 where this
     * JVM cannot know (a client).
     */
    AwaitedMembers(Consumer<String> notices, ToLongFunction<Member> silentMs, Limits limits) {
        this.silentMs = silentMs;
        this.limits = limits;
        this.notice = notices == null ? null
            : TIMER.schedule(() -> tell(notices), NOTICE_AFTER_MS, TimeUnit.MILLISECONDS);
    }

    /** The member's answer is now awaited too. */
    void member(Member m, Future<?> answer) {
        members.put(m, answer);
    }

    /** The client members whose ids are in {@code waiting} (which the waiter empties as they answer) are awaited. */
    void clients(Set<String> waiting, Map<String, String> addresses) {
        clients.put(waiting, addresses);
    }

    private void tell(Consumer<String> notices) {
        List<String> silent = new ArrayList<>();
        List<String> slow = new ArrayList<>();
        long longestSilence = 0;
        for (Map.Entry<Member, Future<?>> e : members.entrySet()) {
            if (e.getValue().isDone()) continue;
            String address = e.getKey().getAddress().getHost() + ":" + e.getKey().getAddress().getPort();
            long silence = silentMs.applyAsLong(e.getKey());
            if (silence > SILENT_AFTER_MS) {
                silent.add(address);
                longestSilence = Math.max(longestSilence, silence);
            } else {
                slow.add(address);
            }
        }
        clients.forEach((waiting, addresses) -> {
            for (String id : waiting) slow.add(addresses.getOrDefault(id, "client " + id) + " (a client)");
        });
        if (!silent.isEmpty()) {
            boolean one = silent.size() == 1;
            notices.accept("waiting for " + (one ? "member " : "members ") + and(silent) + ", silent for "
                + TimeUnit.MILLISECONDS.toSeconds(longestSilence) + " s (stopped with Ctrl-Z, paused, or cut off):"
                + " the cluster leaves " + (one ? "it" : "them") + " out after " + limits.noHeartbeatSeconds()
                + " s of silence, and " + (one ? "it takes" : "they take") + " these definitions once back");
        }
        if (!slow.isEmpty()) {
            boolean one = slow.size() == 1;
            notices.accept("waiting for " + (one ? "member " : "members ") + and(slow) + " to apply these definitions ("
                + NOTICE_AFTER_MS / 1000 + " s so far): the evaluation goes on without " + (one ? "it" : "them")
                + " after " + TimeUnit.MILLISECONDS.toSeconds(limits.handOffTimeoutMs()) + " s at most, and "
                + (one ? "it reads" : "they read") + " them from the cluster's maps");
        }
    }

    /** "a", "a and b", "a, b and c", in order. */
    private static String and(List<String> addresses) {
        java.util.Collections.sort(addresses);
        if (addresses.size() == 1) return addresses.get(0);
        int last = addresses.size() - 1;
        return String.join(", ", addresses.subList(0, last)) + " and " + addresses.get(last);
    }

    /** The wait is over: no line if it has not been told yet. */
    @Override
    public void close() {
        if (notice != null) notice.cancel(false);
    }
}
