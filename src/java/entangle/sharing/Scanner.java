package entangle.sharing;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import clojure.lang.IPersistentMap;
import clojure.lang.MultiFn;
import clojure.lang.Namespace;
import clojure.lang.PersistentHashMap;
import clojure.lang.Symbol;
import clojure.lang.Var;
import entangle.hook.CapturedClasses;
import entangle.hook.ResourceLoads;
import entangle.sharing.Changes.ClassChange;
import entangle.sharing.Changes.NsChange;
import entangle.sharing.Changes.VarChange;
import entangle.value.Protocols;
import entangle.value.Specs;

/**
 * Finds what evaluation changed in this member's namespaces and vars since it last published
 * or applied them ({@link Known}): the {@link Changes} a publication shares. A scan compares
 * each shared namespace and var with what is known of it, takes the named classes evaluation
 * compiled and what loads from the classpath left (each told as it completes), and the
 * multimethods and protocols of namespaces that are not shared whose evaluated methods or
 * extensions changed ({@link ExtensionTables}).
 *
 * <p>What it holds between scans is guarded by {@link Known}'s lock, as the namespaces and vars
 * are: {@link #scan}, {@link #scanMerged} and {@link #requeue} are called holding it.
 */
final class Scanner {

    private final SharingPolicy policy;
    private final Known known;
    private final ExtensionTables tables;
    private final Consumer<String> warn;

    private List<ClassLoader> scannedLoaders = List.of();
    /**
     * What each load from the classpath made shareable, taken as the load completed (see
     * {@link #loadCompleted}): the next scan publishes it.
     */
    private final List<NsChange> loadedNamespaces = new ArrayList<>();
    private final List<VarChange> loadedVars = new ArrayList<>();
    /** Named classes the last scan took (drained, so found once), and the vars it took from loads. */
    private List<ClassChange> scannedClasses = List.of();
    private List<VarChange> scannedFromLoads = List.of();
    /**
     * What a publication that failed took from loads and compiled named classes, which no
     * scan finds again by comparing: the next scan takes them first.
     */
    private final List<ClassChange> unsharedClasses = new ArrayList<>();
    /** Set when a publication failed: the next scan looks for removed vars everywhere. */
    private boolean rescanRemovals;

    /**
     * The vars of a namespace that is not shared whose root was a multimethod or a map (a
     * protocol's, maybe), as of its mappings.
     */
    private record ExtensibleVars(Namespace ns, IPersistentMap mappings, List<Var> vars, List<String> keys) {}

    private final Map<String, ExtensibleVars> extensibleVars = new ConcurrentHashMap<>();

    Scanner(SharingPolicy policy, Known known, ExtensionTables tables, Consumer<String> warn) {
        this.policy = policy;
        this.known = known;
        this.tables = tables;
        this.warn = warn;
    }

    /** The loaders the last scan found new: they defined their first class since the scan before it. */
    List<ClassLoader> scannedLoaders() {
        return scannedLoaders;
    }

    /** Takes everything as it is now as known (see {@link SharedVars#baseline}). */
    void baseline() {
        known.lock();
        try {
            loadedNamespaces.clear();
            loadedVars.clear();
            CapturedClasses.drainNew();
            for (Object o : (Iterable<?>) Namespace.all()) {
                Namespace n = (Namespace) o;
                KnownNamespace kn = known.baseline(n, NamespaceRecord.Kind.SHARED);
                kn.beforeJoining = kn.content;
            }
        } finally {
            known.unlock();
        }
    }

