package entangle.sharing;

import static entangle.value.UnshareableValueException.withArticle;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

import clojure.java.api.Clojure;
import clojure.lang.IFn;
import clojure.lang.IPersistentMap;
import clojure.lang.Keyword;
import clojure.lang.MultiFn;
import clojure.lang.Namespace;
import clojure.lang.PersistentArrayMap;
import clojure.lang.PersistentHashMap;
import clojure.lang.RT;
import clojure.lang.Symbol;
import clojure.lang.Var;
import entangle.RefusedException;
import entangle.hook.CapturedClasses;
import entangle.hook.ResourceLoads;
import entangle.unit.Unit;
import entangle.unit.Units;
import entangle.value.MultiFns;
import entangle.value.Protocols;
import entangle.value.Specs;
import entangle.value.UnshareableValueException;
import entangle.value.ValueReader;
import entangle.value.ValueWriter;

/**
 * Keeps this member's shared namespaces and vars the same as the cluster's.
 *
 * <p>After each evaluation, {@link #publish} compares the shared namespaces with what this
 * member last published or applied ({@link KnownNamespace}, {@link KnownVar}), and shares
 * what changed: the units of classes that
 * namespace and class records name go first; then the namespace, class and var records, each
 * stamped with the version after the newest this member knows of its key, are written to the
 * cluster's maps and handed to every other member at once, and the evaluation returns once
 * every member has applied them. The write on the key's partition orders concurrent writes to
 * one key: a record whose version another member wrote meanwhile gets the next one, and is
 * handed off again, so every member converges on the last write. So once an evaluation has
 * returned, any evaluation that starts on any member afterwards sees its definitions, or newer
 * ones.
 *
 * <p>{@link #apply} takes records from other members (that hand-off; the maps' entry events,
 * a backstop for a writer that died before handing off; the snapshot a joining member reads):
 * a record is applied only if it takes the place of what this member has for its key (see
 * {@link Stamp}), and only once it has passed every check; otherwise it is refused with a
 * message and nothing is defined from it.
 *
 * <p>Beside it, each in a class of its own: a namespace loaded from this member's classpath
 * for a record and a class it lacks ({@link Classpath}), the tables of namespaces that are
 * not shared that evaluation adds to ({@link ExtensionTables}), where a var's source form is
 * found ({@link EvaluatedTexts}), and what sharing does to Clojure's vars ({@link Vars}).
 */
public final class SharedVars {

    /** What sharing needs from the cluster. */
    public interface Cluster {
        /** This member's id, unique in the cluster. */
        String memberId();

        /** This member's address, as shown to users. */
        String address();

        /** True if the member with id {@code memberId} (embedded or client) is in the cluster now. */
        boolean inCluster(String memberId);

        /**
         * Writes {@code proposed} to the cluster's maps and hands it to every other member, both
         * at once, and returns once every member has applied it. A record whose version another
         * member wrote meanwhile is written with the next free version instead, and handed off
         * again. Returns the records as they were written, in the same order. {@code first}
         * runs before anything is written or handed off (storing the units the records name),
         * and is waited for as they are. {@code notices} (may be null) is told, while it waits,
         * of the members that are slow to answer.
         */
        Batch share(Batch proposed, Runnable first, Consumer<String> notices);

        /** Every record in {@code map}. */
        Map<String, byte[]> snapshot(String map);

        /** The record under {@code key} in {@code map}, or null. */
        byte[] read(String map, String key);

        /** Why sharing failed with {@code e}, in the user's terms. */
        default String why(RuntimeException e) {
            return e.getMessage();
        }

        /** When what failed to be shared with {@code e} is tried again, in the user's terms. */
        default String retried(RuntimeException e) {
            return "the next evaluation tries again";
        }
    }

    /** The stamp of what this member had before anything was shared: the floor of a first write. */
    private static final Stamp NEVER = new Stamp(0, 0);
    private static final Keyword NS = Keyword.intern("ns");
    private static final Keyword NAME = Keyword.intern("name");

    private final SharingPolicy policy;
    private final Units units;
    private final Cluster cluster;
    private final ClusterAtoms atoms;
    private final Consumer<String> warn;

    /** Guards the two maps below and every change this class makes to namespaces and vars. */
    private final ReentrantLock state = new ReentrantLock();
    /** One publication at a time, so that two evaluations never publish one change twice. */
    private final ReentrantLock publishing = new ReentrantLock();
    /**
     * Held, shared, by each evaluation from its start to its publication's end ({@link
     * #evaluating}); taken alone, without waiting, by a publication outside evaluations ({@link
     * #shareUnshared}) while it scans, which would otherwise find an evaluation half done and
     * publish its vars without the text of their forms.
     */
    private final ReentrantReadWriteLock evaluations = new ReentrantReadWriteLock();
    /** Set when a publication failed, until one succeeds: what it held is still to share. */
    private volatile boolean unshared;
    private final Map<String, KnownVar> vars = new HashMap<>();
    private final Map<String, KnownNamespace> namespaces = new HashMap<>();
    /** The stamp of each named class's record applied or published here. */
    private final Map<String, Stamp> classStamps = new HashMap<>();
    /**
     * Imports waiting for their class, by class name: entry events from different maps arrive
     * in any order, so a namespace can name a class whose record has not arrived yet.
     */
    private final Map<String, List<Map.Entry<Namespace, Symbol>>> pendingImports = new HashMap<>();
    private final Classpath classpath;
    private final ExtensionTables tables;
    private final Map<String, Provenance> provenance = new ConcurrentHashMap<>();
    /**
     * Each var change a publication failed to share, with the source it was found with
     * (guarded by {@code publishing}): the publication that shares it later has a text of its
     * own, or none, which is not this var's form; a publication that fails again does not
     * warn again of a change it warned of.
     */
    private final Map<String, UnsharedChange> unsharedChanges = new HashMap<>();

