package entangle.hook;

import java.util.List;
import java.util.function.Consumer;

/**
 * The classpath loads ({@code RT.load}) as they complete, and whether one is in progress on
 * the current thread (classes compiled then belong to a classpath namespace).
 *
 * <p>A load is <em>implicit</em> when no user code asked for it: entangle's own, and those
 * Clojure's compiler makes for itself (clojure.spec.alpha and clojure.core.specs.alpha, for
 * checking macro calls, the first time it expands one). Every member's compiler makes the
 * latter when it needs them, so they are not shared: a joining member would load them for
 * nothing (half a second) before its prompt.
 */
public final class ResourceLoads {
    /** A completed load: the resource base ("my/lib") and whether it was implicit (not to be shared). */
    public record Load(String scriptbase, boolean implicit) {
        /** The name of the namespace the load is of ("my/some_lib" is my.some-lib). */
        public String namespace() {
            return scriptbase.replace('/', '.').replace('_', '-');
        }
    }

    private static final ThreadLocal<int[]> DEPTH = ThreadLocal.withInitial(() -> new int[1]);
    private static final ThreadLocal<Boolean> BY_ENTANGLE = ThreadLocal.withInitial(() -> false);
    /** The depth of the outermost load that Clojure's compiler made for itself, or 0. */
    private static final ThreadLocal<int[]> COMPILERS_FROM = ThreadLocal.withInitial(() -> new int[1]);
    private static final StackWalker STACK = StackWalker.getInstance();
    /** Told of each load as it completes, on the thread that made it. */
    private static volatile Consumer<Load> completed = load -> {};

    private ResourceLoads() {}

    // Public, and never throwing: called from clojure.lang.RT.load, another package (see ClojurePatch).
    public static void entered(String scriptbase) {
        try {
            int depth = ++DEPTH.get()[0];
            int[] compilers = COMPILERS_FROM.get();
            if (compilers[0] == 0 && scriptbase.startsWith("clojure/") && byCompiler()) compilers[0] = depth;
        } catch (Throwable t) {
            // the load goes on, unseen
        }
    }

    public static void exited(String scriptbase, boolean ok) {
        try {
            int depth = DEPTH.get()[0]--;
            int[] compilers = COMPILERS_FROM.get();
            boolean implicit = BY_ENTANGLE.get() || compilers[0] != 0;
            if (compilers[0] == depth) compilers[0] = 0;
            if (ok) completed.accept(new Load(scriptbase, implicit));
        } catch (Throwable t) {
            // the load goes on, unseen
        }
    }

    /** Whether the compiler is loading what it checks macro calls with (Compiler.ensureMacroCheck). */
    private static boolean byCompiler() {
        return STACK.walk(frames -> frames.anyMatch(f -> f.getMethodName().equals("ensureMacroCheck")
                                                        && f.getClassName().equals("clojure.lang.Compiler")));
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

    /**
     * Tells {@code listener} of every load as it completes, on the thread that made it and
     * before that thread goes on: what the namespace holds then is what the load made, before
     * the evaluation that asked for it (or the next one, after entangle's) changes anything
     * there. One listener at a time (a JVM is one member at most): it replaces the one before.
     */
    public static void onCompleted(Consumer<Load> listener) {
        completed = listener;
    }
}