    /**
     * What changed since the last scan: in shared namespaces and their vars, the named classes
     * evaluation compiled, what loads left, and namespaces and vars removed.
     */
    Changes scan() {
        // Namespaces read from the classpath since the last scan (see loadCompleted).
        List<NsChange> nsChanges = new ArrayList<>(loadedNamespaces);
        List<VarChange> fromLoads = new ArrayList<>(loadedVars);
        loadedNamespaces.clear();
        loadedVars.clear();
        List<VarChange> varChanges = new ArrayList<>();
        List<ClassLoader> loaders = new ArrayList<>();
        // Named classes (deftype, defrecord, definterface...) evaluation compiled since: code
        // compiled later on any member that names them must get these.
        List<ClassChange> classChanges = new ArrayList<>(unsharedClasses);
        unsharedClasses.clear();
        for (ClassLoader loader : CapturedClasses.drainNew()) {
            CapturedClasses.LoaderClasses group = CapturedClasses.of(loader);
            if (group == null || group.classpath()) continue;
            loaders.add(loader);
            for (CapturedClasses.Defined d : group.classes()) {
                String ns = ClassRecord.namespaceOf(d.name());
                if (ns != null && policy.sharedName(ns)) {
                    classChanges.add(new ClassChange(d.name(), loader, known.classStamps.getOrDefault(d.name(), Known.NEVER).version()));
                }
            }
        }
        if (rescanRemovals) {
            rescanRemovals = false;
            for (Map.Entry<String, KnownVar> e : known.vars.entrySet()) {
                KnownVar k = e.getValue();
                if (k.var != null && !k.removed && !k.local && k.version() > 0
                    && k.var.ns.getMapping(k.var.sym) != k.var) {
                    varChanges.add(VarChange.removed(k.var, e.getKey(), k.stamp));
                }
            }
        }
        Set<String> present = new HashSet<>();
        for (Object o : (Iterable<?>) Namespace.all()) {
            Namespace n = (Namespace) o;
            String name = n.getName().getName();
            present.add(name);
            if (SharingPolicy.never(name)) continue;
            KnownNamespace kn = known.namespaces.get(name);
            if (!policy.shared(n)) {
                boolean markedLocal = SharingPolicy.flag(n.meta(), SharingPolicy.LOCAL);
                if (markedLocal && (kn == null || kn.kind != NamespaceRecord.Kind.LOCAL)) {
                    nsChanges.add(new NsChange(name, NamespaceRecord.Kind.LOCAL, n, null, kn == null ? 0 : kn.version()));
                }
                if (!markedLocal && policy.extensionsShared(name)) scanExtensions(n, name, varChanges);
                continue;
            }
            List<Var> interned;
            if (kn == null || kn.kind == NamespaceRecord.Kind.LOCAL || kn.kind == NamespaceRecord.Kind.REMOVED) {
                NamespaceContent c = NamespaceContent.of(n);
                interned = Vars.internedVars(n, n.getMappings());
                // A namespace that compiled code merely names (RT.var interns into it) has
                // nothing of its own yet; publishing it would wipe the real one elsewhere.
                if (!hasContent(c, interned) && !madeEmpty(name, interned)) continue;
                nsChanges.add(new NsChange(name, NamespaceRecord.Kind.SHARED, n, c, kn == null ? 0 : kn.version()));
            } else if (!kn.identical(n)) {
                IPersistentMap mappings = n.getMappings();
                interned = Vars.internedVars(n, mappings);
                if (kn.mappings != mappings) {
                    // Vars unmapped since: published as removed. Not one whose name holds a var
                    // of this namespace again (redefined after ns-unmap: its record replaces
                    // the old one), nor one this member no longer knows as the var of its key
                    // (another member's unmap and redefinition, applied here).
                    Set<Var> now = new HashSet<>(interned);
                    for (Var gone : kn.interned) {
                        if (now.contains(gone)) continue;
                        KnownVar k = known.vars.get(Vars.key(gone));
                        if (k != null && k.var == gone && !k.removed && !k.local && k.version() > 0
                            && !(n.getMapping(gone.sym) instanceof Var again && again.ns == n)) {
                            varChanges.add(VarChange.removed(gone, Vars.key(gone), k.stamp));
                        }
                    }
                }
                NamespaceContent c = NamespaceContent.of(n);
                if (kn.kind == NamespaceRecord.Kind.SHARED && (kn.ns != n || !c.sameAs(kn.content))) {
                    nsChanges.add(new NsChange(name, NamespaceRecord.Kind.SHARED, n, c, kn.version()));
                } else {
                    // Only vars changed (they are records of their own), or a classpath
                    // namespace, whose aliases and refers come from its file on every member.
                    kn.capture(n, c, mappings, interned);
                }
            } else {
                interned = kn.interned;
            }
            // A var's KnownVar, once made, stays in vars: it can be kept by index.
            KnownVar[] cached = kn != null && interned == kn.interned ? kn.knownOfInterned() : null;
            for (int i = 0; i < interned.size(); i++) {
                Var v = interned.get(i);
                KnownVar k = cached == null ? null : cached[i];
                if (k == null) {
                    k = known.vars.get(Vars.key(v));
                    if (cached != null) cached[i] = k;
                }
                if (k != null && !k.differs(v)) continue;
                String key = Vars.key(v);
                boolean local = (k != null && k.local) || SharingPolicy.markedLocal(v);
                if (local) {
                    if (k == null || !k.local) {
                        varChanges.add(new VarChange(v, key, VarRecord.Kind.LOCAL, null, v.meta(), v.isDynamic(),
                                                     k == null ? Known.NEVER : k.stamp));
                    } else {
                        k.capture(v);
                    }
                    continue;
                }
                if (k == null && !v.hasRoot() && !Vars.defined(v)) {
                    // Interned by compiled code that names it (RT.var), not by def: nothing to share.
                    continue;
                }
                if (k != null && (k.fromLoad || k.version() == 0) && k.var == v && !k.removed && v.hasRoot()
                    && v.getRawRoot() == k.root && kn != null && kn.loadedFromClasspath()) {
                    // A library's var evaluated again without a new root (a defonce of the file an
                    // editor loaded): the root stays each member's own load's.
                    varChanges.add(new VarChange(v, key, VarRecord.Kind.LOADED, v.getRawRoot(), v.meta(), v.isDynamic(),
                                                 k.stamp));
                    continue;
                }
                varChanges.add(new VarChange(v, key, v.hasRoot() ? VarRecord.Kind.VALUE : VarRecord.Kind.UNBOUND,
                                             v.getRawRoot(), v.meta(), v.isDynamic(), k == null ? Known.NEVER : k.stamp));
            }
        }
        // Vars of namespaces that are not shared, which are shared all the same: derive's hierarchy.
        for (String key : SharingPolicy.ALWAYS_SHARED_VARS) {
            Var v = Var.find(Symbol.intern(key));
            KnownVar k = known.vars.get(key);
            if (v != null && (k == null || k.differs(v))) {
                varChanges.add(new VarChange(v, key, VarRecord.Kind.VALUE, v.getRawRoot(), v.meta(), v.isDynamic(),
                                             k == null ? Known.NEVER : k.stamp));
            }
        }
        for (Map.Entry<String, KnownNamespace> e : known.namespaces.entrySet()) {
            KnownNamespace kn = e.getValue();
            boolean had = kn.kind == NamespaceRecord.Kind.SHARED || kn.loadedFromClasspath();
            if (!present.contains(e.getKey()) && had && kn.version() > 0 && policy.sharedName(e.getKey())) {
                nsChanges.add(new NsChange(e.getKey(), NamespaceRecord.Kind.REMOVED, null, null, kn.version()));
                // Its vars go with it, or a member applying them would make the namespace again.
                String prefix = e.getKey() + "/";
                for (Map.Entry<String, KnownVar> v : known.vars.entrySet()) {
                    KnownVar k = v.getValue();
                    if (v.getKey().startsWith(prefix) && k.var != null && !k.removed && !k.local && k.version() > 0) {
                        varChanges.add(VarChange.removed(k.var, v.getKey(), k.stamp));
                    }
                }
            }
        }
        // A var a load left and evaluation changed after it (the evaluation that asked for the
        // load, say): the evaluation's is the one to publish.
        Set<String> changedSince = new HashSet<>();
        for (VarChange c : varChanges) changedSince.add(c.key());
        for (VarChange c : fromLoads) if (!changedSince.contains(c.key())) varChanges.add(c);
        scannedClasses = classChanges;
        scannedFromLoads = fromLoads;
        scannedLoaders = loaders;
        return new Changes(nsChanges, classChanges, varChanges);
    }