    private record UnsharedChange(VarChange change, String source) {}
    /**
     * What the warnings of failed publications named besides vars (loads, namespaces, named
     * classes) and why they failed, until one succeeds (guarded by {@code publishing}).
     */
    private final Set<String> warnedUnshared = new HashSet<>();
    private String warnedWhy;
    /** Where each var's source form is found (what it records is guarded by {@code publishing}). */
    private final EvaluatedTexts texts = new EvaluatedTexts();
    /** The loaders the last scan found new: they defined their first class since the scan before it. */
    private List<ClassLoader> scannedLoaders = List.of();
    /** Records refused already ("key@version"): the hand-off and the entry event bring each one twice. */
    private final Set<String> refused = ConcurrentHashMap.newKeySet();
    /** The version of the last reloaded record applied here, by namespace (see reloadsHere). */
    private final Map<String, Long> reloaded = new ConcurrentHashMap<>();
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
     * Vars and namespaces whose tables this member holds merged with a record (see {@link Merge}),
     * with changes that record lacks: published again at once, not at the next evaluation.
     */
    private final Set<String> remergedVars = new LinkedHashSet<>();
    private final Set<String> remergedNamespaces = new LinkedHashSet<>();
    /**
     * Publishes what merging records applied outside an evaluation left (see {@link
     * #publishMerged}); its thread ends when idle, so a member that left keeps none.
     */
    private final ExecutorService republisher = new java.util.concurrent.ThreadPoolExecutor(
        0, 1, 10, java.util.concurrent.TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "entangle-merge");
            t.setDaemon(true);
            return t;
        });

    public SharedVars(SharingPolicy policy, Units units, Cluster cluster, ClusterAtoms atoms, Consumer<String> warn) {
        this.policy = policy;
        this.units = units;
        this.cluster = cluster;
        this.atoms = atoms;
        this.warn = warn;
        this.classpath = new Classpath(ns -> cluster.read(NamespaceRecord.MAP, ns) != null, warn);
        this.tables = new ExtensionTables(policy, units, classpath);
        Units.lookUpNamedClassesWith(this::namedClassFromCluster);
        ResourceLoads.onCompleted(this::loadCompleted);
        Specs.track(); // loaded before this member started (by a user.clj, a host application)
    }

    /** Applies the cluster's record for the named class {@code name}, if it has one, and returns the class. */
    private Class<?> namedClassFromCluster(String name) {
        if (ClassRecord.namespaceOf(name) == null) return null;
        byte[] record = cluster.read(ClassRecord.MAP, name);
        if (record == null) return null;
        Batch b = Batch.empty();
        b.addClass(name, record);
        applyClasses(fresh(b.classKeys(), b.classes(), ClassRecord::decode, this::classStamp, true), true);
        try {
            return Units.byName(name);
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    public SharingPolicy policy() { return policy; }

    /** Where the current definition of {@code ns/name} came from, or null if it was never shared. */
    public Provenance provenance(String ns, String name) {
        return provenance.get(VarRecord.key(ns, name));
    }

    // ------------------------------------------------------- scanning extension tables and merges

    /**
     * The vars of a namespace that is not shared whose root was a multimethod or a map (a
     * protocol's, maybe), as of its mappings.
     */
    private record ExtensibleVars(Namespace ns, IPersistentMap mappings, List<Var> vars, List<String> keys) {}

    private final Map<String, ExtensibleVars> extensibleVars = new ConcurrentHashMap<>();

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
            KnownVar k = vars.get(key);
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
        long floor = k == null ? 0 : k.version();
        if (root instanceof MultiFn m) {
            return new VarChange(v, key, VarRecord.Kind.VALUE, extensions, null, false, floor, m.getMethodTable(),
                                 m.getPreferTable());
        }
        return new VarChange(v, key, VarRecord.Kind.VALUE, extensions, null, false, floor,
                             registryState != null ? registryState : root, null);
    }

    /**
     * The vars and namespaces this member holds merged with a record (see {@link Merge}) whose
     * tables still differ from what it knows: a scan of those alone.
     */
    private Changes scanMerged() {
        List<NsChange> nsChanges = new ArrayList<>();
        for (String name : remergedNamespaces) {
            KnownNamespace kn = namespaces.get(name);
            Namespace n = kn == null ? null : kn.ns;
            if (n == null || kn.kind != NamespaceRecord.Kind.SHARED || Namespace.find(n.getName()) != n) continue;
            NamespaceContent c = NamespaceContent.of(n);
            if (!c.sameAs(kn.content)) nsChanges.add(new NsChange(name, NamespaceRecord.Kind.SHARED, n, c, kn.version()));
        }
        remergedNamespaces.clear();
        List<VarChange> varChanges = new ArrayList<>();
        for (String key : remergedVars) {
            KnownVar k = vars.get(key);
            Var v = k == null ? null : k.var;
            if (v == null || k.removed || k.local || !k.differs(v)) continue;
            if (tables.extended(key)) {
                VarChange c = extensionChange(v, key, k);
                if (c != null) varChanges.add(c);
            } else if (v.getRawRoot() instanceof MultiFn) {
                varChanges.add(new VarChange(v, key, VarRecord.Kind.VALUE, v.getRawRoot(), v.meta(), v.isDynamic(),
                                             k.version()));
            }
        }
        remergedVars.clear();
        return new Changes(nsChanges, List.of(), varChanges);
    }

    /** Rounds of {@link #publishMerged}: each answers records that crossed the one before. */
    private static final int MERGE_ROUNDS = 3;

    /**
     * Publishes what merging left (see {@link Merge}): tables this member holds with changes
     * that the records it applied, or the one it wrote, lack. Holds the publishing lock.
     */
    private PublishResult publishMerged(PublishResult result, Consumer<String> notices) {
        for (int round = 0; round < MERGE_ROUNDS; round++) {
            Changes merged;
            state.lock();
            try {
                merged = scanMerged();
            } finally {
                state.unlock();
            }
            if (merged.isEmpty()) break;
            result = result.and(publish(merged, null, null, notices));
        }
        return result;
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
        if (k == null) vars.put(key, k = new KnownVar(NEVER));
        k.captureExtension(v, extensions);
        return false;
    }

    // ---------------------------------------------------------------- scanning

    /**
     * A var as scanned. {@code methods} and {@code prefers} are a multimethod's tables; of a
     * protocol whose extensions are shared ({@link ExtensionTables#extended}), {@code root} is
     * those and {@code methods} the protocol.
     */
    private record VarChange(Var var, String key, VarRecord.Kind kind, Object root, IPersistentMap meta,
                             boolean dynamic, long floor, Object methods, Object prefers) {
        VarChange(Var var, String key, VarRecord.Kind kind, Object root, IPersistentMap meta, boolean dynamic,
                  long floor) {
            this(var, key, kind, root, meta, dynamic, floor,
                 root instanceof MultiFn m ? m.getMethodTable() : null,
                 root instanceof MultiFn m ? m.getPreferTable() : null);
        }

        /** The removal of {@code var}'s record. */
        static VarChange removed(Var var, String key, long floor) {
            return new VarChange(var, key, VarRecord.Kind.REMOVED, null, null, false, floor);
        }

        VarChange withRoot(Object newRoot) {
            return new VarChange(var, key, kind, newRoot, var.meta(), dynamic, floor, methods, prefers);
        }

        VarChange unshareable() {
            return new VarChange(var, key, VarRecord.Kind.UNSHAREABLE, root, meta, dynamic, floor, methods, prefers);
        }

        /** True if {@code o} is this change, found again: the same root, meta and tables. */
        boolean sameAs(VarChange o) {
            return root == o.root && meta == o.meta && methods == o.methods && prefers == o.prefers;
        }
    }

    private record NsChange(String name, NamespaceRecord.Kind kind, Namespace ns, NamespaceContent content,
                            long floor, boolean reloaded) {
        NsChange(String name, NamespaceRecord.Kind kind, Namespace ns, NamespaceContent content, long floor) {
            this(name, kind, ns, content, floor, false);
        }
    }

    private record ClassChange(String name, ClassLoader loader, long floor) {}

    private record Changes(List<NsChange> namespaces, List<ClassChange> classes, List<VarChange> vars) {
        boolean isEmpty() {
            return namespaces.isEmpty() && classes.isEmpty() && vars.isEmpty();
        }
    }

    /**
     * Takes everything as it is now as already shared, without publishing it: what was
     * loaded before this member joined stays this member's own until evaluation changes it.
     */
    public void baseline() {
        state.lock();
        try {
            loadedNamespaces.clear();
            loadedVars.clear();
            CapturedClasses.drainNew();
            for (Object o : (Iterable<?>) Namespace.all()) {
                Namespace n = (Namespace) o;
                KnownNamespace kn = baselineNamespace(n, NamespaceRecord.Kind.SHARED);
                kn.beforeJoining = kn.content;
            }
        } finally {
            state.unlock();
        }
    }

    private KnownNamespace baselineNamespace(Namespace n, NamespaceRecord.Kind kind) {
        String name = n.getName().getName();
        KnownNamespace kn = namespaces.computeIfAbsent(name, k -> new KnownNamespace(kind, NEVER));
        kn.kind = kind;
        kn.capture(n, NamespaceContent.of(n));
        for (Var v : kn.interned) {
            KnownVar k = vars.computeIfAbsent(Vars.key(v), x -> new KnownVar(NEVER));
            k.capture(v);
        }
        return kn;
    }

    private Changes scan() {
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
                    classChanges.add(new ClassChange(d.name(), loader, classStamps.getOrDefault(d.name(), NEVER).version()));
                }
            }
        }
        if (rescanRemovals) {
            rescanRemovals = false;
            for (Map.Entry<String, KnownVar> e : vars.entrySet()) {
                KnownVar k = e.getValue();
                if (k.var != null && !k.removed && !k.local && k.version() > 0
                    && k.var.ns.getMapping(k.var.sym) != k.var) {
                    varChanges.add(VarChange.removed(k.var, e.getKey(), k.version()));
                }
            }
        }
        Set<String> present = new HashSet<>();
        for (Object o : (Iterable<?>) Namespace.all()) {
            Namespace n = (Namespace) o;
            String name = n.getName().getName();
            present.add(name);
            if (SharingPolicy.never(name)) continue;
            KnownNamespace kn = namespaces.get(name);
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
                if (!hasContent(c, interned)) continue;
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
                        KnownVar k = vars.get(Vars.key(gone));
                        if (k != null && k.var == gone && !k.removed && !k.local && k.version() > 0
                            && !(n.getMapping(gone.sym) instanceof Var again && again.ns == n)) {
                            varChanges.add(VarChange.removed(gone, Vars.key(gone), k.version()));
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
                    k = vars.get(Vars.key(v));
                    if (cached != null) cached[i] = k;
                }
                if (k != null && !k.differs(v)) continue;
                String key = Vars.key(v);
                boolean local = (k != null && k.local) || SharingPolicy.markedLocal(v);
                if (local) {
                    if (k == null || !k.local) {
                        varChanges.add(new VarChange(v, key, VarRecord.Kind.LOCAL, null, v.meta(), v.isDynamic(),
                                                     k == null ? 0 : k.version()));
                    } else {
                        k.capture(v);
                    }
                    continue;
                }
                if (k == null && !v.hasRoot() && !Vars.defined(v)) {
                    // Interned by compiled code that names it (RT.var), not by def: nothing to share.
                    continue;
                }
                varChanges.add(new VarChange(v, key, v.hasRoot() ? VarRecord.Kind.VALUE : VarRecord.Kind.UNBOUND,
                                             v.getRawRoot(), v.meta(), v.isDynamic(), k == null ? 0 : k.version()));
            }
        }
        // Vars of namespaces that are not shared, which are shared all the same: derive's hierarchy.
        for (String key : SharingPolicy.ALWAYS_SHARED_VARS) {
            Var v = Var.find(Symbol.intern(key));
            KnownVar k = vars.get(key);
            if (v != null && (k == null || k.differs(v))) {
                varChanges.add(new VarChange(v, key, VarRecord.Kind.VALUE, v.getRawRoot(), v.meta(), v.isDynamic(),
                                             k == null ? 0 : k.version()));
            }
        }
        for (Map.Entry<String, KnownNamespace> e : namespaces.entrySet()) {
            KnownNamespace kn = e.getValue();
            boolean had = kn.kind == NamespaceRecord.Kind.SHARED || kn.loadedFromClasspath();
            if (!present.contains(e.getKey()) && had && kn.version() > 0 && policy.sharedName(e.getKey())) {
                nsChanges.add(new NsChange(e.getKey(), NamespaceRecord.Kind.REMOVED, null, null, kn.version()));
                // Its vars go with it, or a member applying them would make the namespace again.
                String prefix = e.getKey() + "/";
                for (Map.Entry<String, KnownVar> v : vars.entrySet()) {
                    KnownVar k = v.getValue();
                    if (v.getKey().startsWith(prefix) && k.var != null && !k.removed && !k.local && k.version() > 0) {
                        varChanges.add(VarChange.removed(k.var, v.getKey(), k.version()));
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
     * A namespace read from the classpath, known as the load left it, before the evaluation
     * that asked for it goes on: it is shared as the fact of its loading, and what the load
     * defined is each member's own; what the evaluation changes there afterwards is shared as
     * any change is. Called on the loading thread as the load completes (see ResourceLoads),
     * entangle's own loads (for another member's record, at a join or a reload) included.
     */
    private void loadCompleted(ResourceLoads.Load load) {
        String name = load.namespace();
        if (name.equals(Specs.NAMESPACE)) Specs.track();
        Namespace n = Namespace.find(Symbol.intern(name));
        if (n == null || SharingPolicy.never(name)) return;
        state.lock();
        try {
            KnownNamespace before = namespaces.get(name);
            long floor = before == null ? 0 : before.version();
            // Loaded before, here or on a member whose record this one applied: a reload.
            boolean reloaded = before != null && before.kind == NamespaceRecord.Kind.CLASSPATH;
            baselineNamespace(n, NamespaceRecord.Kind.CLASSPATH);
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
            state.unlock();
        }
    }

    /**
     * The vars of {@code n} that the cluster holds records of (evaluation defined or changed
     * them), after a load of {@code n} from the classpath replaced them: their records would
     * otherwise give a member that joins later what evaluation made before the load.
     */
    private void loadedOver(Namespace n, String name, List<VarChange> varChanges) {
        String prefix = name + "/";
        for (Map.Entry<String, KnownVar> e : vars.entrySet()) {
            KnownVar k = e.getValue();
            if (!e.getKey().startsWith(prefix) || k.version() == 0 || k.local) continue;
            Object mapped = n.getMapping(Symbol.intern(e.getKey().substring(prefix.length())));
            if (mapped instanceof Var v && v.ns == n) {
                varChanges.add(new VarChange(v, e.getKey(), v.hasRoot() ? VarRecord.Kind.VALUE : VarRecord.Kind.UNBOUND,
                                             v.getRawRoot(), v.meta(), v.isDynamic(), k.version()));
            } else if (!k.removed && k.var != null) {
                varChanges.add(VarChange.removed(k.var, e.getKey(), k.version()));
            }
        }
    }

    private static boolean hasContent(NamespaceContent c, List<Var> interned) {
        if (!c.aliases().isEmpty() || !c.refers().isEmpty() || !c.imports().isEmpty()) return true;
        if (c.meta() != null && c.meta().count() > 0) return true;
        for (Var v : interned) if (v.hasRoot() || Vars.defined(v)) return true;
        return false;
    }

    // ---------------------------------------------------------------- publishing

    /**
     * Shares what evaluation changed since the last call. {@code evalText} is the text of the
     * form just evaluated, kept as the source of the vars it defined (unless they came from a
     * file that can be read); {@code read}, if not null, is the text the evaluation read its
     * forms from (an nREPL eval or load-file), where each var it defined finds its form by its
     * :line, in place of its file. Never throws for the cluster's sake: what could not be
     * shared is in the result's warnings, and is tried again by the next call. {@code notices}
     * (may be null) is told, as it happens, that the publication waits for a member that does
     * not answer.
     */
    public PublishResult publish(String evalText, ReadText read, Consumer<String> notices) {
        publishing.lock();
        try {
            Changes changes = scanned();
            if (evalText != null || read != null) texts.compiled(evalText, read, scannedLoaders);
            PublishResult result = changes.isEmpty() ? PublishResult.NOTHING : publish(changes, evalText, read, notices);
            return publishMerged(result, notices);
        } finally {
            publishing.unlock();
        }
    }

    /**
     * What namespace {@code name} held before this member joined, or null: its own, which its
     * records leave out (a REPL's doc and pprint are not the cluster's).
     */
    private NamespaceContent beforeJoining(String name) {
        state.lock();
        try {
            KnownNamespace kn = namespaces.get(name);
            return kn == null ? null : kn.beforeJoining;
        } finally {
            state.unlock();
        }
    }

    private Changes scanned() {
        state.lock();
        try {
            return scan();
        } finally {
            state.unlock();
        }
    }

    /**
     * Marks an evaluation of {@code evalText} (read from {@code read}; either may be null)
     * running on this thread until the returned action runs, after its publication: meanwhile
     * {@link #shareUnshared} leaves the sharing to it, and what other publications share of it
     * finds its forms in its text.
     */
    public Runnable evaluating(String evalText, ReadText read) {
        Lock shared = evaluations.readLock();
        shared.lock();
        Runnable done = texts.running(evalText, read);
        return () -> {
            done.run();
            shared.unlock();
        };
    }

    /**
     * Shares, on its own thread, what publications that failed held (a client that had lost its
     * connection, now back), unless an evaluation is running, whose publication shares it.
     * {@code done} is told the vars shared, if there were any and the sharing succeeded; if it
     * failed again, the next evaluation tries, as before.
     */
    public void shareUnshared(Consumer<List<String>> done) {
        if (!unshared) return;
        republisher.execute(() -> {
            publishing.lock();
            try {
                Changes changes;
                // Evaluations wait to start while this scans, not while it writes (which can wait
                // for a member that does not answer).
                Lock alone = evaluations.writeLock();
                if (!alone.tryLock()) return;
                try {
                    changes = scanned();
                } finally {
                    alone.unlock();
                }
                if (changes.isEmpty()) {
                    unshared = false; // what failed was made the same as the cluster's since
                    return;
                }
                List<String> vars = unsharedChanges.entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .map(e -> unsharedName(e.getValue().change())).toList();
                PublishResult r = publish(changes, null, null, null);
                publishMerged(r, null);
                if (!unshared && !vars.isEmpty()) done.accept(vars);
            } finally {
                publishing.unlock();
            }
        });
    }

    /** After records applied outside an evaluation: publishes what merging them left, on its own thread. */
    private void republishMerged() {
        state.lock();
        try {
            if (remergedVars.isEmpty() && remergedNamespaces.isEmpty()) return;
        } finally {
            state.unlock();
        }
        republisher.execute(() -> {
            publishing.lock();
            try {
                for (String w : publishMerged(PublishResult.NOTHING, null).warnings()) warn.accept(w);
            } finally {
                publishing.unlock();
            }
        });
    }

    private PublishResult publish(Changes scanned, String evalText, ReadText read, Consumer<String> notices) {
        List<String> warnings = new ArrayList<>();
        Map<String, UnshareableValueException> atomFailures = new HashMap<>();
        List<VarChange> withClusterAtoms = new ArrayList<>();
        SourceText sourceText = new SourceText(evalText, read);
        EvaluatedTexts.Forms forms = texts.forms(sourceText);
        // An atom whose state could not reach the cluster (a client that lost its connection):
        // nothing is written, as when the records cannot be, but every var is looked at as usual.
        RuntimeException atomUnwritten = null;
        Set<String> localAtoms = new HashSet<>();
        for (VarChange c : scanned.vars()) {
            try {
                withClusterAtoms.add(shareAtom(c, atomFailures));
            } catch (RuntimeException e) {
                atomUnwritten = e;
                localAtoms.add(c.key());
                withClusterAtoms.add(c);
            }
        }
        Changes changes = new Changes(scanned.namespaces(), scanned.classes(), withClusterAtoms);
        // Units that namespace and class records name: in the units map before those records.
        Set<Unit> stored = new LinkedHashSet<>();
        long now = System.currentTimeMillis();
        Origin origin = new Origin(cluster.memberId(), cluster.address(), now);

        List<NamespaceRecord> nsRecords = new ArrayList<>();
        for (NsChange c : changes.namespaces()) {
            byte[] meta = null;
            Map<String, String> aliases = Map.of(), refers = Map.of(), imports = Map.of();
            if (c.content() != null) {
                meta = writeMeta(c.content().meta(), stored, "namespace " + c.name(), warnings);
                NamespaceContent shared = c.content().without(beforeJoining(c.name()));
                aliases = shared.aliases();
                refers = shared.refers();
                imports = shared.imports();
            }
            nsRecords.add(new NamespaceRecord(c.kind(), c.name(), c.floor() + 1, c.floor(), origin, meta, aliases,
                                              refers, imports, c.reloaded()));
        }

        List<ClassRecord> classRecords = new ArrayList<>();
        List<ClassChange> classChanges = new ArrayList<>();
        for (ClassChange c : changes.classes()) {
            List<Unit> chain = units.unitsOf(c.loader());
            if (chain.isEmpty()) continue;
            stored.addAll(chain);
            classRecords.add(new ClassRecord(c.name(), c.floor() + 1, origin, chain.get(0).hash()));
            classChanges.add(c);
        }

        List<VarRecord> varRecords = new ArrayList<>();
        // As published: an extension table without the entries that cannot travel.
        List<VarChange> varChanges = new ArrayList<>(changes.vars());
        Map<String, String> sources = new HashMap<>();
        for (int i = 0; i < varChanges.size(); i++) {
            VarChange c = varChanges.get(i);
            String ns = c.var().ns.getName().getName();
            String name = c.var().sym.getName();
            String varName = VarRecord.varName(c.key());
            VarRecord.Kind kind = c.kind();
            byte[] value = null;
            String unshareable = null;
            List<String> unitHashes = new ArrayList<>();
            Map<String, Unit> byHash = new HashMap<>();
            // A change a failed publication held, published again: its warning was given then.
            UnsharedChange held = unsharedChanges.get(c.key());
            boolean warned = held != null && held.change().sameAs(c);
            if (kind == VarRecord.Kind.VALUE && atomFailures.containsKey(c.key())) {
                UnshareableValueException e = atomFailures.get(c.key());
                kind = VarRecord.Kind.UNSHAREABLE;
                unshareable = "clojure.lang.Atom";
                if (!warned) {
                    warnings.add(Unshared.warning(varName,
                                                  "clojure.lang.Atom whose " + e.why() + " holds " + withArticle(e.type())));
                }
            } else if (kind == VarRecord.Kind.VALUE && !localAtoms.contains(c.key())) {
                try {
                    ValueWriter.Written w;
                    try {
                        w = writeValue(c);
                    } catch (UnshareableValueException e) {
                        if (!tables.extended(c.key())) throw e;
                        IPersistentMap kept = tables.shareable(c.key(), (IPersistentMap) c.root(), warnings);
                        varChanges.set(i, c = new VarChange(c.var(), c.key(), kind, kept, c.meta(), c.dynamic(), c.floor(),
                                                            c.methods(), c.prefers()));
                        w = writeValue(c);
                    }
                    value = w.bytes();
                    for (Unit u : w.units()) {
                        unitHashes.add(u.hash());
                        byHash.put(u.hash(), u);
                    }
                } catch (UnshareableValueException e) {
                    kind = VarRecord.Kind.UNSHAREABLE;
                    unshareable = e.type();
                    if (!warned) warnings.add(Unshared.warning(varName, e.typeAndWhy()));
                }
            }
            byte[] meta = null;
            String source = null;
            if (kind != VarRecord.Kind.REMOVED) {
                Set<Unit> metaUnits = new LinkedHashSet<>();
                meta = writeMeta(c.meta(), metaUnits, varName, warnings);
                for (Unit u : metaUnits) {
                    if (!unitHashes.contains(u.hash())) unitHashes.add(u.hash());
                    byHash.put(u.hash(), u);
                }
                source = sourceOf(c, sourceText, forms);
                if (source != null) sources.put(c.key(), source);
            }
            List<byte[]> unitBytes = new ArrayList<>();
            for (String h : unitHashes) unitBytes.add(byHash.get(h).encoded());
            varRecords.add(new VarRecord(kind, ns, name, c.floor() + 1, origin, c.dynamic(), meta, value, unitHashes,
                                         unitBytes, unshareable, source));
        }

        if (atomUnwritten != null) return failed(atomUnwritten, changes, varChanges, sources, warnings);
        Batch proposed = Batch.empty();
        for (NamespaceRecord r : nsRecords) proposed.addNamespace(r.name(), r.encode());
        for (ClassRecord r : classRecords) proposed.addClass(r.name(), r.encode());
        for (VarRecord r : varRecords) proposed.addVar(r.key(), r.encode());
        try {
            // Var records carry their units; namespace and class records name theirs, which must
            // be in the units map before any member reads those records.
            Batch written = cluster.share(proposed, () -> units.store().storeAll(stored), notices);
            state.lock();
            try {
                for (int i = 0; i < nsRecords.size(); i++) {
                    commitNamespace(changes.namespaces().get(i), Stamp.of(written.ns().get(i)));
                }
                for (int i = 0; i < classRecords.size(); i++) {
                    commitClass(classChanges.get(i), classRecords.get(i), Stamp.of(written.classes().get(i)));
                }
                for (int i = 0; i < varRecords.size(); i++) {
                    Stamp stamp = Stamp.of(written.vars().get(i));
                    commitVar(varChanges.get(i), varRecords.get(i).withVersion(stamp.version()), stamp);
                }
            } finally {
                state.unlock();
            }
            for (VarRecord r : varRecords) unsharedChanges.remove(r.key());
            warnedUnshared.clear();
            warnedWhy = null;
            unshared = false;
        } catch (RuntimeException e) {
            return failed(e, changes, varChanges, sources, warnings);
        }
        return new PublishResult(nsRecords.size(), classRecords.size(), varRecords.size(), warnings);
    }

    /**
     * The source of {@code c}'s var: the form that defined it (see {@link EvaluatedTexts.Forms#formOf}),
     * else the text evaluated.
     */
    private String sourceOf(VarChange c, SourceText sourceText, EvaluatedTexts.Forms forms) {
        String source = sourceOfUndefined(c);
        if (source != null) return source;
        if (c.meta() != null && c.var() != null) {
            String form = forms.formOf(c.var().sym.getName(), c.meta(), c.root());
            if (form != null) return form;
        }
        source = sourceText.evalText();
        if (source == null && sourceText.none() && provenance.get(c.key()) != null) {
            source = provenance.get(c.key()).source(); // published again after a merge
        }
        return source;
    }

    /**
     * A publication of {@code changes} that failed ({@code e}): what it held is kept for the next
     * one, with each var's source, and the warning names what no warning named yet.
     */
    private PublishResult failed(RuntimeException e, Changes changes, List<VarChange> varChanges,
                                 Map<String, String> sources, List<String> warnings) {
        state.lock();
        try {
            rescanRemovals = true;
            requeue(changes);
        } finally {
            state.unlock();
        }
        String why = cluster.why(e);
        List<String> names = newlyUnshared(changes, varChanges, why);
        for (VarChange c : varChanges) unsharedChanges.put(c.key(), new UnsharedChange(c, sources.get(c.key())));
        warnedUnshared.addAll(namesBesideVars(changes));
        warnedWhy = why;
        unshared = true;
        if (!names.isEmpty()) {
            warnings.add("these definitions are in place on this member but could not be shared with the cluster ("
                + why + "); " + cluster.retried(e) + ": " + String.join(", ", names));
        }
        return new PublishResult(0, 0, 0, warnings);
    }

    /**
     * After a failed publication of {@code changes}: what it took from loads and the named
     * classes it took go back before what came since, for the next scan; a loaded var a record
     * from another member has replaced since is left out.
     */
    private void requeue(Changes changes) {
        loadedNamespaces.addAll(0, changes.namespaces().stream().filter(c -> c.kind() == NamespaceRecord.Kind.CLASSPATH).toList());
        loadedVars.addAll(0, scannedFromLoads.stream().filter(c -> {
            KnownVar k = vars.get(c.key());
            return k == null || k.version() <= c.floor();
        }).toList());
        unsharedClasses.addAll(0, scannedClasses);
    }

    /**
     * What a failed publication's warning names: the vars it changed that no warning named for
     * the same reason (a client away for a while evaluates many times: each evaluation names
     * what it defined, not again what the ones before did), or else the loads, namespaces and
     * named classes no warning named.
     */
    private List<String> newlyUnshared(Changes changes, List<VarChange> varChanges, String why) {
        boolean again = why.equals(warnedWhy);
        List<String> vars = new ArrayList<>();
        for (VarChange c : varChanges) {
            UnsharedChange warned = again ? unsharedChanges.get(c.key()) : null;
            if (warned == null || !warned.change().sameAs(c)) vars.add(unsharedName(c));
        }
        if (!vars.isEmpty()) return vars;
        return namesBesideVars(changes).stream().filter(n -> !again || !warnedUnshared.contains(n)).toList();
    }

    /** A var's change as a warning names it: the var, or its removal ({@code ns-unmap}, {@code remove-ns}). */
    private static String unsharedName(VarChange c) {
        return (c.kind() == VarRecord.Kind.REMOVED ? "the removal of " : "") + VarRecord.varName(c.key());
    }

    /** The namespaces and named classes {@code changes} holds, as a warning names them. */
    private static List<String> namesBesideVars(Changes changes) {
        List<String> names = new ArrayList<>();
        for (NsChange c : changes.namespaces()) {
            names.add((c.kind() == NamespaceRecord.Kind.CLASSPATH ? "the load of namespace " : "namespace ") + c.name());
        }
        for (ClassChange c : changes.classes()) names.add("class " + c.name());
        return names;
    }

    /**
     * The source of a var that this evaluation changed but did not define again (its meta is
     * the map it had, which every def replaces): the form that defined it, and not the text
     * being evaluated ({@code alter-var-root}, {@code extend-type}, a {@code defmethod}, or an
     * evaluation that shares, once it can, what earlier ones could not). Null if it was defined
     * again, or its form is not known here.
     */
    private String sourceOfUndefined(VarChange c) {
        if (c.meta() == null) return null;
        UnsharedChange earlier = unsharedChanges.get(c.key());
        if (earlier != null) return earlier.change().meta() == c.meta() ? earlier.source() : null;
        Provenance published = provenance.get(c.key());
        if (published == null) return null;
        state.lock();
        try {
            KnownVar k = vars.get(c.key());
            return k != null && k.meta == c.meta() ? published.source() : null;
        } finally {
            state.unlock();
        }
    }

    /**
     * An atom held by a shared var becomes a cluster atom, here and everywhere: the cluster
     * gets its state before any record names it, and the var's root here becomes the cluster
     * atom (unless evaluation changed the root meanwhile; the next publication sees that).
     */
    private VarChange shareAtom(VarChange c, Map<String, UnshareableValueException> failures) {
        if (atoms == null || c.kind() != VarRecord.Kind.VALUE || !(c.root() instanceof clojure.lang.Atom local)) return c;
        ClusterAtom shared;
        try {
            shared = atoms.create(local, VarRecord.varName(c.key()));
        } catch (UnshareableValueException e) {
            failures.put(c.key(), new UnshareableValueException(e.type(), e.why() == null ? "value" : e.why()));
            return c;
        }
        state.lock();
        try {
            if (c.var().getRawRoot() != local) return c;
            c.var().bindRoot(shared);
            return c.withRoot(shared);
        } finally {
            state.unlock();
        }
    }

    private Stamp classStamp(String name) {
        state.lock();
        try {
            return classStamps.getOrDefault(name, Stamp.NONE);
        } finally {
            state.unlock();
        }
    }

    /** The value of a var's record: clojure.spec's registry a spec at a time (see {@link Specs}). */
    private ValueWriter.Written writeValue(VarChange c) throws UnshareableValueException {
        if (c.key().equals(Specs.REGISTRY)) return Specs.write((IPersistentMap) c.root(), units);
        return ValueWriter.write(c.root(), units);
    }

    private byte[] writeMeta(IPersistentMap meta, Set<Unit> needed, String what, List<String> warnings) {
        IPersistentMap m = meta == null ? PersistentHashMap.EMPTY : meta.without(NS).without(NAME);
        try {
            ValueWriter.Written w = ValueWriter.writeMeta(m, units);
            needed.addAll(w.units());
            return w.bytes();
        } catch (UnshareableValueException e) {
            // Keep what can travel: drop the entries that cannot.
            IPersistentMap kept = PersistentHashMap.EMPTY;
            List<Object> dropped = new ArrayList<>();
            for (Object o : (Iterable<?>) m) {
                Map.Entry<?, ?> entry = (Map.Entry<?, ?>) o;
                try {
                    ValueWriter.write(PersistentHashMap.create(entry.getKey(), entry.getValue()), units);
                    kept = kept.assoc(entry.getKey(), entry.getValue());
                } catch (UnshareableValueException inner) {
                    dropped.add(entry.getKey());
                }
            }
            warnings.add("the meta of " + what + " was shared without " + dropped
                + ", which cannot be shared with other members");
            try {
                ValueWriter.Written w = ValueWriter.writeMeta(kept, units);
                needed.addAll(w.units());
                return w.bytes();
            } catch (UnshareableValueException impossible) {
                return null;
            }
        }
    }

    /**
     * Takes what this member wrote as what it has for the namespace. What it wrote is the
     * record the map holds at its version, so it takes the place of another member's record of
     * that version, applied here from a hand-off whose write never landed. A record another
     * member wrote meanwhile, applied here between the scan and the write, was merged with this
     * member's changes (see {@link Merge}); what it added is published again.
     */
    private void commitNamespace(NsChange c, Stamp written) {
        KnownNamespace kn = namespaces.get(c.name());
        if (kn != null && !written.replaces(kn.stamp, true)) return;
        // Another member's record of this namespace, older than this one, was applied here
        // between the scan and the write: this one stays, here as everywhere else.
        boolean appliedSinceScan = kn != null && kn.version() > c.floor();
        NamespaceContent base = kn != null && kn.kind == NamespaceRecord.Kind.SHARED && kn.ns == c.ns() ? kn.content : null;
        if (kn == null) {
            kn = new KnownNamespace(c.kind(), written);
            namespaces.put(c.name(), kn);
        }
        kn.kind = c.kind();
        kn.stamp = written;
        switch (c.kind()) {
            case SHARED -> {
                kn.capture(c.ns(), c.content());
                if (appliedSinceScan) {
                    // The namespace holds it merged with this write (see Merge): published again
                    // if that added to it.
                    kn.own = null;
                    if (!NamespaceContent.of(c.ns()).sameAs(c.content())) unpublished(c.name(), kn);
                } else {
                    kn.own = base == null ? null
                        : new Merge.Own(written.version(), c.floor(), tables(base), tables(c.content()));
                }
            }
            case CLASSPATH -> { /* captured when its load was seen */ }
            case LOCAL -> policy.markLocal(c.name(), true);
            case REMOVED -> {
                if (appliedSinceScan && policy.sharedName(c.name())) Namespace.remove(Symbol.intern(c.name()));
                kn.ns = null;
                kn.interned = List.of();
            }
        }
    }

    /** As {@link #commitNamespace}, for a named class: the newest stays the one its name finds. */
    private void commitClass(ClassChange c, ClassRecord r, Stamp written) {
        Stamp was = classStamps.getOrDefault(r.name(), Stamp.NONE);
        if (!written.replaces(was, true)) return;
        classStamps.put(r.name(), written);
        if (was.version() > c.floor()) {
            try {
                Class<?> ours = units.resolve(r.unit(), r.name());
                Units.makeNewest(ours);
                Vars.reimport(ours);
            } catch (RefusedException | ClassNotFoundException | LinkageError e) {
                warn.accept("class " + r.name() + " could not be made the newest here again: " + e.getMessage());
            }
        }
    }

    /** As {@link #commitNamespace}, for a var. */
    private void commitVar(VarChange c, VarRecord r, Stamp written) {
        KnownVar k = vars.get(c.key());
        if (k != null && !written.replaces(k.stamp, true)) return; // a newer definition is already here
        boolean appliedSinceScan = k != null && k.version() > c.floor();
        if (k == null) {
            k = new KnownVar(written);
            vars.put(c.key(), k);
        }
        k.stamp = written;
        switch (c.kind()) {
            case REMOVED -> {
                k.var = null;
                k.removed = true;
            }
            case LOCAL -> {
                k.local = true;
                k.capture(c.var());
            }
            default -> {
                if (tables.extended(c.key())) {
                    commitExtension(c, k, appliedSinceScan, written);
                    break;
                }
                List<IPersistentMap> base = k.methodTables();
                if (appliedSinceScan) {
                    // An older definition from another member landed between the scan and the
                    // write; this one is newer, so it is the one that stays. A multimethod
                    // stays itself, its tables merged with that definition's (see Merge): the
                    // scan publishes them again.
                    restore(c);
                }
                k.own = appliedSinceScan || base == null || c.methods() == null ? null
                    : new Merge.Own(written.version(), c.floor(), base,
                                    List.of((IPersistentMap) c.methods(), (IPersistentMap) c.prefers()));
                k.var = c.var();
                k.root = c.root();
                k.meta = c.meta();
                k.dynamic = c.dynamic();
                k.removed = false;
                k.methods = c.methods();
                k.prefers = c.prefers();
                if (appliedSinceScan && c.root() instanceof MultiFn m) {
                    List<IPersistentMap> held = List.of(m.getMethodTable(), m.getPreferTable());
                    if (Merge.same(held, k.methodTables())) k.captureTables(m);
                    else unpublished(c.key(), k);
                }
            }
        }
        provenance.put(c.key(), new Provenance(VarRecord.varName(c.key()), r.version(), r.origin(), r.source()));
    }

    /**
     * As {@link #commitVar}, for the evaluated methods or extensions of a var {@link
     * ExtensionTables#extended} shares.
     */
    private void commitExtension(VarChange c, KnownVar k, boolean appliedSinceScan, Stamp written) {
        IPersistentMap extensions = (IPersistentMap) c.root();
        IPersistentMap base = k.extension == null ? PersistentArrayMap.EMPTY : k.extension;
        Object now = c.var().getRawRoot();
        k.captureExtension(c.var(), extensions);
        // As scanned: what changed since is seen by the next scan.
        if (now instanceof MultiFn) {
            k.methods = c.methods();
            k.prefers = c.prefers();
        } else if (Specs.isRegistry(now)) {
            k.registryState = c.methods();
        } else {
            k.root = c.methods();
        }
        if (appliedSinceScan) {
            // Merged with what was applied meanwhile (see Merge): published again if that added to it.
            k.own = null;
            if (!clojure.lang.Util.equiv(tables.evaluated(c.key(), c.var().getRawRoot()), extensions)) unpublished(c.key(), k);
        } else {
            k.own = new Merge.Own(written.version(), c.floor(), List.of(base), List.of(extensions));
        }
    }

    private static void restore(VarChange c) {
        Var v = c.var();
        if (c.kind() == VarRecord.Kind.UNBOUND) v.unbindRoot();
        else v.bindRoot(c.root());
        v.setMeta(c.meta() == null ? PersistentHashMap.EMPTY : c.meta());
        v.setDynamic(c.dynamic());
    }

    // ---------------------------------------------------------------- applying

    /**
     * Applies records from the cluster: named classes first (namespaces import them), then
     * namespaces, then vars. Each record is checked and applied on its own; a refused one is
     * reported through the warning consumer and changes nothing. {@code fromMaps}: the records
     * were read from the cluster's maps (entry events, a sync), not handed off by their writer,
     * so each is the one its version names (see {@link Stamp}).
     */
    public void apply(Batch records, boolean fromMaps) {
        applyClasses(fresh(records.classKeys(), records.classes(), ClassRecord::decode, this::classStamp, fromMaps),
                     fromMaps);
        List<Fresh<NamespaceRecord>> ns = fresh(records.nsKeys(), records.ns(), NamespaceRecord::decode,
                                                this::namespaceStamp, fromMaps);
        Map<String, Fresh<NamespaceRecord>> byName = new LinkedHashMap<>();
        for (Fresh<NamespaceRecord> f : ns) byName.put(f.record().name(), f);
        applyNamespaces(ns, byName, fromMaps);
        applyVars(records.varKeys(), records.vars(), fromMaps);
        republishMerged();
    }

    /**
     * Reads every named class, namespace and var the cluster holds and applies them: a joining
     * member's sync. Returns how long the reading of the maps took, in nanoseconds.
     */
    public long sync() {
        long t0 = System.nanoTime();
        Batch all = Batch.empty();
        cluster.snapshot(ClassRecord.MAP).forEach(all::addClass);
        cluster.snapshot(NamespaceRecord.MAP).forEach(all::addNamespace);
        cluster.snapshot(VarRecord.MAP).forEach(all::addVar);
        long read = System.nanoTime() - t0;
        apply(all, true);
        return read;
    }

    private interface Decoder<R> {
        R decode(String key, byte[] bytes) throws RefusedException;
    }

    /** A record that takes the place of what this member has for its key, and its stamp. */
    private record Fresh<R>(R record, Stamp stamp) {}

    /**
     * The records that pass their checks and take the place of what this member has (and are
     * not its own). Every record is checked, so tampering is reported even in one that is
     * skipped as old.
     */
    private <R extends SharedRecord> List<Fresh<R>> fresh(List<String> keys, List<byte[]> bytes, Decoder<R> decoder,
                                                          java.util.function.Function<String, Stamp> known,
                                                          boolean fromMaps) {
        // Checking each record's hash is pure work: a joining member's thousands are checked on every core.
        Object[] decoded = new Object[keys.size()];
        java.util.stream.IntStream indices = java.util.stream.IntStream.range(0, keys.size());
        (keys.size() < PARALLEL_READS ? indices : indices.parallel()).forEach(i -> {
            try {
                decoded[i] = decoder.decode(keys.get(i), bytes.get(i));
            } catch (RefusedException e) {
                decoded[i] = e;
            }
        });
        List<Fresh<R>> out = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            if (decoded[i] instanceof RefusedException e) {
                refuse(keys.get(i), Envelope.version(bytes.get(i)), e.getMessage() + "; nothing was defined from it.");
                continue;
            }
            @SuppressWarnings("unchecked")
            R r = (R) decoded[i];
            Stamp stamp = Stamp.of(bytes.get(i));
            if (stamp.replaces(known.apply(keys.get(i)), fromMaps) && !r.origin().memberId().equals(cluster.memberId())) {
                out.add(new Fresh<>(r, stamp));
            }
        }
        return out;
    }

    /**
     * How long a class record whose unit is missing from the maps waits before it is refused:
     * a member stopped (Ctrl-Z) while another defined a record, and resumed, can read the record
     * on its own side of the split before the two sides are one cluster again (about fifteen
     * seconds), where the unit is.
     */
    private static final long MISSING_UNIT_RECHECK_MS = 30_000;

    private void applyClasses(List<Fresh<ClassRecord>> records, boolean fromMaps) {
        applyClasses(records, fromMaps, false);
    }

    private void applyClasses(List<Fresh<ClassRecord>> records, boolean fromMaps, boolean lastTry) {
        if (records.isEmpty()) return;
        Map<String, RefusedException> refusedUnits = new HashMap<>();
        List<Object> held = units.prefetch(records.stream().map(f -> f.record().unit()).toList(), refusedUnits);
        List<ClassRecord> applied = new ArrayList<>();
        try {
            for (Fresh<ClassRecord> f : records) {
                ClassRecord r = f.record();
                if (!policy.sharedName(ClassRecord.namespaceOf(r.name()))) continue;
                Class<?> c;
                try {
                    RefusedException e = refusedUnits.get(r.unit());
                    if (e != null) throw e;
                    c = units.resolve(r.unit(), r.name());
                } catch (RefusedException | ClassNotFoundException | LinkageError e) {
                    if (!lastTry && e instanceof RefusedException re && re.missing()) {
                        recheckLater(f, fromMaps);
                        continue;
                    }
                    // A unit's own refusal says what it is; a class of the classpath is named by the JVM's error.
                    String lacked = e instanceof RefusedException ? null : RefusedException.lackedClassOf(e);
                    refuse(r.name(), r.version(), "class " + r.name() + " from member " + r.origin().address()
                        + " was refused: " + (lacked != null ? RefusedException.needs(lacked) : e.getMessage())
                        + "; nothing was defined from it.");
                    continue;
                }
                state.lock();
                try {
                    if (!f.stamp().replaces(classStamps.getOrDefault(r.name(), Stamp.NONE), fromMaps)) continue;
                    classStamps.put(r.name(), f.stamp());
                    applied.add(r);
                    Units.makeNewest(c);
                    Vars.reimport(c);
                    for (Map.Entry<Namespace, Symbol> waiting : pendingImports.getOrDefault(r.name(), List.of())) {
                        waiting.getKey().unmap(waiting.getValue());
                        waiting.getKey().importClass(waiting.getValue(), c);
                    }
                    pendingImports.remove(r.name());
                } finally {
                    state.unlock();
                }
            }
            for (ClassRecord r : applied) {
                classpath.sayNotFound(ClassRecord.namespaceOf(r.name()), "class " + r.name(), r.origin(), units.namesNotFound(r.unit()));
            }
        } finally {
            held.clear();
        }
    }

    /**
     * Applies {@code f} again after MISSING_UNIT_RECHECK_MS, unless this member has applied
     * it or a newer record of its class by then; refuses it if its unit is still missing.
     */
    private void recheckLater(Fresh<ClassRecord> f, boolean fromMaps) {
        java.util.concurrent.CompletableFuture.delayedExecutor(MISSING_UNIT_RECHECK_MS, TimeUnit.MILLISECONDS, republisher)
            .execute(() -> {
                state.lock();
                try {
                    if (!f.stamp().replaces(classStamps.getOrDefault(f.record().name(), Stamp.NONE), fromMaps)) return;
                } finally {
                    state.unlock();
                }
                try {
                    applyClasses(List.of(f), fromMaps, true);
                } catch (RuntimeException e) {
                    // this member left the cluster meanwhile
                }
            });
    }

    private void refuse(String key, long version, String message) {
        if (refused.add(key + "@" + version)) warn.accept(message);
    }

    private Stamp varStamp(String key) {
        state.lock();
        try {
            KnownVar k = vars.get(key);
            return k == null ? Stamp.NONE : k.stamp;
        } finally {
            state.unlock();
        }
    }

    private Stamp namespaceStamp(String key) {
        state.lock();
        try {
            KnownNamespace k = namespaces.get(key);
            return k == null ? Stamp.NONE : k.stamp;
        } finally {
            state.unlock();
        }
    }

    private void applyNamespaces(List<Fresh<NamespaceRecord>> records, Map<String, Fresh<NamespaceRecord>> all,
                                 boolean fromMaps) {
        // Classpath namespaces first: shared ones may alias or refer to them.
        List<Fresh<NamespaceRecord>> ordered = new ArrayList<>();
        for (Fresh<NamespaceRecord> f : records) if (f.record().kind() == NamespaceRecord.Kind.CLASSPATH) ordered.add(f);
        for (Fresh<NamespaceRecord> f : records) if (f.record().kind() != NamespaceRecord.Kind.CLASSPATH) ordered.add(f);
        Set<String> done = new HashSet<>();
        for (Fresh<NamespaceRecord> f : ordered) applyNamespace(f, all, done, fromMaps);
    }

    private void applyNamespace(Fresh<NamespaceRecord> f, Map<String, Fresh<NamespaceRecord>> all, Set<String> done,
                                boolean fromMaps) {
        NamespaceRecord r = f.record();
        if (!done.add(r.name()) || SharingPolicy.never(r.name())) return;
        if (r.kind() == NamespaceRecord.Kind.CLASSPATH) {
            if (r.reloaded() && reloadsHere(r)) {
                classpath.load(r.name(), true, "reloaded on member " + r.origin().address(),
                     "reload " + r.name() + " " + r.version());
            } else {
                classpath.require(r.name(), "required on member " + r.origin().address());
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
                if (dep != null) applyNamespace(dep, all, done, fromMaps);
                else classpath.require(t, "used by namespace " + r.name());
            }
            try {
                meta = r.meta() == null ? null : ValueReader.readMeta(r.meta(), units);
            } catch (RefusedException | ClassCastException e) {
                warn.accept("the meta of namespace " + r.name() + " from member " + r.origin().address()
                    + " was refused: " + e.getMessage() + "; the namespace is shared without it.");
            }
        }
        state.lock();
        try {
            KnownNamespace kn = namespaces.get(r.name());
            Symbol sym = Symbol.intern(r.name());
            if (kn != null && !f.stamp().replaces(kn.stamp, fromMaps)) {
                crossed(kn, r, meta);
                return;
            }
            if (kn == null) {
                kn = new KnownNamespace(r.kind(), f.stamp());
                namespaces.put(r.name(), kn);
            }
            // What this member knew of the namespace's tables, and wrote last: kept under the record's.
            Namespace here = Namespace.find(sym);
            NamespaceContent known = kn.kind == NamespaceRecord.Kind.SHARED && here != null && kn.ns == here ? kn.content : null;
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
                        if (known != null) {
                            List<IPersistentMap> tables = Merge.applied(tables(theirs), r.base(), own, tables(known),
                                                                        tables(NamespaceContent.of(n)));
                            // The meta travels whole: this member's change to it stays until published.
                            IPersistentMap m = clojure.lang.Util.equiv(n.meta(), known.meta()) ? meta : n.meta();
                            held = content(tables, m);
                        }
                        reconcile(n, r.name(), held, held.meta(), kn.beforeJoining);
                        Classpath.markLoaded(sym);
                        NamespaceContent now = NamespaceContent.of(n);
                        if (held.sameAs(theirs)) {
                            kn.capture(n, now);
                        } else {
                            // KnownVar as the record would have left it here: the next scan sees
                            // this member's changes, and only those, against it.
                            kn.capture(n, content(Merge.redo(tables(now), tables(held), tables(theirs)), meta));
                            unpublished(r.name(), kn);
                        }
                    }
                }
                case CLASSPATH -> {
                    Namespace n = Namespace.find(sym);
                    if (n != null) baselineNamespace(n, NamespaceRecord.Kind.CLASSPATH);
                }
                case LOCAL -> policy.markLocal(r.name(), true);
                case REMOVED -> {
                    if (policy.sharedName(r.name())) Namespace.remove(sym);
                    kn.ns = null;
                    kn.interned = List.of();
                }
            }
        } finally {
            state.unlock();
        }
    }

    /** A namespace's aliases, refers and imports, as tables (see {@link Merge}). */
    private static List<IPersistentMap> tables(NamespaceContent c) {
        return List.of(Merge.table(c.aliases()), Merge.table(c.refers()), Merge.table(c.imports()));
    }

    private static NamespaceContent content(List<IPersistentMap> tables, IPersistentMap meta) {
        return new NamespaceContent(Merge.strings(tables.get(0)), Merge.strings(tables.get(1)),
                                    Merge.strings(tables.get(2)), meta);
    }

    /** Marks the namespace as holding changes its record lacks (see {@link #unpublished(String, KnownVar)}). */
    private void unpublished(String name, KnownNamespace kn) {
        kn.unpublished = true;
        remergedNamespaces.add(name);
    }

    /** As {@link #crossed(KnownVar, String, VarRecord, Object)}, for a namespace's tables. */
    private void crossed(KnownNamespace kn, NamespaceRecord r, IPersistentMap meta) {
        Merge.Own own = kn.own;
        Namespace n = kn.ns;
        if (own == null || n == null || kn.kind != NamespaceRecord.Kind.SHARED || r.kind() != NamespaceRecord.Kind.SHARED
            || Namespace.find(n.getName()) != n || r.base() != own.baseVersion() || r.version() >= own.version()) {
            return;
        }
        NamespaceContent now = NamespaceContent.of(n);
        List<IPersistentMap> held = Merge.redo(tables(NamespaceContent.of(r, meta)),
                                               own.base(), tables(now));
        reconcile(n, r.name(), content(held, n.meta()), null, kn.beforeJoining);
        unpublished(r.name(), kn);
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
                    pendingImports.computeIfAbsent(imp.getValue(), k -> new ArrayList<>()).add(Map.entry(n, sym));
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
        state.lock();
        try {
            KnownNamespace kn = namespaces.get(r.name());
            // Not one that could not load it, which said so once already.
            if (kn == null || !kn.loadedFromClasspath()) return false;
        } finally {
            state.unlock();
        }
        boolean[] first = {false};
        reloaded.compute(r.name(), (k, done) -> {
            if (done != null && done >= r.version()) return done;
            first[0] = true;
            return r.version();
        });
        return first[0];
    }

    /** How many var records a chunk has: a batch of at least two chunks (a joining member's sync) is applied a chunk at a time. */
    public static final int VAR_CHUNK = 512;

    /**
     * Applies var records in order. A large batch (a joining member's sync) goes through in
     * chunks: while this thread defines one chunk's classes and binds its vars, another checks
     * the next chunk's records and units. Defining classes is most of a sync and gains nothing
     * from more threads (on two cores, two threads defining took as long as one); checking is
     * pure work that then runs beside it instead of before it.
     */
    private void applyVars(List<String> keys, List<byte[]> bytes, boolean fromMaps) {
        Set<Var> protocols = new LinkedHashSet<>();
        if (keys.size() < 2 * VAR_CHUNK) {
            applyVarChunk(prepareVars(keys, bytes, fromMaps), protocols, fromMaps);
        } else {
            ExecutorService ahead = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "entangle-sync-check");
                t.setDaemon(true);
                return t;
            });
            try {
                Future<PreparedVars> next = ahead.submit(() -> prepareVarChunk(keys, bytes, 0, fromMaps));
                for (int from = 0; from < keys.size(); from += VAR_CHUNK) {
                    PreparedVars chunk = awaitChunk(next);
                    int after = from + VAR_CHUNK;
                    if (after < keys.size()) next = ahead.submit(() -> prepareVarChunk(keys, bytes, after, fromMaps));
                    applyVarChunk(chunk, protocols, fromMaps);
                }
            } finally {
                ahead.shutdownNow();
            }
        }
        resetProtocols(protocols);
    }

    private static PreparedVars awaitChunk(Future<PreparedVars> chunk) {
        try {
            return chunk.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while applying shared vars", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        }
    }

    /**
     * Var records checked and ready to apply: those that take the place of what this member
     * has, with the loaders of their units (held until they are applied) and the units refused.
     */
    private record PreparedVars(List<Fresh<VarRecord>> fresh, List<Object> held, Map<String, RefusedException> refused,
                                Map<String, List<String>> namesNotFound) {}

    private PreparedVars prepareVarChunk(List<String> keys, List<byte[]> bytes, int from, boolean fromMaps) {
        int to = Math.min(from + VAR_CHUNK, keys.size());
        return prepareVars(keys.subList(from, to), bytes.subList(from, to), fromMaps);
    }

    private PreparedVars prepareVars(List<String> keys, List<byte[]> bytes, boolean fromMaps) {
        List<Fresh<VarRecord>> fresh = fresh(keys, bytes, VarRecord::decode, this::varStamp, fromMaps);
        Set<String> hashes = new LinkedHashSet<>();
        Map<String, byte[]> carried = new HashMap<>();
        for (Fresh<VarRecord> f : fresh) {
            VarRecord r = f.record();
            hashes.addAll(r.units());
            for (int i = 0; i < r.units().size(); i++) carried.put(r.units().get(i), r.unitBytes().get(i));
        }
        Map<String, RefusedException> refused = new HashMap<>();
        List<Object> held = units.prefetch(hashes, carried, refused);
        // Here, on the thread that checks a joining member's next records while it applies these.
        Map<String, List<String>> notFound = new HashMap<>();
        for (String h : hashes) {
            List<String> names = refused.containsKey(h) ? List.of() : units.namesNotFound(h);
            if (!names.isEmpty()) notFound.put(h, names);
        }
        return new PreparedVars(fresh, held, refused, notFound);
    }

    private void applyVarChunk(PreparedVars chunk, Set<Var> protocols, boolean fromMaps) {
        try {
            for (Fresh<VarRecord> f : chunk.fresh()) {
                VarRecord r = f.record();
                boolean bound = false;
                try {
                    bound = applyVar(f, read(r, chunk.refused()), protocols, fromMaps);
                } catch (RuntimeException | LinkageError e) {
                    // Code of this member's runs inside an apply (a value's own methods, say); what
                    // it throws fails this record, not the rest of the batch or a joining member.
                    String lacked = RefusedException.lackedClassOf(e);
                    refuse(r.key(), r.version(), ExtensionTables.recordName(r) + " from member " + r.origin().address()
                        + " could not be applied here: " + (lacked != null ? RefusedException.needs(lacked) : e) + ".");
                }
                if (bound) {
                    List<String> names = new ArrayList<>();
                    for (String h : r.units()) names.addAll(chunk.namesNotFound().getOrDefault(h, List.of()));
                    classpath.sayNotFound(r.ns(), r.varName(), r.origin(), names);
                }
            }
        } finally {
            chunk.held().clear();
        }
    }

    /** A var record's value and meta, read; or why it was refused. */
    private record Read(Object value, IPersistentMap meta, String refusal) {}

    /** How many records a batch has before they are checked on several threads (a joining member's sync). */
    private static final int PARALLEL_READS = 256;

    /** What {@link #read} gives for a record of a namespace this member does not share: applyVar leaves it. */
    private static final Read NOT_APPLIED_HERE = new Read(null, null, null);

    private Read read(VarRecord r, Map<String, RefusedException> refusedUnits) {
        if (!policy.sharedName(r.ns()) && r.kind() != VarRecord.Kind.LOCAL
            && !SharingPolicy.ALWAYS_SHARED_VARS.contains(r.key())
            && !(tables.extended(r.key()) && tables.extensible(r.key()))) {
            return NOT_APPLIED_HERE;
        }
        for (String h : r.units()) {
            RefusedException e = refusedUnits.get(h);
            if (e != null) return new Read(null, null, e.getMessage());
        }
        try {
            Object value = r.kind() != VarRecord.Kind.VALUE ? null
                : r.key().equals(Specs.REGISTRY) ? Specs.read(r.value(), units)
                : readValue(r);
            IPersistentMap meta = r.meta() != null ? ValueReader.readMeta(r.meta(), units) : PersistentHashMap.EMPTY;
            return new Read(value, meta, null);
        } catch (RefusedException | ClassCastException e) {
            return new Read(null, null, e.getMessage());
        }
    }

    /**
     * A var record's value; or, where it needs a class of a library this member lacks, what
     * says so when the var is used here (and the member is told as the record comes).
     */
    private Object readValue(VarRecord r) throws RefusedException {
        try {
            return ValueReader.read(r.value(), units, r.key());
        } catch (RefusedException e) {
            if (e.lackedClass() == null || tables.extended(r.key())) throw e;
            refuse(r.key(), r.version(), ExtensionTables.recordName(r) + " from member " + r.origin().address()
                + " could not be applied here: " + e.getMessage() + ".");
            return Unshared.unreadable(r.varName(), e.lackedClass(), r.origin().memberId(), r.origin().address(),
                                       cluster::inCluster);
        }
    }

    /** Marks the var as holding changes its record lacks: the next scan, and {@link #publishMerged}, publish them. */
    private void unpublished(String key, KnownVar k) {
        k.unpublished();
        remergedVars.add(key);
    }

    /**
     * A record older than this member's, and made from the same one this member's last write of
     * the var's tables was: the two writes crossed, and the cluster's map kept this member's,
     * which lacks the record's changes. This member takes them under its own (see {@link Merge})
     * and publishes them again.
     */
    private void crossed(KnownVar k, String key, VarRecord r, Object value) {
        Merge.Own own = k.own;
        Var v = k.var;
        if (own == null || v == null || k.removed || r.base() != own.baseVersion() || r.version() >= own.version()) return;
        if (tables.extended(key) && value instanceof IPersistentMap theirs) {
            IPersistentMap now = tables.evaluated(key, v.getRawRoot());
            ExtensionTables.extend(v, Merge.redo(List.of(theirs), own.base(), List.of(now)).get(0), now);
        } else if (value instanceof MultiFn m && v.getRawRoot() instanceof MultiFn here) {
            List<IPersistentMap> theirs = List.of(m.getMethodTable(), m.getPreferTable());
            if (MultiFns.applied(key, m, here, now -> Merge.redo(theirs, own.base(), now)) != here) return;
        } else {
            return;
        }
        unpublished(key, k);
    }

    private static final Keyword PROTOCOL = Keyword.intern("protocol");
    private static final Keyword METHOD_BUILDERS = Keyword.intern("method-builders");

    /**
     * Rebuilds the method fns of protocols that changed, from their method builders, as
     * defprotocol and extend do: a method fn's dispatch cache is this member's own and never
     * travels, so the fn that came with the record is never used.
     */
    private void resetProtocols(Set<Var> protocols) {
        if (protocols.isEmpty()) return;
        state.lock();
        try {
            for (Var p : protocols) {
                Object protocol = p.getRawRoot();
                if (!p.hasRoot() || !Protocols.isProtocol(protocol)) continue;
                Clojure.var("clojure.core", "-reset-methods").invoke(protocol);
                for (Object builder : (Iterable<?>) ((IPersistentMap) protocol).valAt(METHOD_BUILDERS)) {
                    Var method = (Var) ((Map.Entry<?, ?>) builder).getKey();
                    KnownVar k = vars.get(Vars.key(method));
                    if (k != null) k.capture(method);
                }
            }
        } finally {
            state.unlock();
        }
    }

    /** Applies a var record read as {@code read}; true if it bound the var to the record's value. */
    private boolean applyVar(Fresh<VarRecord> f, Read read, Set<Var> protocols, boolean fromMaps) {
        if (read == NOT_APPLIED_HERE) return false;
        VarRecord r = f.record();
        String key = r.key();
        if (read.refusal() != null) {
            refuse(key, r.version(), ExtensionTables.recordName(r) + " from member " + r.origin().address() + " was refused: "
                + read.refusal() + "; nothing was defined from it.");
            return false;
        }
        Object value = read.value();
        IPersistentMap meta = read.meta();
        Vars.Rebound rebound = null;
        boolean bound = false;
        state.lock();
        try {
            KnownVar k = vars.get(key);
            if (k != null && !f.stamp().replaces(k.stamp, fromMaps)) {
                crossed(k, key, r, value);
                return false;
            }
            KnownNamespace kn = namespaces.get(r.ns());
            if (kn != null && kn.kind == NamespaceRecord.Kind.REMOVED && r.kind() != VarRecord.Kind.REMOVED) {
                // A var of a namespace the cluster removed: applying it would make the namespace
                // again. (Left unapplied: if the namespace comes back, the record is applied then.)
                return false;
            }
            String rejected = (k != null && k.local) || tables.extended(key) ? null
                : rejectedByValidator(r, r.kind() == VarRecord.Kind.UNSHAREABLE ? unshared(r) : value, meta);
            if (rejected != null) {
                refuse(key, r.version(), r.varName() + " from member " + r.origin().address() + " was refused: "
                    + rejected + "; " + r.varName() + " keeps what it held here.");
                return false;
            }
            if (k == null) {
                k = new KnownVar(f.stamp());
                vars.put(key, k);
            }
            k.stamp = f.stamp();
            Merge.Own own = k.own;
            if (own != null && !own.unseenBy(r.base())) k.own = null;
            if (tables.extended(key)) {
                Var v = Var.find(Symbol.intern(key));
                if (v != null && value instanceof IPersistentMap extensions) {
                    IPersistentMap now = tables.evaluated(key, v.getRawRoot());
                    IPersistentMap held = Merge.applied(List.of(extensions), r.base(), own,
                                                        k.extension == null ? null : List.of(k.extension),
                                                        List.of(now)).get(0);
                    ExtensionTables.extend(v, held, now);
                    k.captureExtension(v, extensions);
                    if (!Merge.same(List.of(held), List.of(extensions))) unpublished(key, k);
                }
                provenance.put(key, new Provenance(VarRecord.varName(key), r.version(), r.origin(), r.source()));
                return false;
            }
            List<IPersistentMap> knownTables = k.methodTables();
            if (r.kind() == VarRecord.Kind.REMOVED && Namespace.find(Symbol.intern(r.ns())) == null) {
                k.var = null;
                k.removed = true;
                return false;
            }
            Namespace ns = Namespace.findOrCreate(Symbol.intern(r.ns()));
            Symbol sym = Symbol.intern(r.name());
            if (r.kind() == VarRecord.Kind.REMOVED) {
                Object m = ns.getMapping(sym);
                if (m instanceof Var v && v.ns == ns && !k.local) ns.unmap(sym);
                k.var = null;
                k.removed = true;
            } else if (r.kind() == VarRecord.Kind.LOCAL) {
                k.local = true;
                Var v = ns.findInternedVar(sym);
                if (v != null) k.capture(v);
            } else if (!k.local) {
                Var v = Vars.internFresh(ns, sym);
                // A multimethod's tables as the record has them, and as this member holds them after it.
                List<IPersistentMap> theirs = value instanceof MultiFn m
                    ? List.of(m.getMethodTable(), m.getPreferTable()) : null;
                @SuppressWarnings("unchecked")
                List<IPersistentMap>[] held = new List[1];
                Object protocol = meta.valAt(PROTOCOL);
                if (protocol instanceof Var p) {
                    // A protocol's method: rebuilt here from the protocol (see resetProtocols).
                    protocols.add(p);
                } else {
                    switch (r.kind()) {
                        case VALUE -> {
                            bound = true;
                            Object root = value;
                            if (value instanceof MultiFn m) {
                                root = MultiFns.applied(key, m, v.getRawRoot(),
                                    now -> held[0] = Merge.applied(theirs, r.base(), own, knownTables, now));
                            }
                            // A multimethod changed in place is the root already.
                            if (!(root instanceof MultiFn) || root != v.getRawRoot()) rebound = Vars.bindRoot(v, root);
                            if (root instanceof ClusterAtom a) a.heldBy(r.varName());
                            // As on the member that compiled it: code compiled later with direct
                            // linking calls the var's fn through its class, found by name.
                            if (value instanceof clojure.lang.AFunction) Units.nameAsCompiled(value.getClass());
                        }
                        case UNBOUND -> v.unbindRoot();
                        default -> rebound = Vars.bindRoot(v, unshared(r));
                    }
                }
                if (Protocols.isProtocol(value)) protocols.add(v);
                v.setMeta(meta); // after bindRoot, which clears :macro
                v.setDynamic(r.dynamic());
                k.capture(v);
                if (held[0] != null && !Merge.same(held[0], theirs)) {
                    // What this member holds beyond the record is published by its next scan.
                    k.methods = theirs.get(0);
                    k.prefers = theirs.get(1);
                    unpublished(key, k);
                }
            }
            provenance.put(key, new Provenance(VarRecord.varName(key), r.version(), r.origin(), r.source()));
        } finally {
            state.unlock();
        }
        RuntimeException watchFailed = rebound == null ? null : rebound.notifyWatches();
        if (watchFailed != null) {
            warn.accept("a watch on " + r.varName() + " threw when the definition from member " + r.origin().address()
                + " was applied here (the definition is in place): " + watchFailed);
        }
        return bound;
    }

    /**
     * Why the validator this member set on the record's var (set-validator!, which stays on its
     * member) rejects the record's value, or null: checked before anything changes, since
     * {@code bindRoot} would throw half way through an apply.
     */
    private static String rejectedByValidator(VarRecord r, Object root, IPersistentMap meta) {
        if (r.kind() != VarRecord.Kind.VALUE && r.kind() != VarRecord.Kind.UNSHAREABLE) return null;
        if (root instanceof MultiFn || meta.valAt(PROTOCOL) != null) return null; // roots made here, not the record's
        Namespace ns = Namespace.find(Symbol.intern(r.ns()));
        Var v = ns == null ? null : ns.findInternedVar(Symbol.intern(r.name()));
        IFn validator = v == null ? null : v.getValidator();
        if (validator == null) return null;
        try {
            if (RT.booleanCast(validator.invoke(root))) return null;
            return "the validator of " + r.varName() + " on this member rejected its value";
        } catch (RuntimeException e) {
            return "the validator of " + r.varName() + " on this member threw on its value: " + e;
        }
    }

    /** What a var holds here whose value stayed on the member that made it. */
    private Unshared unshared(VarRecord r) {
        return new Unshared(r.varName(), r.unshareableType(), r.origin().memberId(), r.origin().address(),
                            cluster::inCluster);
    }

    /** The vars this member shares, as "ns/name" keys; for tests and tools. */
    public Collection<String> sharedVarKeys() {
        state.lock();
        try {
            List<String> out = new ArrayList<>();
            for (Map.Entry<String, KnownVar> e : vars.entrySet()) {
                if (e.getValue().version() > 0 && !e.getValue().removed) out.add(e.getKey());
            }
            return out;
        } finally {
            state.unlock();
        }
    }
}
