package entangle.value;

import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

import clojure.lang.AFn;
import clojure.lang.Atom;
import clojure.lang.IPersistentMap;
import clojure.lang.Keyword;
import clojure.lang.Namespace;
import clojure.lang.PersistentHashMap;
import clojure.lang.Symbol;
import clojure.lang.Var;
import entangle.RefusedException;
import entangle.hook.ResourceLoads;
import entangle.unit.Unit;
import entangle.unit.Units;

/**
 * The specs evaluation defines ({@code s/def}, {@code s/fdef}): what the cluster shares of
 * clojure.spec.alpha's registry, a map of keyword or symbol to spec held by one atom on each
 * member. A fn defined on one member that checks a spec finds it on every member. The specs a
 * library defines as each member loads it stay that member's own, as its vars do. A spec
 * travels as a value (see {@link Instance}): its preds run the defining member's bytecode.
 *
 * <p>Which keys evaluation set cannot be told from a spec (one made of {@code pos-int?} holds
 * only Clojure's classes), so a watch on the registry notes them as they change: on a thread
 * that is loading a namespace from the classpath, a key becomes the load's; on any other
 * (an evaluation, a future, entangle applying another member's specs), evaluation's.
 *
 * <p>The registry travels whole, as the other tables do, but a spec at a time: each spec's
 * bytes are kept for the spec on the member that wrote them and for the bytes on the members
 * that read them, so that a change of one spec among hundreds writes and reads that one.
 */
public final class Specs {
    /** The var whose atom is the registry. */
    public static final String REGISTRY = "clojure.spec.alpha/registry-ref";
    /** The namespace that holds it. */
    public static final String NAMESPACE = "clojure.spec.alpha";

    private static final Keyword WATCH_KEY = Keyword.intern("entangle", "evaluated-specs");
    private static final Object NONE = new Object();
    /** Keys evaluation set (or removed) on this member, or that came from the cluster. */
    private static final Set<Object> EVALUATED = ConcurrentHashMap.newKeySet();
    private static volatile Atom registry;

    private Specs() {}

    /** True if {@code root} is the registry this member watches. */
    public static boolean isRegistry(Object root) {
        return root != null && root == registry;
    }

    /** The registry's map as it is now (the root of its var stays the same atom). */
    public static Object state(Object registryAtom) {
        return ((Atom) registryAtom).deref();
    }

    /**
     * Starts noting which keys evaluation sets, once clojure.spec.alpha is loaded (call it again
     * after each load of it: a reload keeps the atom, defonce'd, and its watch).
     */
    public static synchronized void track() {
        Namespace ns = Namespace.find(Symbol.intern(NAMESPACE));
        Var v = ns == null ? null : ns.findInternedVar(Symbol.intern("registry-ref"));
        if (v == null || !(v.getRawRoot() instanceof Atom a) || a == registry) return;
        a.addWatch(WATCH_KEY, WATCH);
        registry = a;
    }

    /** The entries of the registry that evaluation set, by key. */
    public static IPersistentMap evaluatedEntries(Object registryAtom) {
        IPersistentMap now = (IPersistentMap) state(registryAtom);
        IPersistentMap out = PersistentHashMap.EMPTY;
        for (Object k : EVALUATED) {
            Object spec = now.valAt(k, NONE);
            if (spec != NONE) out = out.assoc(k, spec);
        }
        return out;
    }

    /**
     * Makes the registry's evaluated entries those of {@code entries}, where {@code previous}
     * were: an entry {@code previous} had and {@code entries} lacks is removed, unless this
     * member has set that key again since.
     */
    public static void extend(Object registryAtom, IPersistentMap entries, IPersistentMap previous) {
        ((Atom) registryAtom).swap(new AFn() {
            @Override
            public Object invoke(Object held) {
                IPersistentMap r = (IPersistentMap) held;
                if (previous != null) {
                    for (Object o : (Iterable<?>) previous) {
                        Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
                        if (!entries.containsKey(e.getKey()) && r.valAt(e.getKey()) == e.getValue()) {
                            r = r.without(e.getKey());
                        }
                    }
                }
                for (Object o : (Iterable<?>) entries) {
                    Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
                    if (r.valAt(e.getKey(), NONE) != e.getValue()) r = r.assoc(e.getKey(), e.getValue());
                }
                return r;
            }
        });
    }

    /** The bytes written for each spec, while it is in use. */
    private static final Map<Object, ValueWriter.Written> WRITTEN = new WeakHashMap<>();
    /** The spec read for each key, with the bytes it was read from, as of the last read. */
    private static volatile Map<Object, Read> lastRead = Map.of();

    private record Read(byte[] bytes, Object spec) {}

    /**
     * Writes the registry's evaluated entries: a map of key to the bytes of its spec, and the
     * units the specs need. Refuses, as {@link ValueWriter#write} does, an entry that cannot travel.
     */
    public static synchronized ValueWriter.Written write(IPersistentMap entries, Units units) throws UnshareableValueException {
        IPersistentMap bytes = PersistentHashMap.EMPTY;
        Set<Unit> needed = new LinkedHashSet<>();
        for (Object o : (Iterable<?>) entries) {
            Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
            ValueWriter.Written w = WRITTEN.get(e.getValue());
            if (w == null) {
                w = ValueWriter.write(e.getValue(), units);
                WRITTEN.put(e.getValue(), w);
            }
            bytes = bytes.assoc(e.getKey(), w.bytes());
            needed.addAll(w.units());
        }
        ValueWriter.Written table = ValueWriter.write(bytes, units);
        needed.addAll(table.units());
        return new ValueWriter.Written(table.bytes(), needed);
    }

    /** Reads what {@link #write} wrote: the entries, a spec read before taken again for the same bytes. */
    public static IPersistentMap read(byte[] table, Units units) throws RefusedException {
        if (!(ValueReader.read(table, units, REGISTRY) instanceof IPersistentMap bytes)) {
            throw new RefusedException("clojure.spec's registry is not a map of specs");
        }
        Map<Object, Read> before = lastRead;
        Map<Object, Read> now = new ConcurrentHashMap<>();
        IPersistentMap out = PersistentHashMap.EMPTY;
        for (Object o : (Iterable<?>) bytes) {
            Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
            if (!(e.getValue() instanceof byte[] b)) throw new RefusedException("the spec " + e.getKey() + " is not bytes");
            Read r = before.get(e.getKey());
            if (r == null || !Arrays.equals(r.bytes(), b)) r = new Read(b, ValueReader.read(b, units, REGISTRY));
            now.put(e.getKey(), r);
            out = out.assoc(e.getKey(), r.spec());
        }
        lastRead = now;
        return out;
    }

    private static final AFn WATCH = new AFn() {
        @Override
        public Object invoke(Object key, Object ref, Object oldState, Object newState) {
            IPersistentMap before = (IPersistentMap) oldState;
            IPersistentMap after = (IPersistentMap) newState;
            if (ResourceLoads.inProgress()) {
                // A library's spec of a key evaluation set before: the library's now, as its vars are.
                EVALUATED.removeIf(k -> before.valAt(k, NONE) != after.valAt(k, NONE));
                return null;
            }
            for (Object o : (Iterable<?>) after) {
                Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
                if (before.valAt(e.getKey(), NONE) != e.getValue()) EVALUATED.add(e.getKey());
            }
            for (Object o : (Iterable<?>) before) {
                Object k = ((Map.Entry<?, ?>) o).getKey();
                if (!after.containsKey(k)) EVALUATED.add(k);
            }
            return null;
        }
    };
}
