package entangle.sharing;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import clojure.lang.IFn;
import clojure.lang.MultiFn;
import clojure.lang.Util;

/**
 * A multimethod from the cluster applied where this member already has the same one: its
 * methods and preferences go into the multimethod this member holds, as {@code defmethod}
 * changes it in place where it is evaluated, so that whatever holds it (a handler map, a
 * local var, a fn that captured it) sees the methods other members add.
 */
final class Multimethods {
    private static final VarHandle NAME;
    private static final VarHandle LOCK;

    static {
        VarHandle name = null, lock = null;
        try {
            MethodHandles.Lookup l = MethodHandles.privateLookupIn(MultiFn.class, MethodHandles.lookup());
            name = l.findVarHandle(MultiFn.class, "name", String.class);
            lock = l.findVarHandle(MultiFn.class, "rw", ReentrantReadWriteLock.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // A Clojure that keeps these otherwise: each multimethod from the cluster is a new one.
        }
        NAME = name;
        LOCK = lock;
    }

    private Multimethods() {}

    /**
     * Makes {@code held}'s methods and preferences those of {@code from}, if both are the same
     * multimethod (same name, dispatch, default and hierarchy); returns false, changing nothing,
     * if they are not. A call made meanwhile waits for the change and sees it whole: the
     * multimethod's own write lock is held throughout, as each of its changes holds it.
     */
    static boolean takeTables(MultiFn held, MultiFn from) {
        if (LOCK == null || !same(held, from)) return false;
        ReentrantReadWriteLock rw = (ReentrantReadWriteLock) LOCK.get(held);
        rw.writeLock().lock();
        try {
            held.reset();
            for (Object o : (Iterable<?>) from.getMethodTable()) {
                Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
                held.addMethod(e.getKey(), (IFn) e.getValue());
            }
            for (Object o : (Iterable<?>) from.getPreferTable()) {
                Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
                for (Object y : (Iterable<?>) e.getValue()) held.preferMethod(e.getKey(), y);
            }
        } finally {
            rw.writeLock().unlock();
        }
        return true;
    }

    private static boolean same(MultiFn a, MultiFn b) {
        return Util.equals(NAME.get(a), NAME.get(b)) && sameDispatch(a.dispatchFn, b.dispatchFn)
            && Util.equiv(a.defaultDispatchVal, b.defaultDispatchVal) && a.hierarchy == b.hierarchy;
    }

    /**
     * A dispatch fn read from the cluster is a new object each time: the same one is a keyword
     * or var that is equal, or a fn of the same class that captured nothing.
     */
    private static boolean sameDispatch(IFn a, IFn b) {
        if (a == b || Util.equiv(a, b)) return true;
        if (a.getClass() != b.getClass()) return false;
        for (Class<?> c = a.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers()) && !c.getName().startsWith("clojure.lang.")) return false;
            }
        }
        return true;
    }
}
