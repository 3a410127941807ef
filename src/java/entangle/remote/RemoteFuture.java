package entangle.remote;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import clojure.lang.IPending;

import entangle.cluster.Cancels;

/**
 * The result of a fn sent to one member: a {@link CompletableFuture}, and for Clojure a future
 * as {@code future} makes one (deref, deref with a timeout, realized?, future-cancel,
 * future-done?). It completes with the fn's value, or with a {@link RemoteException} naming the
 * member (which {@code get} and deref throw wrapped in an ExecutionException, as for any
 * future). {@link #cancel} cancels the call on its member too, interrupting it if it is running.
 */
public final class RemoteFuture extends CompletableFuture<Object> implements IPending {
    private static final ScheduledExecutorService TIMER = timer();

    private final String member;
    private volatile Future<?> call;

    RemoteFuture(String member) {
        this.member = member;
    }

    void runningAs(Future<?> call) {
        this.call = call;
        if (isCancelled()) Cancels.send(call);
    }

    /** The address (host:port) of the member the fn was sent to. */
    public String member() { return member; }

    /** Cancels the call here and on its member, where it is interrupted if it is running. */
    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        boolean cancelled = super.cancel(mayInterruptIfRunning);
        Future<?> c = call;
        if (cancelled && c != null) Cancels.send(c);
        return cancelled;
    }

    /**
     * Gives the call {@code timeout}: if no result has come by then, it is cancelled on its
     * member and this future completes with a {@link TimeoutException} that names the member.
     * Returns this future.
     */
    public RemoteFuture withTimeout(long timeout, TimeUnit unit) {
        if (timeout <= 0) throw new IllegalArgumentException("timeout " + timeout + " is not positive");
        java.util.concurrent.ScheduledFuture<?> timer = TIMER.schedule(() -> {
            if (isDone()) return;
            if (completeExceptionally(new TimeoutException("no result from member " + member + " within "
                + unit.toMillis(timeout) + " ms; the call was cancelled there"))) {
                Future<?> c = call;
                if (c != null) Cancels.send(c);
            }
        }, timeout, unit);
        whenComplete((v, t) -> timer.cancel(false));
        return this;
    }

    @Override
    public boolean isRealized() {
        return isDone();
    }

    @Override
    public String toString() {
        String state = isCancelled() ? "cancelled" : isCompletedExceptionally() ? "failed" : isDone() ? "done" : "pending";
        return "#<RemoteFuture on " + member + " " + state + ">";
    }

    private static ScheduledExecutorService timer() {
        ScheduledThreadPoolExecutor t = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "entangle-remote-timeouts");
            th.setDaemon(true);
            return th;
        });
        t.setRemoveOnCancelPolicy(true);
        return t;
    }
}
