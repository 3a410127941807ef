package entangle.sharing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import clojure.lang.IPersistentMap;
import clojure.lang.Namespace;
import clojure.lang.Symbol;
import clojure.lang.Var;
import entangle.RefusedException;
import entangle.sharing.Applier.Fresh;
import entangle.unit.Units;
import entangle.value.ValueReader;

/**
 * Applies other members' namespace records here, for {@link Applier}: a shared namespace's
 * aliases, refers, imports and meta, with what it aliases and refers to made first; a
 * classpath namespace required or reloaded from this member's classpath; a local or removed
 * one as its record says. Where this member holds changes to a namespace's tables that the
 * record lacks (see {@link Merge}), it keeps them under the record's.
 */
final class NamespaceApplier {
    /** Applies var records: those of a batch that a namespace refers to come before its refers. */
    interface Vars {
        void apply(List<String> keys, List<byte[]> bytes, boolean fromMaps);
    }

    private final SharingPolicy policy;
    private final Units units;
    private final Known known;
    private final Classpath classpath;
    private final Consumer<String> warn;
    private final Vars vars;
    private final SharedVars.Cluster cluster;
    /** The version of the last reloaded record applied here, by namespace (see reloadsHere). */
    private final Map<String, Long> reloaded = new ConcurrentHashMap<>();

    NamespaceApplier(SharingPolicy policy, Units units, Known known, Classpath classpath, Consumer<String> warn,
                     Vars vars, SharedVars.Cluster cluster) {
        this.policy = policy;
        this.units = units;
        this.known = known;
        this.classpath = classpath;
        this.warn = warn;
        this.vars = vars;
        this.cluster = cluster;
    }

    /**
     * Applies {@code records} (of {@code batch}; {@code all}: every namespace record of it, by
     * name), classpath namespaces first: shared ones may alias or refer to them.
     */
    void apply(List<Fresh<NamespaceRecord>> records, Map<String, Fresh<NamespaceRecord>> all, Batch batch,
               boolean fromMaps) {
        List<Fresh<NamespaceRecord>> ordered = new ArrayList<>();
        for (Fresh<NamespaceRecord> f : records) if (f.record().kind() == NamespaceRecord.Kind.CLASSPATH) ordered.add(f);
        for (Fresh<NamespaceRecord> f : records) if (f.record().kind() != NamespaceRecord.Kind.CLASSPATH) ordered.add(f);
        Set<String> done = new HashSet<>();
        Map<String, Integer> varAt = new HashMap<>();
        for (int i = 0; i < batch.varKeys().size(); i++) varAt.put(batch.varKeys().get(i), i);
        for (Fresh<NamespaceRecord> f : ordered) applyNamespace(f, all, done, batch, varAt, fromMaps);
    }

    /** True for the record of a namespace made with nothing in it: no alias, refer, import or meta. */
    private static boolean madeEmpty(NamespaceRecord r, IPersistentMap meta) {
        return r.aliases().isEmpty() && r.refers().isEmpty() && r.imports().isEmpty() && (meta == null || meta.count() == 0);
    }

