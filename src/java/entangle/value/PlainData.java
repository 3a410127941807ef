package entangle.value;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import clojure.lang.BigInt;
import clojure.lang.IObj;
import clojure.lang.IPersistentMap;
import clojure.lang.ISeq;
import clojure.lang.Keyword;
import clojure.lang.PersistentArrayMap;
import clojure.lang.PersistentHashMap;
import clojure.lang.PersistentHashSet;
import clojure.lang.PersistentList;
import clojure.lang.PersistentVector;
import clojure.lang.RT;
import clojure.lang.Ratio;
import clojure.lang.Symbol;

/**
 * Plain Clojure data (nil, booleans, strings, characters, longs, integers, doubles, ratios, big
 * numbers, keywords, symbols, and lists, vectors, maps and sets of these, meta included) in a
 * compact tagged form. A var's meta is such data, and reading this is many times quicker than a
 * Java deserialization or the reader, which counts when a joining member reads ten thousand of
 * them. What is read back is equal to what was written, of the same classes (an array map stays
 * an array map); nothing is evaluated and no class is named, so there is nothing to restrict.
 */
final class PlainData {
    /** The first byte of a value written this way. */
    static final byte DATA = (byte) 0xFC;
    /**
     * How deep a value may nest (a collection in a collection, meta included), which a reader
     * checks: reading recurses. How many values it holds is bounded by its bytes alone, so that a
     * large dataset a var holds travels this way too, quicker and smaller than in a Java
     * serialization (2,000,000 longs: 18 MB against 28).
     */
    static final int MAX_DEPTH = 5000;
    private static final Class<?> EMPTY_LIST = ((Object) PersistentList.EMPTY).getClass();

    private static final int NIL = 0, TRUE = 1, FALSE = 2, LONG = 3, INT = 4, DOUBLE = 5, STRING = 6, CHAR = 7,
        KEYWORD = 8, SYMBOL = 9, BIGINT = 10, RATIO = 11, BIGDEC = 12, VECTOR = 13, LIST = 14, ARRAY_MAP = 15,
        HASH_MAP = 16, SET = 17, EMPTY = 18;

    private PlainData() {}

    /** {@code v} written, or null if it is not plain data. */
    static byte[] write(Object v) {
        return write(v, false);
    }

    /**
     * A var's or namespace's meta written, or null if it is not plain data. Meta is looser than a
     * value: defn makes {@code :arglists} a seq, which is written as a list (all anyone asks of
     * arglists); a value that is a seq is not plain data, as a list would not be the same value.
     */
    static byte[] writeMeta(IPersistentMap meta) {
        return write(meta, true);
    }

    private static byte[] write(Object v, boolean meta) {
        try {
            return writeHere(v, meta);
        } catch (StackOverflowError e) {
            // Deeper than this thread's stack, but no deeper than MAX_DEPTH: again on a thread
            // whose stack reaches that far, so that plain data travels whatever thread defines it.
            try {
                return DeepStack.run("entangle-deep-write", () -> writeHere(v, meta));
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
                return null;
            } catch (Exception | StackOverflowError x) {
                return null; // the Java serialization says what it makes of it
            }
        }
    }

    private static byte[] writeHere(Object v, boolean meta) {
        if (!plain(v, 0, meta)) return null;
        Out out = new Out();
        out.write(DATA);
        writeValue(out, v);
        return out.bytes();
    }

    /** Whether {@code v} is plain data; {@code meta}: in meta, seqs too (see writeMeta). */
    private static boolean plain(Object v, int depth, boolean meta) {
        if (v == null || v instanceof Boolean || v instanceof String || v instanceof Character || v instanceof Long
            || v instanceof Integer || v instanceof Double || v instanceof Keyword || v instanceof BigInt
            || v instanceof Ratio || v instanceof BigDecimal) {
            return true;
        }
        Class<?> c = v.getClass();
        boolean collection = c == PersistentArrayMap.class || c == PersistentHashMap.class || c == PersistentVector.class
            || c == PersistentList.class || c == EMPTY_LIST || c == PersistentHashSet.class
            || (meta && v instanceof ISeq);
        if (!(v instanceof Symbol) && !collection) return false;
        if (++depth > MAX_DEPTH) return false;
        if (v instanceof IObj o && o.meta() != null && !plain(o.meta(), depth, meta)) return false;
        if (v instanceof Symbol) return true;
        for (Object o : (Iterable<?>) v) {
            if (o instanceof Map.Entry<?, ?> e) {
                if (!plain(e.getKey(), depth, meta) || !plain(e.getValue(), depth, meta)) return false;
            } else if (!plain(o, depth, meta)) {
                return false;
            }
        }
        return true;
    }

