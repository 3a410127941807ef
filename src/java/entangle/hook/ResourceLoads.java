package entangle.hook;

import java.util.ArrayList;
import java.util.List;

/**
 * The classpath loads ({@code RT.load}) that completed since they were last drained, and
 * whether one is in progress on the current thread (classes compiled then belong to a
 * classpath namespace).
 */
public final class ResourceLoads {
    /** A completed load: the resource base ("my/lib") and whether entangle itself caused it. */
    public record Load(String scriptbase, boolean byEntangle) {}

    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);
    private static final ThreadLocal<Boolean> BY_ENTANGLE = ThreadLocal.withInitial(() -> false);
    private static final List<Load> COMPLETED = new ArrayList<>();

    private ResourceLoads() {}

    // Public, and never throwing: called from clojure.lang.RT.load, another package (see ClojurePatch).
    public static void entered(String scriptbase) {
        try {
            DEPTH.get()[0]++;
        } catch (Throwable t) {
            // the load goes on, unseen
        }
    }

    public static void exited(String scriptbase, boolean ok) {
        try {
            DEPTH.get()[0]--;
            if (ok) {
                synchronized (COMPLETED) {
                    COMPLETED.add(new Load(scriptbase, BY_ENTANGLE.get()));
                }
            }
        } catch (Throwable t) {
            // the load goes on, unseen
        }
    }

    /** True while a classpath load runs on this thread. */
    public static boolean inProgress() {
        return DEPTH.get()[0] > 0;
    }

    /** Runs {@code body} with the loads it causes marked as entangle's own (not to be published). */
    public static void byEntangle(Runnable body) {
        boolean outer = BY_ENTANGLE.get();
        BY_ENTANGLE.set(true);
        try {
            body.run();
        } finally {
            BY_ENTANGLE.set(outer);
        }
    }

    /** The loads completed since the last call, oldest first. */
    public static List<Load> drain() {
        synchronized (COMPLETED) {
            List<Load> out = new ArrayList<>(COMPLETED);
            COMPLETED.clear();
            return out;
        }
    }
}
