package entangle.hook;

import net.bytebuddy.asm.Advice;

/**
 * Inlined by Byte Buddy at the end of {@code clojure.lang.DynamicClassLoader.defineClass(String,
 * byte[], Object)}, the one method through which the Clojure compiler defines every class it
 * generates (fn, reify, deftype, defrecord, definterface, gen-interface, proxy).
 */
final class DefineClassAdvice {
    private DefineClassAdvice() {}

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void exit(@Advice.This ClassLoader loader,
                     @Advice.Argument(0) String name,
                     @Advice.Argument(1) byte[] bytes) {
        CapturedClasses.defined(loader, name, bytes);
    }
}
