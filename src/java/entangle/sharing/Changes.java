package entangle.sharing;

import java.util.List;

import clojure.lang.IPersistentMap;
import clojure.lang.MultiFn;
import clojure.lang.Namespace;
import clojure.lang.Var;

/**
 * What a scan found changed since this member last published or applied it ({@link Known}):
 * namespaces, named classes and vars, each with the version its record must follow (its
 * floor). {@link Scanner} finds them; {@link SharedVars} publishes them as records.
 */
record Changes(List<NsChange> namespaces, List<ClassChange> classes, List<VarChange> vars) {

    boolean isEmpty() {
        return namespaces.isEmpty() && classes.isEmpty() && vars.isEmpty();
    }

    /**
     * A var as scanned. {@code base} is the stamp of the record known for it (its version the
     * floor); {@code methods} and {@code prefers} are a multimethod's tables; of a protocol
     * whose extensions are shared ({@link ExtensionTables#extended}), {@code root} is those and
     * {@code methods} the protocol.
     */
    record VarChange(Var var, String key, VarRecord.Kind kind, Object root, IPersistentMap meta,
                     boolean dynamic, Stamp base, Object methods, Object prefers) {
        VarChange(Var var, String key, VarRecord.Kind kind, Object root, IPersistentMap meta, boolean dynamic,
                  Stamp base) {
            this(var, key, kind, root, meta, dynamic, base,
                 root instanceof MultiFn m ? m.getMethodTable() : null,
                 root instanceof MultiFn m ? m.getPreferTable() : null);
        }

        /** The removal of {@code var}'s record. */
        static VarChange removed(Var var, String key, Stamp base) {
            return new VarChange(var, key, VarRecord.Kind.REMOVED, null, null, false, base);
        }

        /** The version its record must follow. */
        long floor() {
            return base.version();
        }

        VarChange withRoot(Object newRoot) {
            return new VarChange(var, key, kind, newRoot, var.meta(), dynamic, base, methods, prefers);
        }

        VarChange unshareable() {
            return new VarChange(var, key, VarRecord.Kind.UNSHAREABLE, root, meta, dynamic, base, methods, prefers);
        }

        /** True if {@code o} is this change, found again: the same root, meta and tables. */
        boolean sameAs(VarChange o) {
            return root == o.root && meta == o.meta && methods == o.methods && prefers == o.prefers;
        }
    }

    /**
     * A namespace as scanned: {@code content} a shared one's, {@code reloaded} whether a load
     * from the classpath was a reload.
     */
    record NsChange(String name, NamespaceRecord.Kind kind, Namespace ns, NamespaceContent content,
                    long floor, boolean reloaded) {
        NsChange(String name, NamespaceRecord.Kind kind, Namespace ns, NamespaceContent content, long floor) {
            this(name, kind, ns, content, floor, false);
        }
    }

    /** A named class evaluation compiled (deftype, defrecord, definterface...), and its loader. */
    record ClassChange(String name, ClassLoader loader, long floor) {}
}
