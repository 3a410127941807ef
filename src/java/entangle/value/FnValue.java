package entangle.value;

import java.io.InvalidObjectException;
import java.io.ObjectStreamException;
import java.io.Serializable;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

import clojure.lang.AFunction;
import clojure.lang.IPersistentCollection;
import clojure.lang.Keyword;
import clojure.lang.Named;
import entangle.unit.Unit;
import entangle.unit.Units;

/**
 * A fn compiled by a member, as it travels: its class as (unit, name), and its captured values
 * by field name. Java serialization would also do, but for every new fn class it computes a
 * serialVersionUID from the class's structure and generates a constructor class, on the writer
 * and on every reader; a REPL makes a new fn class at every definition, so that was most of the
 * cost of sharing one. The reader makes the instance without a constructor, as Java
 * serialization does, and sets the fields.
 *
 * <p>Used only where that is exact: a fn whose fields are all final (set once, by its
 * constructor) and hold values that cannot lead back to it (a graph of Java serialization's
 * replaced objects must have no cycle through them). Other fns, letfn's among them, travel by
 * Java serialization as before.
 */
final class FnValue implements Serializable {
    private static final long serialVersionUID = 1L;
    /** How many captured values a fn may hold, in all, and still travel this way. */
    private static final int BUDGET = 256;
    private static final ClassValue<Field[]> FIELDS = new ClassValue<>() {
        @Override
        protected Field[] computeValue(Class<?> c) {
            List<Field> out = new ArrayList<>();
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers())) continue;
                f.setAccessible(true);
                out.add(f);
            }
            return out.toArray(Field[]::new);
        }
    };
    private static final Field[] NO_FIELDS = {};
    private static final sun.misc.Unsafe UNSAFE = unsafe();

    private final String unit;
    private final String name;
    private final String[] fields;
    private final Object[] values;

    private FnValue(String unit, String name, String[] fields, Object[] values) {
        this.unit = unit;
        this.name = name;
        this.fields = fields;
        this.values = values;
    }

    /**
     * {@code fn} as a FnValue, or null if it must travel by Java serialization; adds the
     * units its class needs to {@code referenced}.
     */
    static FnValue of(Object fn, Units units, java.util.Set<Unit> referenced) {
        if (UNSAFE == null || !(fn instanceof AFunction) || !Units.fromUnit(fn.getClass())) return null;
        if (!simple(fn, new IdentityHashMap<>(), new int[] {BUDGET})) return null;
        List<Unit> chain = units.unitsOf(fn.getClass());
        if (chain.isEmpty()) return null;
        Field[] fs = FIELDS.get(fn.getClass());
        String[] names = new String[fs.length];
        Object[] vals = new Object[fs.length];
        try {
            for (int i = 0; i < fs.length; i++) {
                names[i] = fs[i].getName();
                vals[i] = fs[i].get(fn);
            }
        } catch (IllegalAccessException e) {
            return null;
        }
        referenced.addAll(chain);
        return new FnValue(chain.get(0).hash(), fn.getClass().getName(), names, ClassRef.wrap(vals));
    }

    /** True if {@code v} is a value no path from which leads back to a fn on the way. */
    private static boolean simple(Object v, Map<Object, Boolean> path, int[] budget) {
        if (--budget[0] < 0) return false;
        if (v == null || v instanceof Number || v instanceof String || v instanceof Boolean || v instanceof Character
            || v instanceof Keyword || v instanceof Named && v instanceof Comparable || v instanceof Class) {
            return true;
        }
        if (path.containsKey(v)) return false;
        if (v instanceof AFunction) {
            if (!Units.fromUnit(v.getClass())) return false;
            path.put(v, true);
            try {
                for (Field f : FIELDS.get(v.getClass())) {
                    // As in direct: the compiler does not mark closed-overs final.
                    if (Modifier.isTransient(f.getModifiers())) return false;
                    if (!simple(f.get(v), path, budget)) return false;
                }
            } catch (IllegalAccessException e) {
                return false;
            } finally {
                path.remove(v);
            }
            return true;
        }
        if (v instanceof IPersistentCollection c && v.getClass().getName().startsWith("clojure.lang.Persistent")) {
            path.put(v, true);
            try {
                for (Object o : (Iterable<?>) c) {
                    if (o instanceof Map.Entry<?, ?> e) {
                        if (!simple(e.getKey(), path, budget) || !simple(e.getValue(), path, budget)) return false;
                    } else if (!simple(o, path, budget)) {
                        return false;
                    }
                }
            } finally {
                path.remove(v);
            }
            return true;
        }
        return false;
    }

    /** The first byte of a fn written without Java serialization (see {@link #direct}). */
    static final byte DIRECT = (byte) 0xFE;

    /**
     * A fn that captured nothing (what defn makes) or only plain data (a closure over numbers,
     * strings, keywords, collections of these), as bytes of its own: a tag, its unit (none for an
     * AOT-compiled fn, found by name), its class name, its fields' names and their values as
     * {@link PlainData}. Most shared values and most fns sent to run elsewhere are such fns, and
     * reading one is then a class lookup, not a Java deserialization. Null for any other value.
     */
    static byte[] direct(Object v, Units units, java.util.Set<Unit> referenced) {
        if (UNSAFE == null || !(v instanceof AFunction)) return null;
        Class<?> c = v.getClass();
        List<Unit> chain = units.unitsOf(c);
        // Not from a unit: an AOT-compiled fn, found by name, as Java serialization names it (ValueWriter).
        if (chain.isEmpty() && !ValueWriter.byName(c)) return null;
        Field[] fs = FIELDS.get(c);
        byte[] values = null;
        if (fs.length > 0) {
            Object[] vals = new Object[fs.length];
            try {
                for (int i = 0; i < fs.length; i++) {
                    // A fn's closed-overs are set once, by its constructor (the compiler does not
                    // mark them final); a transient field is not part of the value.
                    if (Modifier.isTransient(fs[i].getModifiers())) return null;
                    vals[i] = fs[i].get(v);
                }
            } catch (IllegalAccessException e) {
                return null;
            }
            values = PlainData.write(clojure.lang.PersistentVector.create(vals));
            if (values == null) return null;
        }
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(128);
        try (java.io.DataOutputStream out = new java.io.DataOutputStream(bytes)) {
            out.writeByte(DIRECT);
            out.writeUTF(chain.isEmpty() ? "" : chain.get(0).hash());
            out.writeUTF(c.getName());
            out.writeShort(fs.length);
            for (Field f : fs) out.writeUTF(f.getName());
            if (values != null) {
                out.writeInt(values.length);
                out.write(values);
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        referenced.addAll(chain);
        return bytes.toByteArray();
    }

    /** Reads what {@link #direct} wrote. */
    static Object readDirect(byte[] bytes, Units units) throws java.io.IOException, entangle.RefusedException,
                                                                  ClassNotFoundException, InstantiationException {
        String unit;
        String name;
        String[] names;
        byte[] values = null;
        try (java.io.DataInputStream in = new java.io.DataInputStream(new java.io.ByteArrayInputStream(bytes))) {
            in.readByte();
            unit = in.readUTF();
            name = in.readUTF();
            names = new String[in.readUnsignedShort()];
            for (int i = 0; i < names.length; i++) names[i] = in.readUTF();
            if (names.length > 0) {
                int n = in.readInt();
                if (n < 0 || n > in.available()) throw new java.io.StreamCorruptedException("captured values longer than their bytes");
                values = in.readNBytes(n);
            }
            if (in.read() != -1) throw new java.io.StreamCorruptedException("trailing bytes after the fn");
        }
        Class<?> c = unit.isEmpty() ? Units.byName(name) : units.resolve(unit, name);
        if (unit.isEmpty() && !ShareableClasses.allowed(c)) {
            throw new java.io.InvalidClassException(name, "not a class a shared value may contain");
        }
        // A fn that captured nothing (most defns) needs no reflection: its bytes say it has no fields.
        Field[] fs = names.length == 0 && Units.declaresNoInstanceFields(c) ? NO_FIELDS : FIELDS.get(c);
        if (!AFunction.class.isAssignableFrom(c) || fs.length != names.length) {
            throw new java.io.InvalidClassException(name, "not a fn with the captured values written");
        }
        for (int i = 0; i < fs.length; i++) {
            if (!fs[i].getName().equals(names[i])) throw new java.io.InvalidClassException(name, "has other fields");
        }
        Object fn = UNSAFE.allocateInstance(c);
        if (values != null) {
            if (!(PlainData.read(values) instanceof clojure.lang.PersistentVector vals) || vals.count() != fs.length) {
                throw new java.io.StreamCorruptedException("the captured values are not " + fs.length + " values");
            }
            try {
                for (int i = 0; i < fs.length; i++) fs[i].set(fn, vals.nth(i));
            } catch (IllegalAccessException e) {
                throw new java.io.InvalidClassException(name, "its fields cannot be set: " + e.getMessage());
            }
        }
        return fn;
    }

    private Object readResolve() throws ObjectStreamException {
        ValueReader reader = ValueReader.reading();
        try {
            if (reader == null) throw new IllegalStateException("not read by entangle's value reader");
            Class<?> c = reader.classInUnit(unit, name);
            if (!AFunction.class.isAssignableFrom(c)) throw new IllegalStateException(name + " is not a fn");
            Object fn = UNSAFE.allocateInstance(c);
            Field[] fs = FIELDS.get(c);
            if (fs.length != fields.length) throw new IllegalStateException(name + " has other fields");
            for (int i = 0; i < fs.length; i++) {
                if (!fs[i].getName().equals(fields[i])) throw new IllegalStateException(name + " has other fields");
                fs[i].set(fn, values[i]);
            }
            return fn;
        } catch (Exception e) {
            InvalidObjectException ioe = new InvalidObjectException("cannot rebuild fn " + name + ": " + e.getMessage());
            ioe.initCause(e);
            throw ioe;
        }
    }

    private static sun.misc.Unsafe unsafe() {
        try {
            Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return (sun.misc.Unsafe) f.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
