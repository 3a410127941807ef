package entangle.value;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import entangle.sharing.Unshared;
import entangle.unit.Unit;
import entangle.unit.Units;

/**
 * Serializes a value for the cluster, annotating every class in it with where its bytes come
 * from (as RMI annotates with a codebase): a class compiled by a DynamicClassLoader with its
 * unit, so that the reader runs exactly this member's bytecode; any other class with its name
 * only, after checking it is one a shared value may contain.
 */
public final class ValueWriter extends ObjectOutputStream {
    static final int BY_NAME = 0;
    static final int IN_UNIT = 1;

    // Classes named by a per-JVM counter ("ns$f$fn__1234", "ns$eval1234") cannot be found by
    // name on another member; "ns$f" can.
    private static final Pattern COUNTER_NAMED = Pattern.compile(".*(__\\d+|\\$eval\\d+).*");

    /** A serialized value and the units its classes come from (with the units they nest in). */
    public record Written(byte[] bytes, Set<Unit> units) {}

    private final Units units;
    private final Set<Unit> referenced = new LinkedHashSet<>();
    // The first refusal. ObjectOutputStream reacts to an exception by writing it into the
    // stream, which annotates its class too; that write must not replace the real reason.
    private UnshareableValueException refused;

    private ValueWriter(OutputStream out, Units units) throws IOException {
        super(out);
        this.units = units;
        enableReplaceObject(true);
    }

    /**
     * Writes Clojure's value types in their portable form, and refuses what cannot be
     * serialized before ObjectOutputStream does, keeping its type.
     */
    @Override
    protected Object replaceObject(Object obj) throws IOException {
        if (refused != null || obj == null) return obj;
        if (obj instanceof Unshared u) {
            // Refused with the type it stands for: the placeholder's own class is not what the user made.
            throw refuse(new UnshareableValueException(u.type(), u.whyNotShared()));
        }
        FnValue fn = FnValue.of(obj, units, referenced);
        if (fn != null) return fn;
        try {
            Object portable = Portable.of(obj);
            if (portable != obj) return portable;
            if (Instance.applies(obj)) return Instance.of(obj);
        } catch (UnshareableValueException e) {
            throw refuse(e);
        }
        if (obj instanceof clojure.lang.Atom) {
            throw refuse(new UnshareableValueException("clojure.lang.Atom",
                "inside a fn or a collection; only an atom a var holds itself becomes a cluster atom"));
        }
        if (!(obj instanceof java.io.Serializable)) {
            throw refuse(new UnshareableValueException(UnshareableValueException.friendlyName(obj.getClass()), null));
        }
        return obj;
    }

    /**
     * Serializes a var's or namespace's meta: as {@link PlainData} when it is plain data, which a
     * joining member reads many times quicker than a Java deserialization (read it with
     * {@link ValueReader#readMeta}); else as {@link #write} does.
     */
    public static Written writeMeta(clojure.lang.IPersistentMap meta, Units units) throws UnshareableValueException {
        byte[] data = PlainData.writeMeta(meta);
        if (data != null) return new Written(data, new LinkedHashSet<>());
        return write(meta, units);
    }

    /** Serializes {@code value}, or says which type in it cannot travel. */
    public static Written write(Object value, Units units) throws UnshareableValueException {
        return write(value, units, ValueReader.MAX_BYTES);
    }

