package entangle.hook;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.List;

import net.bytebuddy.agent.ByteBuddyAgent;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.utility.JavaModule;

import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

/**
 * Patches stock Clojure at run time: attaches an agent to this JVM (Byte Buddy's) and
 * retransforms {@code clojure.lang.DynamicClassLoader} and {@code clojure.lang.RT} so that
 * every class the compiler defines is captured with its bytes. No fork of Clojure, no copy of
 * its classes: the two methods get a call to entangle at their end, nothing else changes.
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
        List<String> transformed = new ArrayList<>();
        List<Throwable> errors = new ArrayList<>();
        ClassFileTransformer patch = new AgentBuilder.Default()
            .disableClassFormatChanges()
            .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
            .with(AgentBuilder.InitializationStrategy.NoOp.INSTANCE)
            .with(AgentBuilder.TypeStrategy.Default.REDEFINE)
            .with(new AgentBuilder.Listener.Adapter() {
                @Override
                public void onTransformation(TypeDescription type, ClassLoader loader, JavaModule module,
                                             boolean loaded, DynamicType dynamicType) {
                    transformed.add(type.getName());
                }

                @Override
                public void onError(String typeName, ClassLoader loader, JavaModule module,
                                    boolean loaded, Throwable throwable) {
                    errors.add(throwable);
                }
            })
            .type(named(dcl.getName()).or(named(rt.getName())))
            .transform((builder, type, loader, module, domain) -> builder
                .visit(Advice.to(DefineClassAdvice.class)
                    .on(named("defineClass").and(takesArguments(String.class, byte[].class, Object.class))))
                .visit(Advice.to(ResourceLoadAdvice.class)
                    .on(named("load").and(takesArguments(String.class, boolean.class)))))
            .installOn(inst);
        onlyFor(inst, patch, dcl, rt);
        if (!errors.isEmpty() || !transformed.contains(dcl.getName()) || !transformed.contains(rt.getName())) {
            IllegalStateException e = new IllegalStateException(
                "the compiler hook could not patch " + dcl.getName() + " and " + rt.getName()
                + " (patched: " + transformed + ")");
            errors.forEach(e::addSuppressed);
            throw e;
        }
        CapturedClasses.start();
        selfTest(dcl);
        installed = true;
    }

    /**
     * Leaves {@code patch} in place for a later retransformation of {@code patched} (another
     * agent's), but no longer in the way of every other class: Byte Buddy's transformer parses
     * each class the JVM loads to match it, and a member loads one or more per definition (ten
     * thousand when it joins a cluster that holds ten thousand).
     */
    private static void onlyFor(Instrumentation inst, ClassFileTransformer patch, Class<?>... patched) {
        java.util.Set<String> names = new java.util.HashSet<>();
        for (Class<?> c : patched) names.add(c.getName().replace('.', '/'));
        inst.removeTransformer(patch);
        inst.addTransformer(new ClassFileTransformer() {
            @Override
            public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined,
                                    java.security.ProtectionDomain domain, byte[] bytes)
                    throws java.lang.instrument.IllegalClassFormatException {
                return names.contains(name) ? patch.transform(module, loader, name, redefined, domain, bytes) : null;
            }
        }, true);
    }

    /**
     * Defines one class through a fresh DynamicClassLoader and checks it was captured: the
     * advice fails silently by design (it must never break the compiler), so a hook that does
     * not capture is found here, at start, and not by a user whose definitions never travel.
     */
    private static void selfTest(Class<?> dcl) {
        String name = "entangle.hook.SelfTest" + System.nanoTime();
        byte[] bytes = new net.bytebuddy.ByteBuddy().subclass(Object.class).name(name).make().getBytes();
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