    /**
     * The vars and namespaces this member holds merged with a record (see {@link Merge}) whose
     * tables still differ from what it knows: a scan of those alone.
     */
    Changes scanMerged() {
        List<NsChange> nsChanges = new ArrayList<>();
        for (String name : known.remergedNamespaces) {
            KnownNamespace kn = known.namespaces.get(name);
            Namespace n = kn == null ? null : kn.ns;
            if (n == null || kn.kind != NamespaceRecord.Kind.SHARED || Namespace.find(n.getName()) != n) continue;
            NamespaceContent c = NamespaceContent.of(n);
            if (!c.sameAs(kn.content)) nsChanges.add(new NsChange(name, NamespaceRecord.Kind.SHARED, n, c, kn.version()));
        }
        known.remergedNamespaces.clear();
        List<VarChange> varChanges = new ArrayList<>();
        for (String key : known.remergedVars) {
            KnownVar k = known.vars.get(key);
            Var v = k == null ? null : k.var;
            if (v == null || k.removed || k.local || !k.differs(v)) continue;
            if (tables.extended(key)) {
                VarChange c = extensionChange(v, key, k);
                if (c != null) varChanges.add(c);
            } else if (v.getRawRoot() instanceof MultiFn) {
                varChanges.add(new VarChange(v, key, VarRecord.Kind.VALUE, v.getRawRoot(), v.meta(), v.isDynamic(),
                                             k.stamp));
            }
        }
        known.remergedVars.clear();
        return new Changes(nsChanges, List.of(), varChanges);
    }

