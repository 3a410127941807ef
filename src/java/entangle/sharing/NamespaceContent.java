package entangle.sharing;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import clojure.lang.IPersistentMap;
import clojure.lang.Namespace;
import clojure.lang.RT;
import clojure.lang.Symbol;
import clojure.lang.Util;
import clojure.lang.Var;

/**
 * What a namespace is besides the vars it interns: its aliases, the vars it refers from other
 * namespaces, the classes it imports beyond the default ones, and its meta. Two members agree
 * on a namespace when they agree on this.
 */
record NamespaceContent(Map<String, String> aliases, Map<String, String> refers,
                        Map<String, String> imports, IPersistentMap meta) {

    static NamespaceContent of(Namespace ns) {
        Map<String, String> aliases = new TreeMap<>();
        for (Object o : (Iterable<?>) ns.getAliases()) {
            Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
            aliases.put(((Symbol) e.getKey()).getName(), ((Namespace) e.getValue()).getName().getName());
        }
        Map<String, String> refers = new TreeMap<>();
        Map<String, String> imports = new TreeMap<>();
        for (Object o : (Iterable<?>) ns.getMappings()) {
            Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
            Symbol sym = (Symbol) e.getKey();
            Object target = e.getValue();
            if (target instanceof Var v && v.ns != ns) {
                refers.put(sym.getName(), v.ns.getName().getName() + "/" + v.sym.getName());
            } else if (target instanceof Class<?> c && RT.DEFAULT_IMPORTS.valAt(sym) != c) {
                imports.put(sym.getName(), c.getName());
            }
        }
        return new NamespaceContent(aliases, refers, imports, ns.meta());
    }

    /** A namespace's content made of {@code tables} (as {@link #tables} gives them) and {@code meta}. */
    static NamespaceContent of(List<IPersistentMap> tables, IPersistentMap meta) {
        return new NamespaceContent(Merge.strings(tables.get(0)), Merge.strings(tables.get(1)),
                                    Merge.strings(tables.get(2)), meta);
    }

    /** What {@code r} holds, with its meta read as {@code meta}. */
    static NamespaceContent of(NamespaceRecord r, IPersistentMap meta) {
        return new NamespaceContent(r.aliases(), r.refers(), r.imports(), meta);
    }

    /** The aliases, refers and imports, as tables (see {@link Merge}). */
    List<IPersistentMap> tables() {
        return List.of(Merge.table(aliases), Merge.table(refers), Merge.table(imports));
    }

    /**
     * This content without the aliases, refers and imports that {@code own} (may be null) holds
     * as they are here.
     */
    NamespaceContent without(NamespaceContent own) {
        if (own == null) return this;
        return new NamespaceContent(minus(aliases, own.aliases), minus(refers, own.refers), minus(imports, own.imports),
                                    meta);
    }

    private static Map<String, String> minus(Map<String, String> table, Map<String, String> own) {
        Map<String, String> out = new TreeMap<>(table);
        out.entrySet().removeIf(e -> e.getValue().equals(own.get(e.getKey())));
        return out;
    }

    boolean sameAs(NamespaceContent o) {
        return o != null && aliases.equals(o.aliases) && refers.equals(o.refers) && imports.equals(o.imports)
            && Util.equiv(meta, o.meta);
    }
}