    /** As {@link #write(Object, Units)}, refusing a value that takes more than {@code maxBytes}. */
    static Written write(Object value, Units units, long maxBytes) throws UnshareableValueException {
        Set<Unit> direct = new LinkedHashSet<>();
        byte[] fn = FnValue.direct(value, units, direct);
        if (fn != null) return new Written(fn, direct);
        byte[] data = PlainData.write(value);
        if (data != null) return new Written(data, direct);
        Bounded bytes = new Bounded(maxBytes);
        ValueWriter out = null;
        try {
            out = new ValueWriter(bytes, units);
            out.writeObject(ClassRef.wrap(value));
            out.flush();
            return new Written(bytes.toByteArray(), out.referenced);
        } catch (UnshareableValueException e) {
            throw out != null && out.refused != null ? out.refused : e;
        } catch (Bounded.Exceeded e) {
            throw new UnshareableValueException(UnshareableValueException.friendlyName(value.getClass()),
                "it is larger than a shared value may be: more than " + ValueReader.size(maxBytes) + " serialized");
        } catch (NotSerializableException e) {
            throw new UnshareableValueException(e.getMessage(), null);
        } catch (StackOverflowError e) {
            throw new UnshareableValueException(UnshareableValueException.friendlyName(value.getClass()),
                                                "it is nested too deeply to serialize");
        } catch (IOException | RuntimeException e) {
            throw new UnshareableValueException(value.getClass().getName(), "serializing it failed: " + e);
        }
    }

    /**
     * True if {@code c}, which is not from a unit, is written by name: a class every member can
     * find by its name and that a shared value may contain (see annotateClass).
     */
    static boolean byName(Class<?> c) {
        if (Units.compiledBeforeCapture(c) && COUNTER_NAMED.matcher(c.getName()).matches()) return false;
        return ShareableClasses.allowed(c);
    }

    @Override
    protected void annotateClass(Class<?> c) throws IOException {
        if (refused != null) {
            // Writing the exception that ends this stream (see refused).
            writeByte(BY_NAME);
            return;
        }
        writeOrigin(c, true);
    }

    /**
     * Writes a class as a value (see {@link ClassRef}): its name, then where it comes from, as
     * {@link #annotateClass} does, but whatever the class, since none of its instances travels.
     */
    void writeClassName(Class<?> c) throws IOException {
        writeUTF(c.getName());
        writeOrigin(c, false);
    }

    /**
     * Writes where {@code c} comes from: its unit, or by name. Refused: a class compiled before
     * entangle started and named by a per-JVM counter, which no other member can find; and,
     * where its instances travel, one that a shared value may not contain.
     */
    private void writeOrigin(Class<?> c, boolean instancesTravel) throws IOException {
        boolean counterNamed = COUNTER_NAMED.matcher(c.getName()).matches();
        if (Units.compiledBeforeCapture(c)) {
            if (counterNamed) {
                throw refuse(new UnshareableValueException(c.getName(), "it was compiled before entangle started on this member"));
            }
            writeByte(BY_NAME);
            return;
        }
        // A type of a namespace loaded from the classpath: each member has its own, compiled
        // from its own copy of the file, and a record made here is an instance of that one there.
        if (!counterNamed && Units.loadedFromClasspath(c)) {
            writeByte(BY_NAME);
            return;
        }
        List<Unit> chain = units.unitsOf(c);
        if (!chain.isEmpty()) {
            writeByte(IN_UNIT);
            writeUTF(chain.get(0).hash());
            referenced.addAll(chain);
            return;
        }
        if (instancesTravel && !ShareableClasses.allowed(c)) {
            throw refuse(new UnshareableValueException(c.getName(), ShareableClasses.notNamed("", c)));
        }
        writeByte(BY_NAME);
    }

    @Override
    protected void annotateProxyClass(Class<?> c) throws IOException {
        throw refuse(new UnshareableValueException(c.getName(), "a java.lang.reflect.Proxy cannot be shared"));
    }

    /**
     * The bytes written so far, refusing to hold more than a member reads: writing on would
     * only fill this member's heap with what every other member refuses.
     */
    private static final class Bounded extends ByteArrayOutputStream {
        /** Unchecked: ByteArrayOutputStream's writes declare no IOException. */
        static final class Exceeded extends RuntimeException {
            Exceeded() { super("larger than a shared value may be", null, false, false); }
        }

        private final long max;

        Bounded(long max) {
            super(256);
            this.max = max;
        }

        @Override
        public synchronized void write(int b) {
            if (count + 1L > max) throw new Exceeded();
            super.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            if (count + (long) len > max) throw new Exceeded();
            super.write(b, off, len);
        }
    }

    private UnshareableValueException refuse(UnshareableValueException e) {
        refused = e;
        return e;
    }
}
