package entangle.value;

import java.util.Map;

import clojure.java.api.Clojure;
import clojure.lang.AFn;
import clojure.lang.IFn;
import clojure.lang.IPersistentMap;
import clojure.lang.Keyword;
import clojure.lang.PersistentArrayMap;
import clojure.lang.PersistentHashMap;
import clojure.lang.RT;
import clojure.lang.Var;
import entangle.unit.Units;

/**
 * The extensions of a protocol that is not shared (one of Clojure's, or of a {@code clojure.*}
 * library: {@code Datafiable}, {@code CollReduce}, {@code IOFactory}, a JSON writer's) that
 * evaluation made: what the cluster shares of such a protocol, as a map of class to method
 * map. The extensions Clojure and the libraries make as each member loads them stay that
 * member's own.
 */
public final class Protocols {
    private static final Keyword IMPLS = Keyword.intern("impls");
    private static final Keyword METHOD_BUILDERS = Keyword.intern("method-builders");
    private static final Keyword ON_INTERFACE = Keyword.intern("on-interface");

    private Protocols() {}

    /**
     * True if {@code value} is a protocol, as defprotocol makes it: one of the two maps it can be.
     * Any other map is asked nothing, since a lookup can throw (a sorted map's comparator given a
     * keyword, a type's own valAt), and any var's value comes here.
     */
    public static boolean isProtocol(Object value) {
        if (!(value instanceof PersistentArrayMap || value instanceof PersistentHashMap)) return false;
        IPersistentMap m = (IPersistentMap) value;
        return m.containsKey(METHOD_BUILDERS) && m.containsKey(ON_INTERFACE);
    }

    /**
     * The extensions of {@code protocol} whose methods evaluation defined (at a REPL, an editor,
     * a load-file, on this member or another), by class.
     */
    public static IPersistentMap evaluatedExtensions(IPersistentMap protocol) {
        IPersistentMap out = PersistentArrayMap.EMPTY;
        if (!(protocol.valAt(IMPLS) instanceof IPersistentMap impls)) return out;
        for (Object o : (Iterable<?>) impls) {
            Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
            if (e.getValue() instanceof IPersistentMap methods && evaluated(methods)) out = out.assoc(e.getKey(), methods);
        }
        return out;
    }

    private static boolean evaluated(IPersistentMap methods) {
        for (Object o : (Iterable<?>) methods) {
            Object fn = ((Map.Entry<?, ?>) o).getValue();
            if (fn != null && Units.evaluated(fn.getClass())) return true;
        }
        return false;
    }

    /**
     * Makes the evaluated extensions of the protocol held by {@code protocolVar} those of
     * {@code extensions}, where {@code previous} were, as {@code extend} does: an extension
     * {@code previous} had and {@code extensions} lacks is removed, unless this member has
     * extended the protocol to that class again since.
     */
    public static void extend(Var protocolVar, IPersistentMap extensions, IPersistentMap previous) {
        boolean removed = false;
        if (previous != null) {
            for (Object o : (Iterable<?>) previous) {
                Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
                if (!extensions.containsKey(e.getKey()) && implsOf(protocolVar).valAt(e.getKey()) == e.getValue()) {
                    protocolVar.alterRoot(DISSOC_IMPL, RT.list(e.getKey()));
                    removed = true;
                }
            }
        }
        if (removed) RESET_METHODS.invoke(protocolVar.getRawRoot());
        IFn extend = EXTEND;
        for (Object o : (Iterable<?>) extensions) {
            Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
            if (implsOf(protocolVar).valAt(e.getKey()) != e.getValue()) {
                extend.invoke(e.getKey(), protocolVar.getRawRoot(), e.getValue());
            }
        }
    }

    private static IPersistentMap implsOf(Var protocolVar) {
        Object impls = ((IPersistentMap) protocolVar.getRawRoot()).valAt(IMPLS);
        return impls instanceof IPersistentMap m ? m : PersistentArrayMap.EMPTY;
    }

    private static final IFn EXTEND = Clojure.var("clojure.core", "extend");
    private static final IFn RESET_METHODS = Clojure.var("clojure.core", "-reset-methods");
    private static final IFn DISSOC_IMPL = new AFn() {
        @Override
        public Object invoke(Object protocol, Object c) {
            IPersistentMap p = (IPersistentMap) protocol;
            return p.assoc(IMPLS, ((IPersistentMap) p.valAt(IMPLS)).without(c));
        }
    };
}
