package entangle.value;

import static entangle.value.UnshareableValueException.withArticle;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InvalidClassException;
import java.io.ObjectInputFilter;
import java.io.ObjectInputStream;
import java.io.ObjectStreamClass;
import java.io.StreamCorruptedException;

import entangle.RefusedException;
import entangle.unit.Units;

/**
 * Deserializes a value written by {@link ValueWriter} on any member: each class resolved by
 * its unit when it has one, by name otherwise, and nothing deserialized that a shared value
 * may not contain.
 */
public final class ValueReader extends ObjectInputStream {
    private static final long MAX_DEPTH = 20_000;
    /**
     * The largest value a member writes ({@link ValueWriter} refuses a larger one, so that no
     * member shares what the others refuse). The number of objects is bounded by it too: each
     * costs a byte of the stream at least, a null one included.
     */
    static final long MAX_BYTES = 512L << 20;

    private final Units units;
    /** The key of the var whose value this is, or null: a multimethod reads as its own var's anew (see MultiFns). */
    private final String varKey;
    private String rejected;
    private String rejectedWhy;
    /** Why the value as a whole was refused, past the bounds of a shared value (too deep, too large), or null. */
    private String outOfBounds;
    private RefusedException refusedUnit;

    private ValueReader(byte[] bytes, Units units, String varKey) throws IOException {
        super(new ByteArrayInputStream(bytes));
        this.units = units;
        this.varKey = varKey;
        setObjectInputFilter(this::check);
    }

    /** {@code bytes} as a message says it: in MiB from one MiB up. */
    static String size(long bytes) {
        return bytes >= 1 << 20 ? (bytes >> 20) + " MiB" : bytes + " bytes";
    }

    private static final ThreadLocal<ValueReader> READING = new ThreadLocal<>();

    /** The reader at work on this thread, for the objects it reads that resolve themselves ({@link FnValue}). */
    static ValueReader reading() {
        return READING.get();
    }

    String varKey() {
        return varKey;
    }

    /** The class {@code name} of unit {@code hash}, as a class descriptor's annotation resolves it. */
    Class<?> classInUnit(String hash, String name) throws IOException, ClassNotFoundException {
        try {
            return units.resolve(hash, name);
        } catch (RefusedException e) {
            refusedUnit = e;
            throw new InvalidClassException(name, e.getMessage());
        }
    }

    /** Reads what {@link ValueWriter#writeMeta} wrote: a map, or refused. */
    public static clojure.lang.IPersistentMap readMeta(byte[] bytes, Units units) throws RefusedException {
        Object v = read(bytes, units);
        if (!(v instanceof clojure.lang.IPersistentMap m)) {
            throw new RefusedException("its meta is a " + (v == null ? "nil" : v.getClass().getName()) + ", not a map");
        }
        return m;
    }

    /** Reads a value, or refuses it with a message that names the class at fault. */
    public static Object read(byte[] bytes, Units units) throws RefusedException {
        return read(bytes, units, null);
    }

    /** As {@link #read(byte[], Units)}, for the value of the var {@code varKey} ("ns/name"). */
    public static Object read(byte[] bytes, Units units, String varKey) throws RefusedException {
        // A read inside a read: the outermost one handles a value too deep for its thread.
        if (READING.get() != null) return readValue(bytes, units, varKey);
        try {
            return readValue(bytes, units, varKey);
        } catch (StackOverflowError e) {
            // Its writer had more stack than this thread (a REPL's main thread, say, and one of
            // Hazelcast's here): read again on a thread with the stack it takes.
            return readOnDeepStack(bytes, units, varKey);
        }
    }

    private static Object readOnDeepStack(byte[] bytes, Units units, String varKey) throws RefusedException {
        try {
            return DeepStack.run("entangle-deep-read", () -> readValue(bytes, units, varKey));
        } catch (StackOverflowError e) {
            throw new RefusedException("it is nested too deeply for this member to read", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RefusedException("reading it was interrupted", e);
        } catch (RefusedException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e); // readValue throws no other
        }
    }

