package entangle.cluster;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Waits for a Hazelcast future as an interrupt can end the wait. Hazelcast's own {@code get}
 * parks again when its thread is interrupted and keeps the interrupt for later, so an
 * evaluation that waits for a member that does not answer (stopped with Ctrl-Z, say) went on
 * waiting through nREPL's interrupt, a cancelled {@code entangle/eval-on} or a Java host's
 * {@code Future.cancel(true)}, until the cluster left the member out; nREPL then stopped its
 * thread ({@code Thread.stop}) wherever it was.
 */
public final class InterruptibleWait {
    /** How late an interrupt is seen at most; a future done earlier returns at once. */
    private static final long SLICE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private InterruptibleWait() {}

    /** {@code f.get()}, which an interrupt ends with InterruptedException (the interrupt cleared, as the JDK's). */
    public static <T> T get(Future<T> f) throws InterruptedException, ExecutionException {
        while (true) {
            try {
                return slice(f, SLICE_NANOS);
            } catch (TimeoutException e) {
                // not done yet: wait another slice
            }
        }
    }

    /** {@code f.get(timeout, unit)}, which an interrupt ends with InterruptedException. */
    public static <T> T get(Future<T> f, long timeout, TimeUnit unit)
            throws InterruptedException, ExecutionException, TimeoutException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (true) {
            long left = deadline - System.nanoTime();
            try {
                return slice(f, Math.max(0, Math.min(left, SLICE_NANOS)));
            } catch (TimeoutException e) {
                if (deadline - System.nanoTime() <= 0) throw e;
            }
        }
    }

    /** One slice of the wait; an interrupt, seen when the slice ends without a value, ends the wait. */
    private static <T> T slice(Future<T> f, long nanos) throws InterruptedException, ExecutionException, TimeoutException {
        try {
            return f.get(nanos, TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            if (Thread.interrupted()) throw new InterruptedException();
            throw e;
        }
    }
}
