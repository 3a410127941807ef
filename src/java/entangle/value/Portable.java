package entangle.value;

import java.io.ObjectStreamException;
import java.io.Serializable;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

import clojure.lang.BigInt;
import clojure.lang.Counted;
import clojure.lang.IMeta;
import clojure.lang.IObj;
import clojure.lang.IPersistentList;
import clojure.lang.IPersistentMap;
import clojure.lang.IPersistentSet;
import clojure.lang.IPersistentVector;
import clojure.lang.IRecord;
import clojure.lang.ISeq;
import clojure.lang.Cycle;
import clojure.lang.Iterate;
import clojure.lang.Keyword;
import clojure.lang.LazilyPersistentVector;
import clojure.lang.LazySeq;
import clojure.lang.MultiFn;
import clojure.lang.MapEntry;
import clojure.lang.Namespace;
import clojure.lang.PersistentArrayMap;
import clojure.lang.PersistentHashMap;
import clojure.lang.PersistentHashSet;
import clojure.lang.PersistentList;
import clojure.lang.PersistentQueue;
import clojure.lang.PersistentTreeMap;
import clojure.lang.PersistentTreeSet;
import clojure.lang.RT;
import clojure.lang.Ratio;
import clojure.lang.Symbol;
import clojure.lang.Var;

/**
 * Clojure's own value types as they travel: a kind, the elements, the meta. Java serialization
 * of clojure.lang's classes depends on serialVersionUIDs Clojure does not declare and that
 * change between releases; this form does not, so members on different Clojure versions read
 * each other's data. It is also flat (a long list is an array, not ten thousand nested
 * objects) and leaves out the internals (a hash map's trie nodes).
 */
final class Portable implements Serializable {
    private static final long serialVersionUID = 1L;

    private enum Kind {
        VECTOR, MAP_ENTRY, LIST, MAP, SET, SORTED_MAP, SORTED_SET, QUEUE, KEYWORD, SYMBOL, VAR, NAMESPACE, BIGINT, RATIO,
        MULTIFN, MEMOIZED, PATH, DELAY, TAGGED_LITERAL, READER_CONDITIONAL, PRIMITIVE_VECTOR, EDUCTION, CHARSET
    }

    /** What vector-of makes: a vector of one primitive type (a deftype of clojure.core, not Serializable). */
    static final String PRIMITIVE_VECTOR = "clojure.core.Vec";
    /** What eduction makes: a transducer and the collection it applies to. */
    static final String EDUCTION = "clojure.core.Eduction";

    /** A lazy seq travels realized, if it ends within this many elements... */
    static final int MAX_REALIZED = Integer.getInteger("entangle.lazy.max.elements", 100_000);
    /** ...and within this many milliseconds. */
    static final long MAX_REALIZING_MS = Long.getLong("entangle.lazy.max.ms", 2_000);

    private final Kind kind;
    private final Object[] items;
    private final Object meta;
    private final Object comparator;

    private Portable(Kind kind, Object[] items, Object meta, Object comparator) {
        this.kind = kind;
        this.items = ClassRef.wrap(items);
        this.meta = meta;
        this.comparator = comparator;
    }