    /**
     * Adds to {@code varChanges} the multimethods and protocols of {@code n}, a namespace that
     * is not shared, whose evaluated methods or extensions changed. Its vars are looked through
     * again only when its mappings change (a protocol's var is interned with a map for its
     * root, then extended).
     */
    private void scanExtensions(Namespace n, String name, List<VarChange> varChanges) {
        IPersistentMap mappings = n.getMappings();
        ExtensibleVars ev = extensibleVars.get(name);
        if (ev == null || ev.ns() != n || ev.mappings() != mappings) {
            List<Var> extensible = new ArrayList<>();
            List<String> keys = new ArrayList<>();
            for (Var v : Vars.internedVars(n, mappings)) {
                Object root = v.getRawRoot();
                if (!(root instanceof IPersistentMap || root instanceof MultiFn || Specs.isRegistry(root))) continue;
                String key = Vars.key(v);
                if (SharingPolicy.ALWAYS_SHARED_VARS.contains(key)) continue;
                extensible.add(v);
                keys.add(key);
            }
            extensibleVars.put(name, ev = new ExtensibleVars(n, mappings, extensible, keys));
        }
        for (int i = 0; i < ev.vars().size(); i++) {
            Var v = ev.vars().get(i);
            String key = ev.keys().get(i);
            KnownVar k = known.vars.get(key);
            if (k != null && !k.differs(v)) continue;
            VarChange c = extensionChange(v, key, k);
            if (c != null) varChanges.add(c);
        }
    }

    /**
     * The change to the evaluated methods or extensions of {@code v} (see {@link
     * ExtensionTables#extended}), or null.
     */
    private VarChange extensionChange(Var v, String key, KnownVar k) {
        Object root = v.getRawRoot();
        if (!(root instanceof MultiFn) && !Protocols.isProtocol(root) && !Specs.isRegistry(root)) return null;
        // The registry's map before its entries are read: a change made meanwhile is seen next time.
        Object registryState = Specs.isRegistry(root) ? Specs.state(root) : null;
        IPersistentMap extensions = tables.evaluated(key, root);
        if (!extensionsChanged(key, v, k, extensions)) return null;
        Stamp base = k == null ? Known.NEVER : k.stamp;
        if (root instanceof MultiFn m) {
            return new VarChange(v, key, VarRecord.Kind.VALUE, extensions, null, false, base, m.getMethodTable(),
                                 m.getPreferTable());
        }
        return new VarChange(v, key, VarRecord.Kind.VALUE, extensions, null, false, base,
                             registryState != null ? registryState : root, null);
    }

    /**
     * True if the evaluated methods or extensions of {@code v} (see {@link
     * ExtensionTables#extended}) differ from those known; if not, the var is known as it is now.
     */
    private boolean extensionsChanged(String key, Var v, KnownVar k, IPersistentMap extensions) {
        if (!clojure.lang.Util.equiv(extensions, k == null || k.extension == null ? PersistentHashMap.EMPTY : k.extension)) {
            return true;
        }
        // A library's, or Clojure's: each member loads them itself.
        if (k == null) known.vars.put(key, k = new KnownVar(Known.NEVER));
        k.captureExtension(v, extensions);
        return false;
    }

