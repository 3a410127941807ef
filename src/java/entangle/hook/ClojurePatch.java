package entangle.hook;

import java.lang.instrument.ClassFileTransformer;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import clojure.asm.ClassReader;
import clojure.asm.ClassVisitor;
import clojure.asm.ClassWriter;
import clojure.asm.Label;
import clojure.asm.MethodVisitor;
import clojure.asm.Opcodes;

/**
 * The two changes the compiler hook makes to stock Clojure, as a class file transformer that
 * rewrites {@code clojure.lang.DynamicClassLoader} and {@code clojure.lang.RT} with Clojure's
 * own ASM; every other class passes untouched, unparsed. Only calls (and, in RT.load, one
 * exception handler around the body) are added, no method or field, so the classes can be
 * retransformed while they are in use:
 *
 * <ul>
 *   <li>{@code DynamicClassLoader.defineClass(String, byte[], Object)}, through which the
 *       compiler defines every class it generates, calls {@link CapturedClasses#defined} with
 *       the loader, the name and the bytes before it returns;
 *   <li>{@code RT.load(String, boolean)}, through which require, use and load read a namespace
 *       from the classpath, calls {@link ResourceLoads#entered} first and
 *       {@link ResourceLoads#exited} on the way out, returning or throwing.
 * </ul>
 *
 * Both entangle methods catch everything, so a failure in entangle never breaks the compiler.
 * (A hand-written visitor, not an agent library's: Byte Buddy's agent builder and advice cost
 * a member's start about 0.4 s of wall time and 0.7 s of CPU, for these two insertions.)
 */
final class ClojurePatch implements ClassFileTransformer {
    static final String LOADER = "clojure/lang/DynamicClassLoader";
    static final String RT = "clojure/lang/RT";
    private static final String CAPTURED = "entangle/hook/CapturedClasses";
    private static final String LOADS = "entangle/hook/ResourceLoads";

    private final List<String> patched = Collections.synchronizedList(new ArrayList<>());
    private final List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());

    /** The classes patched so far, as internal names. */
    List<String> patched() {
        return List.copyOf(patched);
    }

    /** What went wrong patching, if anything. */
    List<Throwable> errors() {
        return List.copyOf(errors);
    }

    @Override
    public byte[] transform(Module module, ClassLoader loader, String name, Class<?> redefined,
                            ProtectionDomain domain, byte[] bytes) {
        if (!LOADER.equals(name) && !RT.equals(name)) return null;
        try {
            byte[] out = patch(name, bytes);
            patched.add(name);
            return out;
        } catch (Throwable t) {
            errors.add(t);
            return null;
        }
    }

    private static byte[] patch(String className, byte[] bytes) {
        ClassReader reader = new ClassReader(bytes);
        // Given the reader, the writer copies every method this visitor leaves alone as it is.
        ClassWriter writer = new ClassWriter(reader, ClassWriter.COMPUTE_MAXS);
        int[] found = new int[1];
        reader.accept(new ClassVisitor(Opcodes.ASM6, writer) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String desc, String signature, String[] exceptions) {
                MethodVisitor mv = super.visitMethod(access, name, desc, signature, exceptions);
                if (className.equals(LOADER) && name.equals("defineClass")
                    && desc.equals("(Ljava/lang/String;[BLjava/lang/Object;)Ljava/lang/Class;")) {
                    found[0]++;
                    return new CaptureDefinedClass(mv);
                }
                if (className.equals(RT) && name.equals("load") && desc.equals("(Ljava/lang/String;Z)V")) {
                    found[0]++;
                    return new TrackResourceLoad(mv);
                }
                return mv;
            }
        }, 0);
        if (found[0] != 1) throw new IllegalStateException(className + " has no method to patch (found " + found[0] + ")");
        return writer.toByteArray();
    }

    /** Before each return of defineClass: CapturedClasses.defined(this, name, bytes). */
    private static final class CaptureDefinedClass extends MethodVisitor {
        CaptureDefinedClass(MethodVisitor mv) {
            super(Opcodes.ASM6, mv);
        }

        @Override
        public void visitInsn(int opcode) {
            if (opcode == Opcodes.ARETURN) {
                super.visitVarInsn(Opcodes.ALOAD, 0);
                super.visitVarInsn(Opcodes.ALOAD, 1);
                super.visitVarInsn(Opcodes.ALOAD, 2);
                super.visitMethodInsn(Opcodes.INVOKESTATIC, CAPTURED, "defined",
                                      "(Ljava/lang/ClassLoader;Ljava/lang/String;[B)V", false);
            }
            super.visitInsn(opcode);
        }
    }

    /**
     * ResourceLoads.entered(scriptbase) first; exited(scriptbase, true) before each return; and
     * a handler around the whole body, last in the exception table so that the method's own
     * handlers come first, that calls exited(scriptbase, false) and rethrows.
     */
    private static final class TrackResourceLoad extends MethodVisitor {
        private final Label body = new Label();
        private final Label thrown = new Label();

        TrackResourceLoad(MethodVisitor mv) {
            super(Opcodes.ASM6, mv);
        }

        @Override
        public void visitCode() {
            super.visitCode();
            super.visitVarInsn(Opcodes.ALOAD, 0);
            super.visitMethodInsn(Opcodes.INVOKESTATIC, LOADS, "entered", "(Ljava/lang/String;)V", false);
            super.visitLabel(body);
        }

        @Override
        public void visitInsn(int opcode) {
            if (opcode == Opcodes.RETURN) exited(true);
            super.visitInsn(opcode);
        }

        @Override
        public void visitMaxs(int maxStack, int maxLocals) {
            super.visitTryCatchBlock(body, thrown, thrown, null);
            super.visitLabel(thrown);
            // The arguments (scriptbase, failIfNotFound) are never reassigned in the method.
            super.visitFrame(Opcodes.F_FULL, 2, new Object[] {"java/lang/String", Opcodes.INTEGER},
                             1, new Object[] {"java/lang/Throwable"});
            exited(false);
            super.visitInsn(Opcodes.ATHROW);
            super.visitMaxs(maxStack, maxLocals);
        }

        private void exited(boolean ok) {
            super.visitVarInsn(Opcodes.ALOAD, 0);
            super.visitInsn(ok ? Opcodes.ICONST_1 : Opcodes.ICONST_0);
            super.visitMethodInsn(Opcodes.INVOKESTATIC, LOADS, "exited", "(Ljava/lang/String;Z)V", false);
        }
    }
}