    /**
     * The portable form of {@code o}, or {@code o} itself if it is not one of Clojure's value
     * types. A lazy seq is realized here; one that does not end is refused.
     */
    static Object of(Object o) throws UnshareableValueException {
        // A protocol's method fn is only meaningful as its var (its dispatch cache is this
        // member's), so it travels as that var, which calls the reader's current method.
        if (o instanceof clojure.lang.AFunction f && f.__methodImplCache != null) {
            Symbol method = f.__methodImplCache.sym;
            return new Portable(Kind.VAR, new Object[] {method.getNamespace(), method.getName()}, null, null);
        }
        Object memoized = memoized(o);
        if (memoized != null) return new Portable(Kind.MEMOIZED, new Object[] {memoized}, null, null);
        // A Path is not Serializable; one of the default file system travels as its string, as
        // a java.io.File does, and each member reads it against its own file system.
        if (o instanceof java.nio.file.Path p && p.getFileSystem() == java.nio.file.FileSystems.getDefault()) {
            return new Portable(Kind.PATH, new Object[] {p.toString()}, null, null);
        }
        // A charset is not Serializable; it travels as its name.
        if (o instanceof java.nio.charset.Charset c) return new Portable(Kind.CHARSET, new Object[] {c.name()}, null, null);
        if (o != null && o.getClass().getName().equals(PRIMITIVE_VECTOR)) return primitiveVector(o);
        if (o != null && o.getClass().getName().equals(EDUCTION)) {
            return new Portable(Kind.EDUCTION, new Object[] {field(o, "xform"), field(o, "coll")}, null, null);
        }
        if (o == null || !o.getClass().getName().startsWith("clojure.lang.") || o instanceof IRecord) return o;
        Object meta = o instanceof IMeta m ? m.meta() : null;
        if (o instanceof Keyword k) return new Portable(Kind.KEYWORD, names(k.sym), null, null);
        if (o instanceof Symbol s) return new Portable(Kind.SYMBOL, names(s), meta, null);
        if (o instanceof Var v) {
            return new Portable(Kind.VAR, new Object[] {v.ns.getName().getName(), v.sym.getName()}, null, null);
        }
        if (o instanceof Namespace n) return new Portable(Kind.NAMESPACE, new Object[] {n.getName().getName()}, null, null);
        if (o instanceof BigInt b) return new Portable(Kind.BIGINT, new Object[] {b.toBigInteger()}, null, null);
        if (o instanceof Ratio r) return new Portable(Kind.RATIO, new Object[] {r.numerator, r.denominator}, null, null);
        if (o instanceof MapEntry e) return new Portable(Kind.MAP_ENTRY, new Object[] {e.key(), e.val()}, null, null);
        if (o instanceof PersistentTreeMap m) {
            return new Portable(Kind.SORTED_MAP, mapItems(m), meta, comparatorOf(m.comparator()));
        }
        if (o instanceof PersistentTreeSet s) {
            return new Portable(Kind.SORTED_SET, RT.toArray(s), meta, comparatorOf(s.comparator()));
        }
        if (o instanceof PersistentQueue q) return new Portable(Kind.QUEUE, RT.toArray(q), meta, null);
        if (o instanceof IPersistentVector v) return new Portable(Kind.VECTOR, RT.toArray(v), meta, null);
        if (o instanceof IPersistentMap m) return new Portable(Kind.MAP, mapItems(m), meta, null);
        if (o instanceof IPersistentSet s) return new Portable(Kind.SET, RT.toArray(s), meta, null);
        // Lists, and seqs that know their length (so are finite).
        if (o instanceof IPersistentList || (o instanceof ISeq && o instanceof Counted)) {
            return new Portable(Kind.LIST, RT.toArray(o), meta, null);
        }
        if (o instanceof MultiFn m) return multiFn(m);
        // What the reader makes of a tag it has no reader for, and of a reader conditional it
        // was told to keep: data, as the forms they hold are.
        if (o instanceof clojure.lang.TaggedLiteral t) return new Portable(Kind.TAGGED_LITERAL, new Object[] {t.tag, t.form}, null, null);
        if (o instanceof clojure.lang.ReaderConditional r) {
            return new Portable(Kind.READER_CONDITIONAL, new Object[] {r.form, r.splicing}, null, null);
        }
        // (range) and (cycle ...) are infinite by construction; (repeat x) is found out by realizing
        // it (its count() would walk it forever).
        if (o instanceof Iterate || o instanceof Cycle) {
            throw new UnshareableValueException(o.getClass().getName(), "an infinite lazy seq");
        }
        if (o instanceof ISeq || o instanceof LazySeq) return new Portable(Kind.LIST, realize(o), meta, null);
        return o;
    }