    private void applyNamespace(Fresh<NamespaceRecord> f, Map<String, Fresh<NamespaceRecord>> all, Set<String> done,
                                Batch batch, Map<String, Integer> varAt, boolean fromMaps) {
        NamespaceRecord r = f.record();
        if (!done.add(r.name()) || SharingPolicy.never(r.name())) return;
        if (r.kind() == NamespaceRecord.Kind.CLASSPATH) {
            if (r.reloaded() && reloadsHere(r)) {
                classpath.load(r.name(), true, "reloaded on member " + r.origin().shownAt(cluster),
                     "reload " + r.name() + " " + r.version());
            } else {
                classpath.require(r.name(), "required on member " + r.origin().shownAt(cluster));
            }
        }
        IPersistentMap meta = null;
        if (r.kind() == NamespaceRecord.Kind.SHARED) {
            // What it aliases and refers to must exist first: shared, or from the classpath.
            Set<String> targets = new LinkedHashSet<>(r.aliases().values());
            for (String ref : r.refers().values()) targets.add(ref.substring(0, ref.indexOf('/')));
            for (String t : targets) {
                if (t.equals(r.name()) || Namespace.find(Symbol.intern(t)) != null) continue;
                Fresh<NamespaceRecord> dep = all.get(t);
                if (dep != null) applyNamespace(dep, all, done, batch, varAt, fromMaps);
                else classpath.require(t, "used by namespace " + r.name());
            }
            applyReferredVars(r, batch, varAt, fromMaps);
            try {
                meta = r.meta() == null ? null : ValueReader.readMeta(r.meta(), units);
            } catch (RefusedException | ClassCastException e) {
                warn.accept("the meta of namespace " + r.name() + " from member " + r.origin().shownAt(cluster)
                    + " was refused: " + e.getMessage() + "; the namespace is shared without it.");
            }
        }
        known.lock();
        try {
            KnownNamespace kn = known.namespaces.get(r.name());
            Symbol sym = Symbol.intern(r.name());
            if (kn != null && !f.stamp().replaces(kn.stamp, fromMaps)) {
                crossed(kn, r, meta);
                return;
            }
            if (kn == null) {
                kn = new KnownNamespace(r.kind(), f.stamp());
                known.namespaces.put(r.name(), kn);
            }
            // What this member knew of the namespace's tables, and wrote last: kept under the record's.
            Namespace here = Namespace.find(sym);
            NamespaceContent knew = kn.kind == NamespaceRecord.Kind.SHARED && here != null && kn.ns == here ? kn.content : null;
            Merge.Own own = kn.own;
            if (own != null && !own.unseenBy(r.base())) kn.own = null;
            kn.stamp = f.stamp();
            kn.kind = r.kind();
            switch (r.kind()) {
                case SHARED -> {
                    // An opt-in travels with the namespace.
                    if (!SharingPolicy.sharedByDefault(r.name())) policy.markShared(r.name(), true);
                    if (policy.sharedName(r.name())) {
                        Namespace n = Namespace.findOrCreate(sym);
                        NamespaceContent theirs = NamespaceContent.of(r, meta);
                        NamespaceContent held = theirs;
                        if (knew != null) {
                            List<IPersistentMap> merged = Merge.applied(theirs.tables(), r.base(), own, knew.tables(),
                                                                        NamespaceContent.of(n).tables());
                            // The meta travels whole: this member's change to it stays until published.
                            IPersistentMap m = clojure.lang.Util.equiv(n.meta(), knew.meta()) ? meta : n.meta();
                            held = NamespaceContent.of(merged, m);
                        }
                        reconcile(n, r.name(), held, held.meta(), kn.beforeJoining);
                        // As the ns form made it on its member; not a namespace made empty
                        // (create-ns, an :as-alias target), which a require must still load.
                        if (!madeEmpty(r, meta)) Classpath.markLoaded(sym);
                        NamespaceContent now = NamespaceContent.of(n);
                        if (held.sameAs(theirs)) {
                            kn.capture(n, now);
                        } else {
                            // KnownVar as the record would have left it here: the next scan sees
                            // this member's changes, and only those, against it.
                            kn.capture(n, NamespaceContent.of(Merge.redo(now.tables(), held.tables(), theirs.tables()), meta));
                            known.unpublished(r.name(), kn);
                        }
                    }
                }
                case CLASSPATH -> {
                    Namespace n = Namespace.find(sym);
                    if (n != null) known.baseline(n, NamespaceRecord.Kind.CLASSPATH);
                }
                case LOCAL -> policy.markLocal(r.name(), true);
                case REMOVED -> {
                    if (policy.sharedName(r.name())) Namespace.remove(sym);
                    kn.ns = null;
                    kn.interned = List.of();
                }
            }
        } finally {
            known.unlock();
        }
    }

    /**
     * Applies the vars of {@code batch} that namespace record {@code r} refers to and this
     * member lacks, before the refers are made: a refer names the var it finds or interns, and
     * one interned for it would be seen unbound until its record's turn came (at the member
     * that wrote them, the refer could not be made before the var was).
     */
    private void applyReferredVars(NamespaceRecord r, Batch batch, Map<String, Integer> varAt, boolean fromMaps) {
        List<String> keys = new ArrayList<>();
        List<byte[]> bytes = new ArrayList<>();
        for (String target : r.refers().values()) {
            Integer at = varAt.get(target);
            if (at == null) continue;
            int slash = target.indexOf('/');
            Namespace tns = Namespace.find(Symbol.intern(target.substring(0, slash)));
            if (tns == null || tns.findInternedVar(Symbol.intern(target.substring(slash + 1))) != null) continue;
            keys.add(target);
            bytes.add(batch.vars().get(at));
        }
        // Applied again with the rest of the batch, they are skipped as what this member has.
        if (!keys.isEmpty()) vars.apply(keys, bytes, fromMaps);
    }

    /** As {@link Applier}'s {@code crossed} of a var, for a namespace's tables. */
    private void crossed(KnownNamespace kn, NamespaceRecord r, IPersistentMap meta) {
        Merge.Own own = kn.own;
        Namespace n = kn.ns;
        if (own == null || n == null || kn.kind != NamespaceRecord.Kind.SHARED || r.kind() != NamespaceRecord.Kind.SHARED
            || Namespace.find(n.getName()) != n || r.base() != own.baseVersion() || r.version() >= own.version()) {
            return;
        }
        NamespaceContent now = NamespaceContent.of(n);
        List<IPersistentMap> held = Merge.redo(NamespaceContent.of(r, meta).tables(), own.base(), now.tables());
        reconcile(n, r.name(), NamespaceContent.of(held, n.meta()), null, kn.beforeJoining);
        known.unpublished(r.name(), kn);
    }

