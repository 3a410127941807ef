package entangle.sharing;

import java.io.ObjectStreamException;
import java.io.Serializable;

import clojure.lang.ARef;
import clojure.lang.IAtom2;
import clojure.lang.IFn;
import clojure.lang.IPersistentMap;
import clojure.lang.IPersistentVector;
import clojure.lang.IRef;
import clojure.lang.ISeq;
import clojure.lang.LazilyPersistentVector;

/**
 * An atom whose one value is the cluster's: what an atom held by a var in a shared namespace
 * becomes. swap!, reset!, compare-and-set!, swap-vals! and reset-vals! are atomic across
 * members (compare-and-set on the cluster's copy, retried as Atom retries); its validator is
 * the cluster's; a watch fires on the member that added it, for changes made on any member.
 * deref reads the cluster's copy, so it sees every change that returned before it started.
 */
public final class ClusterAtom extends ARef implements IAtom2, Serializable {
    private final String id;
    private volatile String name; // learnt from the cluster's state by a member that did not make it
    private final transient ClusterAtoms home;

    ClusterAtom(String id, String name, ClusterAtoms home, IPersistentMap meta) {
        super(meta);
        this.id = id;
        this.name = name;
        this.home = home;
    }

    public String id() { return id; }

    /** The var it was made for, as "#'ns/name", for messages. */
    public String name() { return name; }

    void named(String n) {
        if (n != null) name = n;
    }

    /**
     * Named after {@code var}, which holds it here, until the cluster's state names the var it
     * was made for: what an operation says before its first read (one waiting for a member)
     * names the var the user knows it by, not the atom's id.
     */
    void heldBy(String var) {
        if (name.equals(ClusterAtoms.UNNAMED + id)) name = var;
    }

    @Override
    public Object deref() {
        return home.read(this).value();
    }

    @Override
    public Object swap(IFn f) {
        return home.swap(this, f::invoke, false).nth(1);
    }

    @Override
    public Object swap(IFn f, Object arg) {
        return home.swap(this, v -> f.invoke(v, arg), false).nth(1);
    }

    @Override
    public Object swap(IFn f, Object arg1, Object arg2) {
        return home.swap(this, v -> f.invoke(v, arg1, arg2), false).nth(1);
    }

    @Override
    public Object swap(IFn f, Object x, Object y, ISeq args) {
        return home.swap(this, v -> f.applyTo(clojure.lang.RT.listStar(v, x, y, args)), false).nth(1);
    }

    @Override
    public IPersistentVector swapVals(IFn f) {
        return home.swap(this, f::invoke, false);
    }

    @Override
    public IPersistentVector swapVals(IFn f, Object arg) {
        return home.swap(this, v -> f.invoke(v, arg), false);
    }

    @Override
    public IPersistentVector swapVals(IFn f, Object arg1, Object arg2) {
        return home.swap(this, v -> f.invoke(v, arg1, arg2), false);
    }

    @Override
    public IPersistentVector swapVals(IFn f, Object x, Object y, ISeq args) {
        return home.swap(this, v -> f.applyTo(clojure.lang.RT.listStar(v, x, y, args)), false);
    }

    @Override
    public Object reset(Object newval) {
        return home.swap(this, v -> newval, false).nth(1);
    }

    @Override
    public IPersistentVector resetVals(Object newv) {
        return home.swap(this, v -> newv, false);
    }

    /** Sets the value if the cluster's current value is identical to {@code oldv}, as read here. */
    @Override
    public boolean compareAndSet(Object oldv, Object newv) {
        return home.compareAndSet(this, oldv, newv);
    }

    /** Sets the validator of the cluster's atom: every member's changes are checked by it. */
    @Override
    public void setValidator(IFn vf) {
        home.setValidator(this, vf);
    }

    @Override
    public IFn getValidator() {
        return home.read(this).validator();
    }

    @Override
    public IRef addWatch(Object key, IFn callback) {
        super.addWatch(key, callback);
        home.watch(this);
        return this;
    }

    void changed(Object oldval, Object newval) {
        notifyWatches(oldval, newval);
    }

    static IPersistentVector pair(Object oldv, Object newv) {
        return LazilyPersistentVector.createOwning(oldv, newv);
    }

    private Object writeReplace() throws ObjectStreamException {
        return new AtomRef(id);
    }
}
