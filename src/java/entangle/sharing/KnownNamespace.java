package entangle.sharing;

import java.util.List;
import java.util.Map;

import clojure.lang.IPersistentMap;
import clojure.lang.Namespace;
import clojure.lang.Var;

/**
 * A shared namespace as this member last published or applied it: what a scan compares the
 * namespace with, what it held before this member joined, and the stamp a record must replace
 * to be applied (held in {@link Known}, under its lock).
 */
final class KnownNamespace {
    Namespace ns;
    IPersistentMap mappings;
    IPersistentMap aliases;
    IPersistentMap meta;
    NamespaceContent content;
    List<Var> interned = List.of();
    private List<Var> knownFor;
    private KnownVar[] known;
    NamespaceRecord.Kind kind;
    /** The record applied or published here. */
    Stamp stamp;
    /** This member's last write of the namespace's tables, while a record may not have seen it. */
    Merge.Own own;
    /** Set when the namespace has changes the record last applied lacks: the next scan looks. */
    boolean unpublished;
    /**
     * What the namespace held before this member joined (a REPL's doc and pprint, what a
     * user.clj required): this JVM's own, as in any REPL, kept when a record lacks it and
     * left out of the records this member writes.
     */
    NamespaceContent beforeJoining;

    KnownNamespace(NamespaceRecord.Kind kind, Stamp stamp) {
        this.kind = kind;
        this.stamp = stamp;
    }

    long version() {
        return stamp.version();
    }

    /** Loaded here from the classpath: not a namespace this member could not load (not on its classpath). */
    boolean loadedFromClasspath() {
        return kind == NamespaceRecord.Kind.CLASSPATH && ns != null;
    }

    void capture(Namespace n, NamespaceContent c) {
        IPersistentMap m = n.getMappings();
        capture(n, c, m, Vars.internedVars(n, m));
    }

    /** As {@link #capture(Namespace, NamespaceContent)}, with the vars {@code m} interns in {@code n}. */
    void capture(Namespace n, NamespaceContent c, IPersistentMap m, List<Var> vars) {
        ns = n;
        mappings = m;
        aliases = n.getAliases();
        meta = n.meta();
        content = c;
        interned = vars;
        unpublished = false;
    }

    /**
     * What is known of each of {@code interned}, by index, filled in as the scan finds it:
     * a scan looks at every var of every shared namespace, and building each one's key to
     * look it up made an eval at a member holding 10,000 vars take 4 ms longer.
     */
    KnownVar[] knownOfInterned() {
        if (knownFor != interned) {
            KnownVar[] now = new KnownVar[interned.size()];
            if (known != null) {
                // A def of a new var changes the mappings: what was known stays known.
                Map<Var, KnownVar> was = new java.util.IdentityHashMap<>(known.length);
                for (int i = 0; i < known.length; i++) if (known[i] != null) was.put(knownFor.get(i), known[i]);
                for (int i = 0; i < now.length; i++) now[i] = was.get(interned.get(i));
            }
            known = now;
            knownFor = interned;
        }
        return known;
    }

    boolean identical(Namespace n) {
        return !unpublished && ns == n && mappings == n.getMappings() && aliases == n.getAliases() && meta == n.meta();
    }
}