    private static void writeValue(Out out, Object v) {
        if (v == null) out.write(NIL);
        else if (v instanceof Boolean b) out.write(b ? TRUE : FALSE);
        else if (v instanceof Long n) { out.write(LONG); out.writeLong(n); }
        else if (v instanceof Integer n) { out.write(INT); out.writeInt(n); }
        else if (v instanceof Double d) { out.write(DOUBLE); out.writeDouble(d); }
        else if (v instanceof String s) { out.write(STRING); writeString(out, s); }
        else if (v instanceof Character ch) { out.write(CHAR); out.writeChar(ch); }
        else if (v instanceof Keyword k) { out.write(KEYWORD); writeName(out, k.getNamespace(), k.getName()); }
        else if (v instanceof Symbol s) { out.write(SYMBOL); writeName(out, s.getNamespace(), s.getName()); writeMeta(out, s); }
        else if (v instanceof BigInt b) { out.write(BIGINT); writeBytes(out, b.toBigInteger().toByteArray()); }
        else if (v instanceof Ratio r) {
            out.write(RATIO);
            writeBytes(out, r.numerator.toByteArray());
            writeBytes(out, r.denominator.toByteArray());
        } else if (v instanceof BigDecimal d) {
            out.write(BIGDEC);
            writeBytes(out, d.unscaledValue().toByteArray());
            out.writeInt(d.scale());
        } else if (v.getClass() == EMPTY_LIST) { out.write(EMPTY); writeMeta(out, v); }
        else if (v instanceof Map<?, ?> m) {
            out.write(v instanceof PersistentArrayMap ? ARRAY_MAP : HASH_MAP);
            out.writeInt(m.size());
            for (Map.Entry<?, ?> e : m.entrySet()) {
                writeValue(out, e.getKey());
                writeValue(out, e.getValue());
            }
            writeMeta(out, v);
        } else {
            out.write(v instanceof PersistentVector ? VECTOR : v instanceof PersistentHashSet ? SET : LIST);
            out.writeInt(RT.count(v));
            for (Object o : (Iterable<?>) v) writeValue(out, o);
            writeMeta(out, v);
        }
    }

    private static void writeMeta(Out out, Object v) {
        writeValue(out, v instanceof IObj o ? o.meta() : null);
    }

    private static void writeName(Out out, String ns, String name) {
        out.writeBoolean(ns != null);
        if (ns != null) writeString(out, ns);
        writeString(out, name);
    }

    private static void writeString(Out out, String s) {
        writeBytes(out, s.getBytes(StandardCharsets.UTF_8));
    }

    private static void writeBytes(Out out, byte[] b) {
        out.writeInt(b.length);
        out.write(b);
    }

    /**
     * A growing array of bytes, written as DataOutputStream writes, without a lock taken for
     * every value (a dataset a var holds can be millions of them).
     */
    private static final class Out {
        private byte[] buf = new byte[128];
        private int size;

        private void ensure(int n) {
            if (size + n > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
        }

        void write(int b) {
            ensure(1);
            buf[size++] = (byte) b;
        }

        void writeBoolean(boolean b) {
            write(b ? 1 : 0);
        }

        void writeChar(char c) {
            ensure(2);
            CHARS.set(buf, size, c);
            size += 2;
        }

        void writeInt(int n) {
            ensure(4);
            INTS.set(buf, size, n);
            size += 4;
        }

        void writeLong(long n) {
            ensure(8);
            LONGS.set(buf, size, n);
            size += 8;
        }

        void writeDouble(double d) {
            writeLong(Double.doubleToLongBits(d));
        }

        void write(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, buf, size, b.length);
            size += b.length;
        }

        byte[] bytes() {
            return Arrays.copyOf(buf, size);
        }
    }