    /**
     * Makes {@code n}'s aliases, refers, imports and meta those of {@code r}, namespace {@code
     * name}'s, but for those {@code r} lacks that {@code own} (what the namespace held before
     * this member joined; may be null) holds as they are.
     */
    private void reconcile(Namespace n, String name, NamespaceContent r, IPersistentMap meta, NamespaceContent own) {
        if (meta != null) n.resetMeta(meta);
        for (Object o : (Iterable<?>) n.getAliases()) {
            Symbol alias = (Symbol) ((Map.Entry<?, ?>) o).getKey();
            String target = ((Namespace) ((Map.Entry<?, ?>) o).getValue()).getName().getName();
            String theirs = r.aliases().get(alias.getName());
            if (!target.equals(theirs) && !(theirs == null && own != null && heldAs(own.aliases(), alias, target))) {
                n.removeAlias(alias);
            }
        }
        for (Map.Entry<String, String> a : r.aliases().entrySet()) {
            Namespace target = Namespace.find(Symbol.intern(a.getValue()));
            if (target == null) continue; // reported when it failed to load
            Symbol alias = Symbol.intern(a.getKey());
            if (n.lookupAlias(alias) != target) {
                n.removeAlias(alias);
                n.addAlias(alias, target);
            }
        }
        for (Object o : (Iterable<?>) n.getMappings()) {
            Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
            Symbol sym = (Symbol) e.getKey();
            Object target = e.getValue();
            if (target instanceof Var v && v.ns != n && !r.refers().containsKey(sym.getName())
                && !(own != null && heldAs(own.refers(), sym, v.ns.getName().getName() + "/" + v.sym.getName()))) {
                n.unmap(sym);
            }
            if (target instanceof Class<?> c && clojure.lang.RT.DEFAULT_IMPORTS.valAt(sym) != c
                && !r.imports().containsKey(sym.getName()) && !(own != null && heldAs(own.imports(), sym, c.getName()))) {
                n.unmap(sym);
            }
        }
        for (Map.Entry<String, String> ref : r.refers().entrySet()) {
            Symbol sym = Symbol.intern(ref.getKey());
            String target = ref.getValue();
            int slash = target.indexOf('/');
            Namespace tns = Namespace.find(Symbol.intern(target.substring(0, slash)));
            if (tns == null) continue; // reported when it failed to load
            Var tv = tns.intern(Symbol.intern(target.substring(slash + 1)));
            Object current = n.getMapping(sym);
            if (current == tv || current instanceof Var cv && cv.ns == n) continue;
            if (current != null) n.unmap(sym);
            n.refer(sym, tv);
        }
        for (Map.Entry<String, String> imp : r.imports().entrySet()) {
            Symbol sym = Symbol.intern(imp.getKey());
            try {
                Class<?> c = Units.byName(imp.getValue());
                if (n.getMapping(sym) != c) {
                    n.unmap(sym);
                    n.importClass(sym, c);
                }
            } catch (ClassNotFoundException e) {
                if (!classpath.sayImportNotFound(name, imp.getValue())) {
                    known.pendingImports.computeIfAbsent(imp.getValue(), k -> new ArrayList<>()).add(Map.entry(n, sym));
                }
            } catch (RuntimeException | LinkageError e) {
                warn.accept("namespace " + name + " imports " + imp.getValue()
                    + ", which this member cannot load (" + e + ").");
            }
        }
    }

    /** True if {@code table} (a namespace's aliases, refers or imports) maps {@code sym} to {@code target}. */
    private static boolean heldAs(Map<String, String> table, Symbol sym, String target) {
        return target.equals(table.get(sym.getName()));
    }

    /**
     * Whether this member loads a reloaded namespace again: it has the namespace from the
     * classpath (a member that joins loads it, if it lacks it, as it would any), and has not
     * reloaded it for this record already (the hand-off and the entry event each bring it).
     */
    private boolean reloadsHere(NamespaceRecord r) {
        known.lock();
        try {
            KnownNamespace kn = known.namespaces.get(r.name());
            // Not one that could not load it, which said so once already.
            if (kn == null || !kn.loadedFromClasspath()) return false;
        } finally {
            known.unlock();
        }
        boolean[] first = {false};
        reloaded.compute(r.name(), (k, done) -> {
            if (done != null && done >= r.version()) return done;
            first[0] = true;
            return r.version();
        });
        return first[0];
    }
}
