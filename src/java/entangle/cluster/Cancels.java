package entangle.cluster;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Cancels code sent to a member (an executor's task) without waiting for the member:
 * Hazelcast's cancel waits for the member's answer, which a member stopped with Ctrl-Z or at
 * a breakpoint gives only once the cluster has left it out (8 s), and whoever cancels (a
 * future-cancel, a timeout, an interrupted entangle/eval-on) is answered at once.
 */
public final class Cancels {
    private static final ExecutorService SENDERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "entangle-cancels");
        t.setDaemon(true);
        return t;
    });

    private Cancels() {}

    /** Sends the cancel of {@code task}, interrupting it where it runs, on a thread of its own. */
    public static void send(Future<?> task) {
        SENDERS.execute(() -> {
            try {
                task.cancel(true);
            } catch (RuntimeException e) {
                // the member is gone: nothing runs there any more
            }
        });
    }
}
