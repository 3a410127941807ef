package entangle.sharing;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import clojure.lang.IFn;
import clojure.lang.IPersistentMap;
import clojure.lang.ISeq;
import clojure.lang.Keyword;
import clojure.lang.Namespace;
import clojure.lang.Symbol;
import clojure.lang.Var;

/**
 * What sharing does to Clojure's vars and namespaces that Clojure's own API does not do the
 * way sharing needs: read a var's meta without taking its monitor, make a var another member
 * defined whole before any thread can find it, bind a root with its watches held back until
 * the record is applied (and a macro's {@code :macro} kept), intern a var over a refer or
 * import as {@code def} does, and point every namespace that imports a named class at its
 * newest definition.
 */
final class Vars {
    private static final Keyword DECLARED = Keyword.intern("declared");
    private static final Keyword FILE = Keyword.intern("file");

    private Vars() {}

    /**
     * A var's meta, read as {@code Var.meta()} does but without taking the var's monitor, which
     * a scan would otherwise take for every var of every shared namespace. An opaque read sees
     * what this thread wrote (an evaluation publishes on its own thread) and, soon, what
     * others did; a change seen a scan late is shared by the next one.
     */
    private static final VarHandle META = metaHandle();

    private static VarHandle metaHandle() {
        try {
            return MethodHandles.privateLookupIn(clojure.lang.AReference.class,
                    MethodHandles.lookup())
                .findVarHandle(clojure.lang.AReference.class, "_meta", IPersistentMap.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // a Clojure that keeps meta otherwise: its own accessor, then
        }
    }

    /** {@code v}'s meta (see {@link #META}). */
    static IPersistentMap metaOf(Var v) {
        return META == null ? v.meta() : (IPersistentMap) META.getOpaque(v);
    }

    /** Whether {@link #metaOf} reads the field (false: this Clojure keeps meta elsewhere). */
    static boolean readsMetaDirectly() {
        return META != null;
    }

    /** The vars {@code n} interns, of its {@code mappings} (which also hold refers and imports). */
    static List<Var> internedVars(Namespace n, IPersistentMap mappings) {
        List<Var> out = new ArrayList<>();
        for (Object o : (Iterable<?>) mappings) {
            Object target = ((Map.Entry<?, ?>) o).getValue();
            if (target instanceof Var v && v.ns == n) out.add(v);
        }
        return out;
    }

    /** {@code v}'s key in the cluster's vars map, "ns/name". */
    static String key(Var v) {
        return VarRecord.key(v.ns.getName().getName(), v.sym.getName());
    }

    /**
     * True if a def or declare made {@code v}, bound or not (code that interns a var gives it
     * neither key).
     */
    static boolean defined(Var v) {
        IPersistentMap m = v.meta();
        return m != null && (m.containsKey(DECLARED) || m.containsKey(FILE));
    }

    /**
     * The var {@code ns} interns as {@code sym}, interned in place of a refer or import of that
     * name.
     */
    static Var internFresh(Namespace ns, Symbol sym) {
        Object m = ns.getMapping(sym);
        if (m instanceof Var v && v.ns == ns) return v;
        if (m != null) ns.unmap(sym); // a refer or import the definition replaces, as def does
        return ns.intern(sym);
    }

    /**
     * A root bound with the var's watches held back: they run once the record is applied and
     * the state lock released, so that a watch that takes long (user code) holds up neither
     * this member's evaluations nor the records that other members share meanwhile.
     */
    record Rebound(Var var, Object old, Object now) {
        /** Runs the watches, as bindRoot would have; returns what one threw. */
        RuntimeException notifyWatches() {
            try {
                var.notifyWatches(old, now);
                return null;
            } catch (RuntimeException e) {
                return e;
            }
        }
    }

    /**
     * Clojure's package-private constructor of a bound var, and a namespace's mappings: with
     * them a var another member defined is made whole (root, meta, dynamic flag) before any
     * thread can find it, where {@code Namespace.intern} makes it visible unbound first. Null
     * in a Clojure that lacks them (see internBound).
     */
    private static final MethodHandle NEW_VAR;
    private static final MethodHandle MAPPINGS;

    static {
        MethodHandle newVar = null;
        MethodHandle mappings = null;
        try {
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            newVar = MethodHandles.privateLookupIn(Var.class, lookup).findConstructor(Var.class,
                MethodType.methodType(void.class, Namespace.class, Symbol.class, Object.class));
            mappings = MethodHandles.privateLookupIn(Namespace.class, lookup)
                .findGetter(Namespace.class, "mappings", AtomicReference.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            newVar = null;
        }
        NEW_VAR = newVar;
        MAPPINGS = newVar == null ? null : mappings;
    }

    /**
     * A new var of {@code ns} named {@code sym} (in place of a refer or import of that name,
     * as {@code def} does) that no thread sees before it holds {@code root}, {@code meta} and
     * its dynamic flag: code compiled meanwhile finds it whole or not at all. Null if
     * {@code ns} interns a var of that name already, or came to meanwhile (bind that one), or
     * if this Clojure cannot make a var whole (intern it, then bind it).
     */
    @SuppressWarnings("unchecked")
    static Var internBound(Namespace ns, Symbol sym, Object root, IPersistentMap meta, boolean dynamic) {
        if (NEW_VAR == null) return null;
        Var made;
        AtomicReference<IPersistentMap> mappings;
        try {
            made = (Var) NEW_VAR.invoke(ns, sym, root);
            mappings = (AtomicReference<IPersistentMap>) MAPPINGS.invoke(ns);
        } catch (Throwable e) {
            throw new IllegalStateException("could not make var " + ns + "/" + sym, e);
        }
        made.setMeta(meta);
        made.setDynamic(dynamic);
        while (true) {
            IPersistentMap map = mappings.get();
            if (map.valAt(sym) instanceof Var v && v.ns == ns) return null;
            if (mappings.compareAndSet(map, map.assoc(sym, made))) return made;
        }
    }

    /**
     * Binds the root, its watches held back (null if it has none). Under the var's monitor,
     * which add-watch and remove-watch take too, so that none is lost while they are out.
     * As {@code alter-var-root} does, not {@code Var.bindRoot}, which takes {@code :macro} out
     * of the meta: a macro redefined is a macro throughout, to code compiled meanwhile (the
     * record's meta, set next, says what the var is now).
     */
    static Rebound bindRoot(Var v, Object root) {
        synchronized (v) {
            IPersistentMap watches = v.getWatches();
            if (watches.count() == 0) {
                setRoot(v, root);
                return null;
            }
            Object old = v.getRawRoot();
            for (ISeq s = watches.seq(); s != null; s = s.next()) v.removeWatch(((Map.Entry<?, ?>) s.first()).getKey());
            try {
                setRoot(v, root);
            } finally {
                // In the order they were in: the map iterates in it again.
                for (ISeq s = watches.seq(); s != null; s = s.next()) {
                    Map.Entry<?, ?> w = (Map.Entry<?, ?>) s.first();
                    v.addWatch(w.getKey(), (IFn) w.getValue());
                }
            }
            return new Rebound(v, old, root);
        }
    }

    private static void setRoot(Var v, Object root) {
        v.alterRoot(new clojure.lang.AFn() {
            @Override
            public Object invoke(Object old) {
                return root;
            }
        }, null);
    }

    /**
     * Points every namespace that imports a class of {@code c}'s name at {@code c}, as
     * deftype's own import does on the member that redefines it.
     */
    static void reimport(Class<?> c) {
        for (Object o : (Iterable<?>) Namespace.all()) {
            Namespace n = (Namespace) o;
            for (Object m : (Iterable<?>) n.getMappings()) {
                Map.Entry<?, ?> e = (Map.Entry<?, ?>) m;
                if (e.getValue() instanceof Class<?> old && old != c && old.getName().equals(c.getName())) {
                    n.importClass((Symbol) e.getKey(), c);
                }
            }
        }
    }
}