    /**
     * The elements of a lazy seq, realized in a thread of its own so that a seq that never
     * ends, or blocks, is refused after a bounded time instead of holding up the evaluation.
     */
    private static Object[] realize(Object seq) throws UnshareableValueException {
        java.util.concurrent.FutureTask<Object[]> task = new java.util.concurrent.FutureTask<>(() -> {
            List<Object> items = new ArrayList<>();
            for (ISeq s = RT.seq(seq); s != null; s = s.next()) {
                if (items.size() == MAX_REALIZED || Thread.currentThread().isInterrupted()) return null;
                items.add(s.first());
            }
            return items.toArray();
        });
        Thread t = new Thread(task, "entangle-realize");
        t.setDaemon(true);
        t.start();
        try {
            Object[] items = task.get(MAX_REALIZING_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
            if (items != null) return items;
        } catch (java.util.concurrent.TimeoutException e) {
            task.cancel(true);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new UnshareableValueException(seq.getClass().getName(), "a lazy seq that failed to realize: "
                + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new UnshareableValueException(seq.getClass().getName(), "a lazy seq that did not end within "
            + MAX_REALIZED + " elements and " + MAX_REALIZING_MS + " ms, so perhaps an infinite one");
    }

    // What memoize returns: a fn closing over the fn it memoizes (f) and its cache (an atom, mem).
    private static final String MEMOIZE = "clojure.core$memoize$fn__";

    /**
     * The fn {@code o} memoizes, if {@code o} is what memoize returns: it travels as that fn and
     * is memoized again where it is read, with a cache of that member's own. The cache is only a
     * shortcut (memoize presumes a pure fn), and an atom in a fn cannot travel as one.
     */
    private static Object memoized(Object o) {
        if (!(o instanceof clojure.lang.AFunction) || !o.getClass().getName().startsWith(MEMOIZE)) return null;
        try {
            java.lang.reflect.Field f = o.getClass().getDeclaredField("f");
            f.setAccessible(true); // closed-overs are package-private fields
            return f.get(o);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // another Clojure's memoize: refused as any fn holding an atom is
        }
    }

    private static final java.lang.reflect.Field DELAY_FN = delayFn();

    private static java.lang.reflect.Field delayFn() {
        try {
            java.lang.reflect.Field f = clojure.lang.Delay.class.getDeclaredField("fn");
            f.setAccessible(true);
            return f;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // a Clojure whose Delay is made otherwise: its delays travel realized
        }
    }

    /**
     * A delay inside a spec (see {@link Instance}), as it travels: its fn if it is not realized
     * yet, which the reader realizes on its own member when it needs it; else its value, or
     * the exception it threw.
     */
    static Portable delay(clojure.lang.Delay d) {
        Object fn = null;
        try {
            fn = DELAY_FN == null ? null : DELAY_FN.get(d);
        } catch (IllegalAccessException e) {
            // realized below
        }
        if (fn != null) return new Portable(Kind.DELAY, new Object[] {fn, null, null}, null, null);
        try {
            return new Portable(Kind.DELAY, new Object[] {null, d.deref(), null}, null, null);
        } catch (Exception e) { // what its fn threw, which Clojure may throw undeclared
            return new Portable(Kind.DELAY, new Object[] {null, null, e}, null, null);
        }
    }

    private static clojure.lang.Delay delay(Object[] items) {
        if (items[0] instanceof clojure.lang.IFn fn) return new clojure.lang.Delay(fn);
        Object value = items[1];
        Throwable thrown = items[2] instanceof Throwable t ? t : null;
        clojure.lang.Delay d = new clojure.lang.Delay(new clojure.lang.AFn() {
            @Override
            public Object invoke() {
                if (thrown != null) throw clojure.lang.Util.sneakyThrow(thrown);
                return value;
            }
        });
        if (thrown == null) d.deref(); // realized, as it was where it was written
        return d;
    }

    /** A vector-of vector: the name of its primitive type, then its elements. */
    private static Portable primitiveVector(Object v) throws UnshareableValueException {
        Object tail = field(v, "tail");
        Object[] elements = RT.toArray(v);
        Object[] items = new Object[elements.length + 1];
        items[0] = tail.getClass().getComponentType().getName();
        System.arraycopy(elements, 0, items, 1, elements.length);
        return new Portable(Kind.PRIMITIVE_VECTOR, items, ((IMeta) v).meta(), null);
    }

    /** A field of a deftype of clojure.core (whose fields are public). */
    private static Object field(Object o, String name) throws UnshareableValueException {
        try {
            return o.getClass().getField(name).get(o);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new UnshareableValueException(o.getClass().getName(), "its field " + name + " is not where this"
                + " Clojure has it");
        }
    }

    private static Portable multiFn(MultiFn m) {
        return new Portable(Kind.MULTIFN, new Object[] {MultiFns.name(m), m.dispatchFn, m.defaultDispatchVal, m.hierarchy,
                                                        m.getMethodTable(), m.getPreferTable(), MultiFns.varOf(m)},
                            null, null);
    }

    private static Object[] names(Symbol s) {
        return new Object[] {s.getNamespace(), s.getName()};
    }

    private static Object[] mapItems(IPersistentMap m) {
        Object[] kvs = new Object[2 * m.count()];
        int i = 0;
        for (Object o : (Iterable<?>) m) {
            java.util.Map.Entry<?, ?> e = (java.util.Map.Entry<?, ?>) o;
            kvs[i++] = e.getKey();
            kvs[i++] = e.getValue();
        }
        return kvs;
    }

    private static Object comparatorOf(Comparator<?> c) {
        return c == RT.DEFAULT_COMPARATOR ? null : c;
    }

    private Object readResolve() throws ObjectStreamException {
        Object v = switch (kind) {
            case KEYWORD -> Keyword.intern((String) items[0], (String) items[1]);
            case SYMBOL -> Symbol.intern((String) items[0], (String) items[1]);
            case VAR -> RT.var((String) items[0], (String) items[1]);
            case NAMESPACE -> Namespace.findOrCreate(Symbol.intern((String) items[0]));
            case BIGINT -> BigInt.fromBigInteger((BigInteger) items[0]);
            case RATIO -> new Ratio((BigInteger) items[0], (BigInteger) items[1]);
            case MAP_ENTRY -> MapEntry.create(items[0], items[1]);
            case VECTOR -> LazilyPersistentVector.createOwning(items);
            case LIST -> items.length == 0 ? PersistentList.EMPTY : PersistentList.create(Arrays.asList(items));
            case MAP -> items.length <= 16 ? PersistentArrayMap.createAsIfByAssoc(items) : PersistentHashMap.create(items);
            case SET -> PersistentHashSet.create(items);
            case SORTED_MAP -> PersistentTreeMap.create(comparator(), RT.seq(items));
            case SORTED_SET -> PersistentTreeSet.create(comparator(), RT.seq(items));
            case MULTIFN -> {
                ValueReader reader = ValueReader.reading();
                yield MultiFns.read((String) items[0], (clojure.lang.IFn) items[1], items[2], (clojure.lang.IRef) items[3],
                                    (clojure.lang.IPersistentMap) items[4], (clojure.lang.IPersistentMap) items[5],
                                    items.length > 6 ? (String) items[6] : null, reader == null ? null : reader.varKey());
            }
            case MEMOIZED -> ((clojure.lang.IFn) clojure.lang.RT.var("clojure.core", "memoize").deref()).invoke(items[0]);
            case PATH -> java.nio.file.Path.of((String) items[0]);
            case DELAY -> delay(items);
            case TAGGED_LITERAL -> clojure.lang.TaggedLiteral.create((Symbol) items[0], items[1]);
            case READER_CONDITIONAL -> clojure.lang.ReaderConditional.create(items[0], (Boolean) items[1]);
            case PRIMITIVE_VECTOR -> RT.var("clojure.core", "vector-of").applyTo(
                RT.cons(Keyword.intern((String) items[0]), RT.seq(Arrays.copyOfRange(items, 1, items.length))));
            case EDUCTION -> ((clojure.lang.IFn) RT.var("clojure.core", "eduction").deref()).invoke(items[0], items[1]);
            case CHARSET -> java.nio.charset.Charset.forName((String) items[0]);
            case QUEUE -> {
                PersistentQueue q = PersistentQueue.EMPTY;
                for (Object o : items) q = q.cons(o);
                yield q;
            }
        };
        if (meta != null && v instanceof IObj obj) v = obj.withMeta((IPersistentMap) meta);
        return v;
    }

    @SuppressWarnings("unchecked")
    private Comparator<Object> comparator() {
        return comparator == null ? RT.DEFAULT_COMPARATOR : (Comparator<Object>) comparator;
    }
}