    /**
     * A namespace read from the classpath, known as the load left it, before the evaluation
     * that asked for it goes on: it is shared as the fact of its loading, and what the load
     * defined is each member's own; what the evaluation changes there afterwards is shared as
     * any change is. Called on the loading thread as the load completes (see ResourceLoads),
     * entangle's own loads (for another member's record, at a join or a reload) included.
     */
    void loadCompleted(ResourceLoads.Load load) {
        String name = load.namespace();
        if (name.equals(Specs.NAMESPACE)) Specs.track();
        Namespace n = Namespace.find(Symbol.intern(name));
        if (n == null || SharingPolicy.never(name)) return;
        known.lock();
        try {
            KnownNamespace before = known.namespaces.get(name);
            long floor = before == null ? 0 : before.version();
            // Loaded before, here or on a member whose record this one applied: a reload.
            boolean reloaded = before != null && before.kind == NamespaceRecord.Kind.CLASSPATH;
            known.baseline(n, NamespaceRecord.Kind.CLASSPATH);
            if (!load.implicit() && (policy.sharedName(name) || name.startsWith("clojure."))) {
                loadedNamespaces.add(new NsChange(name, NamespaceRecord.Kind.CLASSPATH, n, null, floor, reloaded));
                if (before != null && policy.sharedName(name)) loadedOver(n, name, loadedVars);
            }
        } catch (RuntimeException | LinkageError e) {
            // The load itself went through; only its sharing failed, which the user is told of
            // here, since nothing that RT.load calls may throw into it.
            warn.accept("namespace " + name + " was loaded here but its load could not be shared: " + e
                + "; the other members do not load it.");
        } finally {
            known.unlock();
        }
    }

    /**
     * The vars of {@code n} that the cluster holds records of (evaluation defined or changed
     * them), after a load of {@code n} from the classpath replaced them: their records would
     * otherwise give a member that joins later what evaluation made before the load. Their new
     * records say that the load defines them, on each member ({@link VarRecord.Kind#LOADED}).
     */
    private void loadedOver(Namespace n, String name, List<VarChange> varChanges) {
        String prefix = name + "/";
        for (Map.Entry<String, KnownVar> e : known.vars.entrySet()) {
            KnownVar k = e.getValue();
            if (!e.getKey().startsWith(prefix) || k.version() == 0 || k.local) continue;
            Object mapped = n.getMapping(Symbol.intern(e.getKey().substring(prefix.length())));
            if (mapped instanceof Var v && v.ns == n) {
                // Each member's own load defines it: this member's fns of the load would carry
                // its own classes (a record type's constructor) to members that made theirs.
                varChanges.add(new VarChange(v, e.getKey(), VarRecord.Kind.LOADED, v.getRawRoot(), v.meta(),
                                             v.isDynamic(), k.stamp));
            } else if (!k.removed && k.var != null) {
                varChanges.add(VarChange.removed(k.var, e.getKey(), k.stamp));
            }
        }
    }

    /**
     * True for a namespace evaluation made and left empty ({@code create-ns}, {@code in-ns},
     * the target of an {@code :as-alias}): no var interned in it, which code that names a var
     * of it would have made (RT.var), and not loaded from a file. It is shared, empty, so that
     * an alias to it works on every member, as {@code find-ns} of it does.
     */
    private static boolean madeEmpty(String name, List<Var> interned) {
        return interned.isEmpty() && !Classpath.loaded(name);
    }

    private static boolean hasContent(NamespaceContent c, List<Var> interned) {
        if (!c.aliases().isEmpty() || !c.refers().isEmpty() || !c.imports().isEmpty()) return true;
        if (c.meta() != null && c.meta().count() > 0) return true;
        for (Var v : interned) if (v.hasRoot() || Vars.defined(v)) return true;
        return false;
    }

    /**
     * After a failed publication of {@code changes}: what it took from loads and the named
     * classes it took go back before what came since, for the next scan, which also looks for
     * removed vars everywhere; a loaded var a record from another member has replaced since is
     * left out.
     */
    void requeue(Changes changes) {
        rescanRemovals = true;
        loadedNamespaces.addAll(0, changes.namespaces().stream().filter(c -> c.kind() == NamespaceRecord.Kind.CLASSPATH).toList());
        loadedVars.addAll(0, scannedFromLoads.stream().filter(c -> {
            KnownVar k = known.vars.get(c.key());
            return k == null || k.version() <= c.floor();
        }).toList());
        unsharedClasses.addAll(0, scannedClasses);
    }
}