    private static final VarHandle CHARS = MethodHandles.byteArrayViewVarHandle(char[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);

    /** Reads what {@link #write} wrote; a malformed or truncated one is an IllegalArgumentException. */
    static Object read(byte[] bytes) {
        if (bytes.length < 2 || bytes[0] != DATA) throw new IllegalArgumentException("not plain data");
        Reader in = new Reader(bytes);
        try {
            Object v = in.value();
            if (in.available() != 0) throw new IllegalArgumentException("trailing bytes after the value");
            return v;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("the plain data is cut short", e);
        }
    }

    /**
     * Reads values, never allocating more than the bytes left could fill, nor nesting deeper
     * than a writer does. From a ByteBuffer rather than a DataInputStream (a synchronized read a
     * byte at a time): a joining member reads ten thousand metas while C2 compiles this on its
     * other core, and C2 took 157 to 253 ms over the stream-based reader in three syncs, 133 and
     * 136 ms over this one in two.
     */
    private static final class Reader {
        private final ByteBuffer in;
        private int depth;

        Reader(byte[] bytes) {
            in = ByteBuffer.wrap(bytes, 1, bytes.length - 1);
        }

        int available() {
            return in.remaining();
        }

        Object value() {
            int tag = in.get() & 0xff;
            if (tag < VECTOR && tag != SYMBOL) return valueOf(tag);
            // What nests: its items and its meta are values.
            if (++depth > MAX_DEPTH) {
                throw new IllegalArgumentException("the plain data nests deeper than " + MAX_DEPTH);
            }
            try {
                return valueOf(tag);
            } finally {
                depth--;
            }
        }

        private Object valueOf(int tag) {
            switch (tag) {
                case NIL: return null;
                case TRUE: return Boolean.TRUE;
                case FALSE: return Boolean.FALSE;
                case LONG: return in.getLong();
                case INT: return in.getInt();
                case DOUBLE: return in.getDouble();
                case STRING: return string();
                case CHAR: return in.getChar();
                case KEYWORD: {
                    String ns = in.get() != 0 ? string() : null;
                    return Keyword.intern(ns, string());
                }
                case SYMBOL: {
                    String ns = in.get() != 0 ? string() : null;
                    return withMeta(Symbol.intern(ns, string()));
                }
                case BIGINT: return BigInt.fromBigInteger(new BigInteger(bytes()));
                case RATIO: return new Ratio(new BigInteger(bytes()), new BigInteger(bytes()));
                case BIGDEC: return new BigDecimal(new BigInteger(bytes()), in.getInt());
                case EMPTY: return withMeta(PersistentList.EMPTY);
                case VECTOR: return withMeta(PersistentVector.create(items(1)));
                case LIST: return withMeta((IObj) PersistentList.create(items(1)));
                case SET: return withMeta(PersistentHashSet.createWithCheck(items(1)));
                case ARRAY_MAP: return withMeta(PersistentArrayMap.createWithCheck(items(2).toArray()));
                case HASH_MAP: return withMeta(PersistentHashMap.createWithCheck(items(2).toArray()));
                default: throw new IllegalArgumentException("unknown tag " + tag + " in plain data");
            }
        }

        private List<Object> items(int per) {
            long n = (long) count() * per;
            if (n > available()) throw new IllegalArgumentException("a collection longer than its bytes");
            List<Object> out = new ArrayList<>((int) n);
            for (long i = 0; i < n; i++) out.add(value());
            return out;
        }

        private Object withMeta(IObj o) {
            Object meta = value();
            if (meta == null) return o;
            if (!(meta instanceof IPersistentMap m)) throw new IllegalArgumentException("meta that is not a map");
            return o.withMeta(m);
        }

        private int count() {
            int n = in.getInt();
            if (n < 0 || n > available()) throw new IllegalArgumentException("a length longer than its bytes");
            return n;
        }

        private byte[] bytes() {
            byte[] b = new byte[count()];
            in.get(b);
            return b;
        }

        private String string() {
            int n = count();
            String s = new String(in.array(), in.arrayOffset() + in.position(), n, StandardCharsets.UTF_8);
            in.position(in.position() + n);
            return s;
        }
    }
}
