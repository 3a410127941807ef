package entangle.value;

import java.util.concurrent.Callable;

/**
 * Work on a value nested more deeply than the calling thread's stack can follow, done again on
 * a thread of its own with the stack it takes: reserved, and committed only as it is used. A
 * REPL's main thread, one of nREPL's or one of Hazelcast's each have the stack the JVM gives
 * them, and how deep that reaches moves with the JIT.
 */
final class DeepStack {
    private static final long SIZE = 512L * 1024 * 1024;

    private DeepStack() {}

    /**
     * What {@code work} returns, run on a thread named {@code name} with a deep stack; what it
     * throws is thrown here, a StackOverflowError included (deeper than even that stack).
     */
    static <T> T run(String name, Callable<T> work) throws Exception {
        return run(name, SIZE, work);
    }

    /** As {@link #run(String, Callable)}, with {@code stack} bytes of stack (the JVM rounds a small one up). */
    static <T> T run(String name, long stack, Callable<T> work) throws Exception {
        Object[] outcome = new Object[2];
        Thread t = new Thread(null, () -> {
            try {
                outcome[0] = work.call();
            } catch (Throwable e) {
                outcome[1] = e;
            }
        }, name, stack);
        t.start();
        t.join();
        if (outcome[1] instanceof Exception e) throw e;
        if (outcome[1] instanceof Error e) throw e;
        @SuppressWarnings("unchecked")
        T value = (T) outcome[0];
        return value;
    }
}
