package entangle.hook;

import net.bytebuddy.asm.Advice;

/**
 * Inlined by Byte Buddy into {@code clojure.lang.RT.load(String, boolean)}, through which
 * {@code require}, {@code use} and {@code load} read a namespace from the classpath. A
 * namespace loaded this way is shared as the fact of its loading, not by its values.
 */
final class ResourceLoadAdvice {
    private ResourceLoadAdvice() {}

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void enter(@Advice.Argument(0) String scriptbase) {
        ResourceLoads.entered(scriptbase);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    static void exit(@Advice.Argument(0) String scriptbase, @Advice.Thrown Throwable thrown) {
        ResourceLoads.exited(scriptbase, thrown == null);
    }
}
