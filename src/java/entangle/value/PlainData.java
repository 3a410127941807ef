package entangle.value;

import java.nio.charset.StandardCharsets;
import java.util.Map;

import clojure.lang.BigInt;
import clojure.lang.IObj;
import clojure.lang.IPersistentMap;
import clojure.lang.Keyword;
import clojure.lang.LispReader;
import clojure.lang.PersistentArrayMap;
import clojure.lang.PersistentHashMap;
import clojure.lang.PersistentHashSet;
import clojure.lang.PersistentList;
import clojure.lang.PersistentVector;
import clojure.lang.RT;
import clojure.lang.Ratio;
import clojure.lang.Symbol;
import clojure.lang.Var;

/**
 * Plain Clojure data (nil, booleans, strings, characters, longs, finite doubles, ratios, big
 * numbers, keywords, symbols, and lists, vectors, maps and sets of these, meta included) as its
 * printed text. A var's meta is such data, and reading text is several times quicker than a Java
 * deserialization, which counts when a joining member reads ten thousand of them. Only values
 * that read back equal, of the same types, are written this way; the reader evaluates nothing.
 */
final class PlainData {
    /** The first byte of a value written as text. */
    static final byte TEXT = (byte) 0xFD;
    private static final int BUDGET = 10_000;
    private static final Class<?> EMPTY_LIST = ((Object) PersistentList.EMPTY).getClass();
    private static final Var PRINT_META = RT.var("clojure.core", "*print-meta*");
    private static final Var PRINT_DUP = RT.var("clojure.core", "*print-dup*");
    private static final Var PRINT_READABLY = RT.var("clojure.core", "*print-readably*");
    private static final Var PRINT_LENGTH = RT.var("clojure.core", "*print-length*");
    private static final Var PRINT_LEVEL = RT.var("clojure.core", "*print-level*");
    private static final Var PRINT_NAMESPACE_MAPS = RT.var("clojure.core", "*print-namespace-maps*");
    private static final Var DATA_READERS = RT.var("clojure.core", "*data-readers*");
    private static final Var DEFAULT_DATA_READER_FN = RT.var("clojure.core", "*default-data-reader-fn*");

    private PlainData() {}

    /** {@code v} as text, or null if it is not plain data. */
    static byte[] write(Object v) {
        if (!(v instanceof IPersistentMap || v instanceof PersistentVector) || !plain(v, new int[] {BUDGET})) return null;
        String text = print(v);
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[utf8.length + 1];
        out[0] = TEXT;
        System.arraycopy(utf8, 0, out, 1, utf8.length);
        // What does not read back the same is not written this way: a symbol or keyword made of
        // characters the reader takes otherwise, or meta the printer abbreviates (^:x for {:tag :x}).
        try {
            Object back = read(out);
            if (!clojure.lang.Util.equiv(back, v) || !print(back).equals(text)) return null;
        } catch (RuntimeException e) {
            return null;
        }
        return out;
    }

    private static String print(Object v) {
        Var.pushThreadBindings(RT.map(PRINT_META, true, PRINT_DUP, false, PRINT_READABLY, true,
                                      PRINT_LENGTH, null, PRINT_LEVEL, null, PRINT_NAMESPACE_MAPS, false));
        try {
            return RT.printString(v);
        } finally {
            Var.popThreadBindings();
        }
    }

    /** Reads what {@link #write} wrote, evaluating nothing. */
    static Object read(byte[] bytes) {
        String text = new String(bytes, 1, bytes.length - 1, StandardCharsets.UTF_8);
        Var.pushThreadBindings(RT.map(RT.READEVAL, false, DATA_READERS, clojure.lang.PersistentArrayMap.EMPTY,
                                      DEFAULT_DATA_READER_FN, null));
        try {
            Object v = RT.readString(text, RT.map(LispReader.OPT_EOF, LispReader.EOFTHROW));
            if (!plain(v, new int[] {BUDGET})) throw new IllegalArgumentException("the text is not plain data");
            return v;
        } finally {
            Var.popThreadBindings();
        }
    }

    private static boolean plain(Object v, int[] budget) {
        if (--budget[0] < 0) return false;
        if (v == null || v instanceof Boolean || v instanceof String || v instanceof Character || v instanceof Long
            || v instanceof Keyword || v instanceof BigInt || v instanceof Ratio || v instanceof java.math.BigDecimal) {
            return true;
        }
        if (v instanceof Double d) return !d.isNaN() && !d.isInfinite();
        Class<?> c = v.getClass();
        boolean collection = c == PersistentArrayMap.class || c == PersistentHashMap.class || c == PersistentVector.class
            || c == PersistentList.class || c == EMPTY_LIST || c == PersistentHashSet.class;
        if (!(v instanceof Symbol) && !collection) return false;
        // The reader makes a map of up to eight entries an array map, and a larger one a hash map.
        if (c == PersistentArrayMap.class && ((PersistentArrayMap) v).count() > 8) return false;
        if (c == PersistentHashMap.class && ((PersistentHashMap) v).count() <= 8) return false;
        if (v instanceof IObj o && o.meta() != null && !plain(o.meta(), budget)) return false;
        if (v instanceof Symbol) return true;
        for (Object o : (Iterable<?>) v) {
            if (o instanceof Map.Entry<?, ?> e) {
                if (!plain(e.getKey(), budget) || !plain(e.getValue(), budget)) return false;
            } else if (!plain(o, budget)) {
                return false;
            }
        }
        return true;
    }
}
