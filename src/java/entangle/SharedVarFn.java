package entangle;

import clojure.lang.AFn;
import clojure.lang.IDeref;
import clojure.lang.ISeq;
import clojure.lang.Namespace;
import clojure.lang.Symbol;
import clojure.lang.Var;

/**
 * A shared var as a Java application holds it ({@link Entangle#var}): each call goes to the
 * var's current definition on this member, which is the newest in the cluster, with no round
 * trip; {@code deref} reads its current value, as a var's does. Unlike {@code Clojure.var},
 * looking it up interns nothing, so a var that is not defined yet is not created (and shared)
 * empty: calling it or reading it says that it is not defined.
 */
final class SharedVarFn extends AFn implements IDeref {
    private final Symbol ns;
    private final Symbol name;

    SharedVarFn(String ns, String name) {
        this.ns = Symbol.intern(ns);
        this.name = Symbol.intern(name);
    }

    /** The var, as this member has it now. */
    Var var() {
        Namespace n = Namespace.find(ns);
        Var v = n == null ? null : n.findInternedVar(name);
        if (v == null || !v.isBound()) {
            throw new UndefinedVarException(ns + "/" + name);
        }
        return v;
    }

    @Override public Object invoke() { return var().invoke(); }
    @Override public Object invoke(Object a1) { return var().invoke(a1); }
    @Override public Object invoke(Object a1, Object a2) { return var().invoke(a1, a2); }
    @Override public Object invoke(Object a1, Object a2, Object a3) { return var().invoke(a1, a2, a3); }
    @Override public Object invoke(Object a1, Object a2, Object a3, Object a4) { return var().invoke(a1, a2, a3, a4); }
    @Override public Object invoke(Object a1, Object a2, Object a3, Object a4, Object a5) { return var().invoke(a1, a2, a3, a4, a5); }
    @Override public Object invoke(Object a1, Object a2, Object a3, Object a4, Object a5, Object a6) { return var().invoke(a1, a2, a3, a4, a5, a6); }
    @Override public Object invoke(Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7) { return var().invoke(a1, a2, a3, a4, a5, a6, a7); }
    @Override public Object invoke(Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8) { return var().invoke(a1, a2, a3, a4, a5, a6, a7, a8); }
    @Override public Object invoke(Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8, Object a9) { return var().invoke(a1, a2, a3, a4, a5, a6, a7, a8, a9); }
    @Override public Object invoke(Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8, Object a9, Object a10) { return var().invoke(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10); }
    @Override public Object invoke(Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8, Object a9, Object a10, Object a11) { return var().invoke(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11); }
    @Override public Object invoke(Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8, Object a9, Object a10, Object a11, Object a12) { return var().invoke(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12); }
    @Override public Object invoke(Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8, Object a9, Object a10, Object a11, Object a12, Object a13) { return var().invoke(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13); }
    @Override public Object invoke(Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8, Object a9, Object a10, Object a11, Object a12, Object a13, Object a14) { return var().invoke(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14); }
    @Override public Object invoke(Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8, Object a9, Object a10, Object a11, Object a12, Object a13, Object a14, Object a15) { return var().invoke(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15); }
    @Override public Object invoke(Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8, Object a9, Object a10, Object a11, Object a12, Object a13, Object a14, Object a15, Object a16) { return var().invoke(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16); }
    @Override public Object invoke(Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8, Object a9, Object a10, Object a11, Object a12, Object a13, Object a14, Object a15, Object a16, Object a17) { return var().invoke(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17); }
    @Override public Object invoke(Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8, Object a9, Object a10, Object a11, Object a12, Object a13, Object a14, Object a15, Object a16, Object a17, Object a18) { return var().invoke(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18); }
    @Override public Object invoke(Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8, Object a9, Object a10, Object a11, Object a12, Object a13, Object a14, Object a15, Object a16, Object a17, Object a18, Object a19) { return var().invoke(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19); }
    @Override public Object invoke(Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8, Object a9, Object a10, Object a11, Object a12, Object a13, Object a14, Object a15, Object a16, Object a17, Object a18, Object a19, Object a20) { return var().invoke(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20); }
    @Override public Object invoke(Object a1, Object a2, Object a3, Object a4, Object a5, Object a6, Object a7, Object a8, Object a9, Object a10, Object a11, Object a12, Object a13, Object a14, Object a15, Object a16, Object a17, Object a18, Object a19, Object a20, Object... rest) { return var().invoke(a1, a2, a3, a4, a5, a6, a7, a8, a9, a10, a11, a12, a13, a14, a15, a16, a17, a18, a19, a20, rest); }

    @Override public Object applyTo(ISeq args) { return var().applyTo(args); }

    /** The var's value; one that stayed on another member (it cannot travel) throws the sentence that says so. */
    @Override public Object deref() {
        Object value = var().deref();
        if (value instanceof entangle.sharing.Unshared u) throw u.error();
        return value;
    }

    @Override public String toString() { return "#'" + ns + "/" + name; }
}
