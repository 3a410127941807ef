package entangle.value;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.ref.WeakReference;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.UnaryOperator;

import clojure.lang.IFn;
import clojure.lang.IPersistentMap;
import clojure.lang.IRef;
import clojure.lang.MultiFn;
import clojure.lang.Namespace;
import clojure.lang.Symbol;
import clojure.lang.Util;
import clojure.lang.Var;
import entangle.unit.Units;

/**
 * A multimethod is one object on each member, whatever holds it: the root of its var, a map
 * of handlers, a fn that captured it. defmethod changes it in place where it is evaluated, so
 * all of those see the new method; a member that applies the var's record changes its own
 * multimethod in place the same way, and a value from the cluster that holds the multimethod
 * of a var holds this member's. A multimethod is the same one as another when its var's key,
 * name, dispatch, default and hierarchy are.
 */
public final class MultiFns {
    private static final VarHandle NAME;
    private static final VarHandle LOCK;

    static {
        VarHandle name = null, lock = null;
        try {
            MethodHandles.Lookup l = MethodHandles.privateLookupIn(MultiFn.class, MethodHandles.lookup());
            name = l.findVarHandle(MultiFn.class, "name", String.class);
            lock = l.findVarHandle(MultiFn.class, "rw", ReentrantReadWriteLock.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // A Clojure that keeps these otherwise: each multimethod read is a new one, as before.
        }
        NAME = name;
        LOCK = lock;
    }

    /**
     * Multimethods read inside values before their var's record was applied here (a joining
     * member reads every record before it applies them): the var's record then takes this one.
     */
    private static final Map<String, WeakReference<MultiFn>> AWAITING_VAR = new ConcurrentHashMap<>();

    private MultiFns() {}

    static String name(MultiFn m) {
        return NAME == null ? "multifn" : (String) NAME.get(m);
    }

    /** The key ("ns/name") of the var whose root {@code m} is, or null. */
    static String varOf(MultiFn m) {
        if (NAME == null) return null;
        Symbol sym = Symbol.intern(name(m));
        for (Object o : (Iterable<?>) Namespace.all()) {
            Var v = ((Namespace) o).findInternedVar(sym);
            if (v != null && v.getRawRoot() == m) return v.ns.getName().getName() + "/" + sym.getName();
        }
        return null;
    }

    /**
     * The multimethod a value read here holds: this member's own for {@code varKey} if it has
     * the same one, else a new one with the tables the value carried (and, until the var's
     * record comes, the one every other value read here for that var gets too). Within the
     * var's own record ({@code varKey} equal to {@code reading}) always a new one, whose tables
     * {@link #applied} puts in place.
     */
    static MultiFn read(String name, IFn dispatch, Object dflt, IRef hierarchy, IPersistentMap methods,
                        IPersistentMap prefers, String varKey, String reading) {
        if (varKey == null || varKey.equals(reading) || LOCK == null) {
            return make(name, dispatch, dflt, hierarchy, methods, prefers);
        }
        Var v = Var.find(Symbol.intern(varKey));
        if (v != null && v.getRawRoot() instanceof MultiFn held && same(held, name, dispatch, dflt, hierarchy)) return held;
        MultiFn[] made = new MultiFn[1];
        AWAITING_VAR.compute(varKey, (k, was) -> {
            MultiFn w = was == null ? null : was.get();
            made[0] = w != null && same(w, name, dispatch, dflt, hierarchy) ? w
                : make(name, dispatch, dflt, hierarchy, methods, prefers);
            return made[0] == w ? was : new WeakReference<>(made[0]);
        });
        return made[0];
    }

    private static MultiFn make(String name, IFn dispatch, Object dflt, IRef hierarchy, IPersistentMap methods,
                                IPersistentMap prefers) {
        MultiFn m = new MultiFn(name, dispatch, dflt, hierarchy);
        copyTables(m, methods, prefers);
        return m;
    }

    /**
     * The multimethod var {@code varKey} is to hold, its record read as {@code read}: this
     * member's same one, or {@code read} itself. The same one held by the var ({@code root})
     * gets the tables {@code merge} makes of its own (see entangle.sharing.Merge); one read in
     * values before the record came gets the record's.
     */
    public static MultiFn applied(String varKey, MultiFn read, Object root,
                                  UnaryOperator<List<IPersistentMap>> merge) {
        MultiFn target = root instanceof MultiFn held && held != read && same(held, read) ? held : null;
        WeakReference<MultiFn> awaiting = AWAITING_VAR.remove(varKey);
        if (target == null && awaiting != null) {
            MultiFn w = awaiting.get();
            if (w != null && w != read && same(w, read)) target = w;
        }
        if (target == null) return read;
        ReentrantReadWriteLock rw = (ReentrantReadWriteLock) LOCK.get(target);
        // Held throughout, as each of the multimethod's own changes holds it: a call made
        // meanwhile waits, then sees the new tables whole.
        rw.writeLock().lock();
        try {
            List<IPersistentMap> tables = target == root
                ? merge.apply(List.of(target.getMethodTable(), target.getPreferTable()))
                : List.of(read.getMethodTable(), read.getPreferTable());
            target.reset();
            copyTables(target, tables.get(0), tables.get(1));
        } finally {
            rw.writeLock().unlock();
        }
        return target;
    }

    /**
     * The methods of {@code m} that evaluation defined (at a REPL, an editor, a load-file, on
     * this member or another), by dispatch value: of a multimethod of Clojure's own, what the
     * cluster shares; the rest are Clojure's and the libraries' each member loads itself.
     */
    public static IPersistentMap evaluatedMethods(MultiFn m) {
        IPersistentMap out = clojure.lang.PersistentArrayMap.EMPTY;
        for (Object o : (Iterable<?>) m.getMethodTable()) {
            Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
            if (Units.evaluated(e.getValue().getClass())) out = out.assoc(e.getKey(), e.getValue());
        }
        return out;
    }

    /**
     * Makes the evaluated methods of {@code m} those of {@code methods}, where {@code previous}
     * were: a method {@code previous} had and {@code methods} lacks is removed, unless this
     * member has put another in its place since.
     */
    public static void extend(MultiFn m, IPersistentMap methods, IPersistentMap previous) {
        if (previous != null) {
            for (Object o : (Iterable<?>) previous) {
                Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
                if (!methods.containsKey(e.getKey()) && m.getMethodTable().valAt(e.getKey()) == e.getValue()) {
                    m.removeMethod(e.getKey());
                }
            }
        }
        for (Object o : (Iterable<?>) methods) {
            Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
            if (m.getMethodTable().valAt(e.getKey()) != e.getValue()) m.addMethod(e.getKey(), (IFn) e.getValue());
        }
    }

    private static void copyTables(MultiFn m, IPersistentMap methods, IPersistentMap prefers) {
        for (Object o : (Iterable<?>) methods) {
            Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
            m.addMethod(e.getKey(), (IFn) e.getValue());
        }
        for (Object o : (Iterable<?>) prefers) {
            Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
            for (Object y : (Iterable<?>) e.getValue()) m.preferMethod(e.getKey(), y);
        }
    }

    private static boolean same(MultiFn a, MultiFn b) {
        return same(a, name(b), b.dispatchFn, b.defaultDispatchVal, b.hierarchy);
    }

    private static boolean same(MultiFn a, String name, IFn dispatch, Object dflt, IRef hierarchy) {
        return Util.equals(name(a), name) && sameDispatch(a.dispatchFn, dispatch)
            && Util.equiv(a.defaultDispatchVal, dflt) && a.hierarchy == hierarchy;
    }

    /**
     * A dispatch fn read from the cluster is a new object each time: the same one is a keyword
     * or var that is equal, or a fn of the same class that captured nothing.
     */
    private static boolean sameDispatch(IFn a, IFn b) {
        if (a == b || Util.equiv(a, b)) return true;
        if (a.getClass() != b.getClass()) return false;
        for (Class<?> c = a.getClass(); c != null && !c.getName().startsWith("clojure.lang."); c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers())) return false;
            }
        }
        return true;
    }
}
