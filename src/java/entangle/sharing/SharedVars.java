package entangle.sharing;

import static entangle.value.UnshareableValueException.withArticle;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

import clojure.lang.IPersistentMap;
import clojure.lang.Keyword;
import clojure.lang.MultiFn;
import clojure.lang.Namespace;
import clojure.lang.PersistentArrayMap;
import clojure.lang.PersistentHashMap;
import clojure.lang.Symbol;
import clojure.lang.Var;
import entangle.RefusedException;
import entangle.hook.ResourceLoads;
import entangle.sharing.Changes.ClassChange;
import entangle.sharing.Changes.NsChange;
import entangle.sharing.Changes.VarChange;
import entangle.unit.Unit;
import entangle.unit.Units;
import entangle.value.Specs;
import entangle.value.UnshareableValueException;
import entangle.value.ValueWriter;

/**
 * Keeps this member's shared namespaces and vars the same as the cluster's.
 *
 * <p>After each evaluation, {@link #publish} takes from {@link Scanner} what changed in the
 * shared namespaces since this member last published or applied them ({@link Known}), and
 * shares it: the units of classes that namespace and class records name go first; then the
 * namespace, class and var records, each stamped with the version after the newest this member
 * knows of its key, are written to the cluster's maps and handed to every other member at once,
 * and the evaluation returns once every member has applied them. The write on the key's
 * partition orders concurrent writes to one key: a record whose version another member wrote
 * meanwhile gets the next one, and is handed off again, so every member converges on the last
 * write. So once an evaluation has returned, any evaluation that starts on any member
 * afterwards sees its definitions, or newer ones.
 *
 * <p>{@link #apply} takes records from other members (that hand-off; the maps' entry events,
 * a backstop for a writer that died before handing off; the snapshot a joining member reads)
 * and hands them to {@link Applier}: a record is applied only if it takes the place of what
 * this member has for its key (see {@link Stamp}), and only once it has passed every check;
 * otherwise it is refused with a message and nothing is defined from it. What applying left
 * merged beyond a record (see {@link Merge}) is published again here, at once.
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

        /**
         * True if {@code memberId} is this member's id, or one it had before: Hazelcast gives a
         * member a new id when it merges after a split, and what it wrote under the old one is
         * still its own.
         */
        boolean isThisMember(String memberId);

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

    private static final Keyword NS = Keyword.intern("ns");
    private static final Keyword NAME = Keyword.intern("name");
    private static final Keyword PROTOCOL = Keyword.intern("protocol");

    /**
     * How many var records a chunk has: a batch of at least two chunks (a joining member's
     * sync) is applied a chunk at a time (see {@link Applier}).
     */
    public static final int VAR_CHUNK = 512;

    private final SharingPolicy policy;
    private final Units units;
    private final Cluster cluster;
    private final ClusterAtoms atoms;
    private final Consumer<String> warn;
    /** Definitions made here that one made without seeing them replaced, told to the user. */
    private final Overwritten overwritten;

    /**
     * What this member last published or applied; its lock guards every change this class
     * makes to namespaces and vars.
     */
    private final Known known = new Known();
    private final Scanner scanner;
    private final Applier applier;
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
    private final Classpath classpath;
    private final ExtensionTables tables;
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
    /**
     * Publishes what merging records applied outside an evaluation left (see {@link
     * #publishMerged}); its thread ends when idle, so a member that left keeps none.
     */
    private final ExecutorService republisher = new java.util.concurrent.ThreadPoolExecutor(
        0, 1, 10, TimeUnit.SECONDS, new java.util.concurrent.LinkedBlockingQueue<>(), r -> {
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
        this.scanner = new Scanner(policy, known, tables, warn);
        this.overwritten = new Overwritten(warn, republisher, this::takingAway);
        this.applier = new Applier(policy, units, cluster, known, classpath, tables, warn, republisher, overwritten);
        ResourceLoads.onCompleted(scanner::loadCompleted);
        Units.lookUpNamedClassesWith(applier::namedClassFromCluster);
        Specs.track(); // loaded before this member started (by a user.clj, a host application)
    }

    public SharingPolicy policy() { return policy; }

    /** Where the current definition of {@code ns/name} came from, or null if it was never shared. */
    public Provenance provenance(String ns, String name) {
        return known.provenance.get(VarRecord.key(ns, name));
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
            known.lock();
            try {
                merged = scanner.scanMerged();
            } finally {
                known.unlock();
            }
            if (merged.isEmpty()) break;
            result = result.and(publish(merged, null, null, notices));
        }
        return result;
    }

    /**
     * Takes everything as it is now as already shared, without publishing it: what was
     * loaded before this member joined stays this member's own until evaluation changes it.
     */
    public void baseline() {
        scanner.baseline();
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
            if (evalText != null || read != null) texts.compiled(evalText, read, scanner.scannedLoaders());
            PublishResult result = changes.isEmpty() ? PublishResult.NOTHING : publish(changes, evalText, read, notices);
            return publishMerged(result, notices);
        } finally {
            publishing.unlock();
        }
    }

    private Changes scanned() {
        known.lock();
        try {
            return scanner.scan();
        } finally {
            known.unlock();
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
        if (!known.anyUnpublished()) return;
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
        CallOrder.Ordered ordered = CallOrder.of(scanned.vars());
        for (VarChange c : ordered.changes()) {
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
                NamespaceContent shared = c.content().without(known.beforeJoining(c.name()));
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
                        varChanges.set(i, c = new VarChange(c.var(), c.key(), kind, kept, c.meta(), c.dynamic(), c.base(),
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
            varRecords.add(new VarRecord(kind, ns, name, c.floor() + 1, c.floor(), origin, c.dynamic(), meta, value,
                                         unitHashes, unitBytes, unshareable, source,
                                         ordered.after().getOrDefault(c.key(), List.of()), c.base().digest()));
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
            known.lock();
            try {
                for (int i = 0; i < nsRecords.size(); i++) {
                    commitNamespace(changes.namespaces().get(i), Stamp.of(written.ns().get(i)));
                }
                for (int i = 0; i < classRecords.size(); i++) {
                    commitClass(classChanges.get(i), classRecords.get(i), Stamp.of(written.classes().get(i)));
                }
                for (int i = 0; i < varRecords.size(); i++) {
                    Stamp stamp = Stamp.of(written.vars().get(i));
                    commitVar(varChanges.get(i), varRecords.get(i).withVersion(stamp.version()), stamp,
                              Stamp.of(proposed.vars().get(i)));
                }
            } finally {
                known.unlock();
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
            // A protocol's method has no place of its own: its protocol's form made it.
            if (c.meta().valAt(PROTOCOL) instanceof clojure.lang.Var protocol && protocol.meta() != null) {
                form = forms.formOf(protocol.sym.getName(), protocol.meta(), null);
                if (form != null) return form;
            }
        }
        source = sourceText.evalText();
        if (source == null && sourceText.none() && known.provenance.get(c.key()) != null) {
            source = known.provenance.get(c.key()).source(); // published again after a merge
        }
        return source;
    }

    /**
     * A publication of {@code changes} that failed ({@code e}): what it held is kept for the next
     * one, with each var's source, and the warning names what no warning named yet.
     */
    private PublishResult failed(RuntimeException e, Changes changes, List<VarChange> varChanges,
                                 Map<String, String> sources, List<String> warnings) {
        known.lock();
        try {
            scanner.requeue(changes);
        } finally {
            known.unlock();
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
        Provenance published = known.provenance.get(c.key());
        if (published == null) return null;
        known.lock();
        try {
            KnownVar k = known.vars.get(c.key());
            return k != null && k.meta == c.meta() ? published.source() : null;
        } finally {
            known.unlock();
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
        known.lock();
        try {
            if (c.var().getRawRoot() != local) return c;
            c.var().bindRoot(shared);
            return c.withRoot(shared);
        } finally {
            known.unlock();
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
        KnownNamespace kn = known.namespaces.get(c.name());
        if (kn != null && !written.replaces(kn.stamp, true)) return;
        // Another member's record of this namespace, older than this one, was applied here
        // between the scan and the write: this one stays, here as everywhere else.
        boolean appliedSinceScan = kn != null && kn.version() > c.floor();
        NamespaceContent base = kn != null && kn.kind == NamespaceRecord.Kind.SHARED && kn.ns == c.ns() ? kn.content : null;
        if (kn == null) {
            kn = new KnownNamespace(c.kind(), written);
            known.namespaces.put(c.name(), kn);
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
                    if (!NamespaceContent.of(c.ns()).sameAs(c.content())) known.unpublished(c.name(), kn);
                } else {
                    kn.own = base == null ? null
                        : new Merge.Own(written.version(), c.floor(), base.tables(), c.content().tables());
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

    /** See {@link Overwritten.Holders#takingAway}. */
    private String takingAway(String key, Overwritten.Own own, String noted) {
        known.lock();
        try {
            KnownVar k = known.vars.get(key);
            Provenance p = known.provenance.get(key);
            return k == null || p == null || p.version() != k.version() ? noted : takenBy(key, k, own);
        } finally {
            known.unlock();
        }
    }

    /**
     * The address of the member whose record the var {@code key} holds ({@code k}), if that
     * record takes away {@code own}; null if it does not, is this member's, or has no known
     * writer. Under {@code known}'s lock.
     */
    private String takenBy(String key, KnownVar k, Overwritten.Own own) {
        Provenance p = known.provenance.get(key);
        if (p == null || p.version() != k.version() || cluster.isThisMember(p.origin().memberId())) return null;
        return Overwritten.takesAway(k.base, p.source(), own) ? p.origin().shownAt(cluster) : null;
    }

    /** As {@link #commitNamespace}, for a named class: the newest stays the one its name finds. */
    private void commitClass(ClassChange c, ClassRecord r, Stamp written) {
        Stamp was = known.classStamps.getOrDefault(r.name(), Stamp.NONE);
        if (!written.replaces(was, true)) return;
        known.classStamps.put(r.name(), written);
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

    /**
     * As {@link #commitNamespace}, for a var; {@code proposed} is the stamp its hand-off had,
     * {@code written} the one the write gave it.
     */
    private void commitVar(VarChange c, VarRecord r, Stamp written, Stamp proposed) {
        KnownVar k = known.vars.get(c.key());
        Overwritten.Own own = new Overwritten.Own(written, proposed.equals(written) ? null : proposed, r.source());
        if (k != null && !written.replaces(k.stamp, true)) {
            // A newer definition is already here; made without seeing this one, it took it away.
            String by = Overwritten.losesNothing(k, tables.extended(c.key()) || c.methods() != null, c.meta(),
                                                 c.kind() == VarRecord.Kind.REMOVED) ? null : takenBy(c.key(), k, own);
            if (by != null) overwritten.note(c.key(), r.varName(), own, by);
            return;
        }
        boolean appliedSinceScan = k != null && k.version() > c.floor();
        if (k == null) {
            k = new KnownVar(written);
            known.vars.put(c.key(), k);
        }
        k.stamp = written;
        k.base = c.base();
        k.proposed = own.proposed();
        switch (c.kind()) {
            case REMOVED -> {
                k.var = null;
                k.removed = true;
            }
            case LOCAL -> {
                k.local = true;
                k.capture(c.var());
            }
            case LOADED -> {
                k.removed = false;
                k.fromLoad = true;
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
                k.fromLoad = false;
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
                    else known.unpublished(c.key(), k);
                }
            }
        }
        known.provenance.put(c.key(), new Provenance(VarRecord.varName(c.key()), r.version(), r.origin(), r.source()));
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
            if (!clojure.lang.Util.equiv(tables.evaluated(c.key(), c.var().getRawRoot()), extensions)) known.unpublished(c.key(), k);
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
        applier.apply(records, fromMaps);
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

    /**
     * True if {@code record}, of {@code key} in {@code map}, has the version of what this
     * member has for the key but is another record. Read from the map now, it takes the place of
     * what this member has (see {@link Stamp}); brought by an entry event, it may be older than
     * the map: a merge after a split keeps one side's record of a version both sides wrote, and
     * the event of the other side's, sent before the merge, comes after it.
     */
    public boolean rivalsKnown(String map, String key, byte[] record) {
        Stamp here = switch (map) {
            case NamespaceRecord.MAP -> known.namespaceStamp(key);
            case ClassRecord.MAP -> known.classStamp(key);
            case VarRecord.MAP -> known.varStamp(key);
            default -> throw new IllegalArgumentException("not a map of records: " + map);
        };
        return Stamp.of(record).rivals(here);
    }

    /** The vars this member shares, as "ns/name" keys; for tests and tools. */
    public Collection<String> sharedVarKeys() {
        known.lock();
        try {
            List<String> out = new ArrayList<>();
            for (Map.Entry<String, KnownVar> e : known.vars.entrySet()) {
                if (e.getValue().version() > 0 && !e.getValue().removed) out.add(e.getKey());
            }
            return out;
        } finally {
            known.unlock();
        }
    }
}
