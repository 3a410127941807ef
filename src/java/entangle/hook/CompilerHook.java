package entangle.hook;

import java.lang.instrument.Instrumentation;
import java.lang.instrument.UnmodifiableClassException;

import clojure.asm.ClassWriter;
import clojure.asm.Opcodes;
import net.bytebuddy.agent.ByteBuddyAgent;

/**
 * Patches stock Clojure at run time: attaches an agent to this JVM (Byte Buddy's agent
 * attacher) and retransforms {@code clojure.lang.DynamicClassLoader} and {@code clojure.lang.RT}
 * (see {@link ClojurePatch}) so that every class the compiler defines is captured with its
 * bytes. No fork of Clojure, no copy of its classes: two methods get calls to entangle,
 * nothing else changes.
 */
public final class CompilerHook {
    private static boolean installed;

    private CompilerHook() {}

    /** Installs the hook once per JVM; later calls do nothing. */
    public static synchronized void install() {
        if (installed) return;
        Class<?> dcl = clojureClass("clojure.lang.DynamicClassLoader");
        Class<?> rt = clojureClass("clojure.lang.RT");
        if (!canSee(dcl.getClassLoader(), CapturedClasses.class)) {
            throw new IllegalStateException("entangle must be loaded by the class loader that loads Clojure ("
                + dcl.getClassLoader() + "), so that the compiler hook can call it");
        }
        Instrumentation inst;
        try {
            inst = ByteBuddyAgent.install();
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot attach the compiler hook to this JVM (a JDK, not a JRE, is needed;"
                + " or start it with -Djdk.attach.allowAttachSelf=true): " + e.getMessage(), e);
        }
        // The transformer stays: another agent's retransformation of these classes keeps the patch.
        ClojurePatch patch = new ClojurePatch();
        inst.addTransformer(patch, true);
        try {
            inst.retransformClasses(dcl, rt);
        } catch (UnmodifiableClassException | RuntimeException | LinkageError e) {
            inst.removeTransformer(patch);
            throw new IllegalStateException("the compiler hook could not patch " + dcl.getName() + " and " + rt.getName()
                + ": " + e, e);
        }
        if (!patch.errors().isEmpty() || !patch.patched().contains(ClojurePatch.LOADER)
            || !patch.patched().contains(ClojurePatch.RT)) {
            inst.removeTransformer(patch);
            IllegalStateException e = new IllegalStateException(
                "the compiler hook could not patch " + dcl.getName() + " and " + rt.getName()
                + " (patched: " + patch.patched() + ")");
            patch.errors().forEach(e::addSuppressed);
            throw e;
        }
        CapturedClasses.start();
        selfTest(dcl);
        installed = true;
    }

    /**
     * Defines one class through a fresh DynamicClassLoader and checks it was captured: the
     * patch's calls fail silently by design (they must never break the compiler), so a hook
     * that does not capture is found here, at start, and not by a user whose definitions never
     * travel.
     */
    private static void selfTest(Class<?> dcl) {
        String name = "entangle.hook.SelfTest" + System.nanoTime();
        ClassWriter w = new ClassWriter(0);
        w.visit(Opcodes.V1_8, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, name.replace('.', '/'), null, "java/lang/Object", null);
        w.visitEnd();
        byte[] bytes = w.toByteArray();
        try {
            ClassLoader loader = (ClassLoader) dcl.getConstructor(ClassLoader.class)
                .newInstance(CompilerHook.class.getClassLoader());
            dcl.getMethod("defineClass", String.class, byte[].class, Object.class).invoke(loader, name, bytes, null);
            CapturedClasses.LoaderClasses captured = CapturedClasses.of(loader);
            if (captured == null || captured.size() != 1) {
                throw new IllegalStateException("the compiler hook is in place but captured nothing");
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the compiler hook's self-test failed: " + e, e);
        }
    }

    private static Class<?> clojureClass(String name) {
        try {
            return Class.forName(name, false, CompilerHook.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("Clojure is not on the classpath: " + name + " is missing", e);
        }
    }

    private static boolean canSee(ClassLoader loader, Class<?> c) {
        try {
            return Class.forName(c.getName(), false, loader) == c;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }
}