    private static Object readValue(byte[] bytes, Units units, String varKey) throws RefusedException {
        if (bytes != null && bytes.length > 0 && bytes[0] == PlainData.DATA) {
            try {
                return PlainData.read(bytes);
            } catch (RuntimeException e) {
                throw new RefusedException("its bytes are not a value this member can read (" + e + ")", e);
            }
        }
        if (bytes != null && bytes.length > 0 && bytes[0] == FnValue.DIRECT) {
            try {
                return FnValue.readDirect(bytes, units);
            } catch (RefusedException e) {
                throw e;
            } catch (ClassNotFoundException e) {
                throw RefusedException.lacking(e.getMessage(), e);
            } catch (NoClassDefFoundError | ExceptionInInitializerError e) {
                // A fn's class that names a class this member lacks as a constant ((make-array
                // Pair 2)) resolves it as it is initialized.
                throw lacking(e);
            } catch (IOException | InstantiationException | RuntimeException e) {
                throw new RefusedException("its bytes are not a value this member can read (" + e + ")", e);
            }
        }
        ValueReader in = null;
        ValueReader outer = READING.get();
        try {
            in = new ValueReader(bytes, units, varKey);
            READING.set(in);
            Object v = in.readObject();
            if (in.read() != -1) throw new StreamCorruptedException("trailing bytes after the value");
            return v;
        } catch (ClassNotFoundException e) {
            throw RefusedException.lacking(e.getMessage(), e);
        } catch (NoClassDefFoundError | ExceptionInInitializerError e) {
            // A class of the value's, defined here, whose own superclass or interface is missing,
            // or that names one as a constant.
            throw lacking(e);
        } catch (IOException | RuntimeException e) {
            if (in != null && in.refusedUnit != null) throw new RefusedException(in.refusedUnit.getMessage(), in.refusedUnit);
            if (in != null && in.outOfBounds != null) throw new RefusedException(in.outOfBounds, e);
            if (in != null && in.rejected != null) {
                throw new RefusedException("it holds " + withArticle(in.rejected) + ", which a shared value may not contain"
                                           + (in.rejectedWhy == null ? "" : " (" + in.rejectedWhy + ")"), e);
            }
            throw new RefusedException("its bytes are not a value this member can read (" + e + ")", e);
        } finally {
            if (outer == null) READING.remove();
            else READING.set(outer);
            if (in != null) try { in.close(); } catch (IOException ignored) { }
        }
    }

    /** {@code e} as the refusal of a value that needs a class this member lacks; else {@code e} itself. */
    private static RefusedException lacking(LinkageError e) {
        String name = RefusedException.lackedClassOf(e);
        if (name == null) throw e;
        return RefusedException.lacking(name, e);
    }

    @Override
    protected Class<?> resolveClass(ObjectStreamClass desc) throws IOException, ClassNotFoundException {
        return resolveOrigin(desc.getName());
    }

    /** Reads what {@link ValueWriter#writeClassName} wrote: the class, loaded without being initialized. */
    Class<?> readClassName() throws IOException, ClassNotFoundException {
        return resolveOrigin(readUTF());
    }

    /** The class {@code name}, from where the writer said it comes from: its unit, or by name. */
    private Class<?> resolveOrigin(String name) throws IOException, ClassNotFoundException {
        int tag = readByte();
        switch (tag) {
            case ValueWriter.BY_NAME:
                Class<?> primitive = PRIMITIVES.get(name);
                return primitive != null ? primitive : Units.byNameAsLoaded(name);
            case ValueWriter.IN_UNIT:
                return classInUnit(readUTF(), name);
            default:
                throw new StreamCorruptedException("unknown class annotation " + tag);
        }
    }

    /** Primitive types by name: a class as a value may be one ({@code Long/TYPE}). */
    private static final java.util.Map<String, Class<?>> PRIMITIVES = java.util.Map.of(
        "boolean", boolean.class, "byte", byte.class, "char", char.class, "short", short.class, "int", int.class,
        "long", long.class, "float", float.class, "double", double.class, "void", void.class);

    @Override
    protected Class<?> resolveProxyClass(String[] interfaces) throws IOException {
        rejected = "java.lang.reflect.Proxy";
        throw new InvalidClassException("java.lang.reflect.Proxy", "proxies are not shareable");
    }

    private ObjectInputFilter.Status check(ObjectInputFilter.FilterInfo info) {
        if (info.depth() > MAX_DEPTH) {
            outOfBounds = "it is nested more than " + MAX_DEPTH + " deep, deeper than a shared value may be";
            return ObjectInputFilter.Status.REJECTED;
        }
        if (info.streamBytes() > MAX_BYTES) {
            outOfBounds = "it is larger than a shared value may be: more than " + size(MAX_BYTES) + " serialized";
            return ObjectInputFilter.Status.REJECTED;
        }
        Class<?> c = info.serialClass();
        if (c == null) return ObjectInputFilter.Status.ALLOWED;
        Class<?> e = c;
        while (e.isArray()) e = e.getComponentType();
        if (Units.fromUnit(e) || ShareableClasses.allowed(e)) return ObjectInputFilter.Status.ALLOWED;
        rejected = c.getName();
        rejectedWhy = ShareableClasses.notNamed("this member's ", e);
        return ObjectInputFilter.Status.REJECTED;
    }
}
