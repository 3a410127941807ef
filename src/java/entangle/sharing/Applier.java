package entangle.sharing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import clojure.java.api.Clojure;
import clojure.lang.IFn;
import clojure.lang.IPersistentMap;
import clojure.lang.Keyword;
import clojure.lang.MultiFn;
import clojure.lang.Namespace;
import clojure.lang.PersistentHashMap;
import clojure.lang.RT;
import clojure.lang.Symbol;
import clojure.lang.Var;
import entangle.RefusedException;
import entangle.unit.Units;
import entangle.value.MultiFns;
import entangle.value.Protocols;
import entangle.value.Specs;
import entangle.value.ValueReader;

/**
 * Applies other members' records here: named classes first (namespaces import them), then
 * namespaces, then vars. A record is applied only if it takes the place of what this member
 * has for its key ({@link Known}, see {@link Stamp}), and only once it has passed every check;
 * otherwise it is refused with one message, said once a record, and nothing is defined from it.
 *
 * <p>Where this member holds changes to a table that a record lacks (see {@link Merge}), it
 * keeps them under the record's and marks them unpublished in {@link Known}: {@link
 * SharedVars} publishes them again.
 */
final class Applier {

    private final SharingPolicy policy;
    private final Units units;
    private final SharedVars.Cluster cluster;
    private final Known known;
    private final Classpath classpath;
    private final ExtensionTables tables;
    private final Consumer<String> warn;
    /** Where a class record whose unit is missing is applied again later (see recheckLater). */
    private final Executor later;
    private final Overwritten overwritten;
    /** Records refused already ("key@version"): the hand-off and the entry event bring each one twice. */
    private final Set<String> refused = ConcurrentHashMap.newKeySet();
    private final NamespaceApplier namespaces;

    Applier(SharingPolicy policy, Units units, SharedVars.Cluster cluster, Known known, Classpath classpath,
            ExtensionTables tables, Consumer<String> warn, Executor later, Overwritten overwritten) {
        this.policy = policy;
        this.units = units;
        this.cluster = cluster;
        this.known = known;
        this.classpath = classpath;
        this.tables = tables;
        this.warn = warn;
        this.later = later;
        this.overwritten = overwritten;
        this.namespaces = new NamespaceApplier(policy, units, known, classpath, warn, this::applyVars, cluster);
    }

    /**
     * Applies {@code records}. Each record is checked and applied on its own; a refused one is
     * reported through the warning consumer and changes nothing. {@code fromMaps}: the records
     * were read from the cluster's maps (entry events, a sync), not handed off by their writer,
     * so each is the one its version names (see {@link Stamp}).
     */
    void apply(Batch records, boolean fromMaps) {
        List<Fresh<NamespaceRecord>> ns = fresh(records.nsKeys(), records.ns(), NamespaceRecord::decode,
                                                known::namespaceStamp, fromMaps);
        Map<String, Fresh<NamespaceRecord>> byName = new LinkedHashMap<>();
        for (Fresh<NamespaceRecord> f : ns) byName.put(f.record().name(), f);
        // What members loaded from their classpath comes first, as it came first where the
        // classes of the batch were compiled: a record type implementing a library's protocol,
        // in a joining member's sync, or in the evaluation that required the library; a class
        // evaluation made under a library's name (its file loaded at a REPL) after the library's own.
        List<Fresh<NamespaceRecord>> loads = new ArrayList<>(), others = new ArrayList<>();
        for (Fresh<NamespaceRecord> f : ns) (f.record().kind() == NamespaceRecord.Kind.CLASSPATH ? loads : others).add(f);
        namespaces.apply(loads, byName, records, fromMaps);
        applyClasses(fresh(records.classKeys(), records.classes(), ClassRecord::decode, known::classStamp, fromMaps),
                     fromMaps);
        byName.values().removeAll(loads); // applied: not again as what a shared namespace aliases
        namespaces.apply(others, byName, records, fromMaps);
        applyVars(records.varKeys(), records.vars(), fromMaps);
    }

    /** Applies the cluster's record for the named class {@code name}, if it has one, and returns the class. */
    Class<?> namedClassFromCluster(String name) {
        if (ClassRecord.namespaceOf(name) == null) return null;
        byte[] record = cluster.read(ClassRecord.MAP, name);
        if (record == null) return null;
        Batch b = Batch.empty();
        b.addClass(name, record);
        applyClasses(fresh(b.classKeys(), b.classes(), ClassRecord::decode, known::classStamp, true), true);
        try {
            return Units.byName(name);
        } catch (ClassNotFoundException e) {
            return null;
        }
    }

    private interface Decoder<R> {
        R decode(String key, byte[] bytes) throws RefusedException;
    }

    /** A record that takes the place of what this member has for its key, and its stamp. */
    record Fresh<R>(R record, Stamp stamp) {}

    /**
     * The records that pass their checks and take the place of what this member has (and are
     * not its own). Every record is checked, so tampering is reported even in one that is
     * skipped as old.
     */
    private <R extends SharedRecord> List<Fresh<R>> fresh(List<String> keys, List<byte[]> bytes, Decoder<R> decoder,
                                                          java.util.function.Function<String, Stamp> stampHere,
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
            if (stamp.replaces(stampHere.apply(keys.get(i)), fromMaps) && !cluster.isThisMember(r.origin().memberId())) {
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
                    refuse(r.name(), r.version(), "class " + r.name() + " from member " + r.origin().shownAt(cluster)
                        + " was refused: " + (lacked != null ? RefusedException.needs(lacked) : e.getMessage())
                        + "; nothing was defined from it.");
                    continue;
                }
                known.lock();
                try {
                    if (!f.stamp().replaces(known.classStamps.getOrDefault(r.name(), Stamp.NONE), fromMaps)) continue;
                    known.classStamps.put(r.name(), f.stamp());
                    applied.add(r);
                    Units.makeNewest(c);
                    Vars.reimport(c);
                    for (Map.Entry<Namespace, Symbol> waiting : known.pendingImports.getOrDefault(r.name(), List.of())) {
                        waiting.getKey().unmap(waiting.getValue());
                        waiting.getKey().importClass(waiting.getValue(), c);
                    }
                    known.pendingImports.remove(r.name());
                } finally {
                    known.unlock();
                }
            }
            for (ClassRecord r : applied) {
                classpath.sayNotFound(ClassRecord.namespaceOf(r.name()), "class " + r.name(), r.origin().shownAt(cluster), units.namesNotFound(r.unit()));
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
        java.util.concurrent.CompletableFuture.delayedExecutor(MISSING_UNIT_RECHECK_MS, TimeUnit.MILLISECONDS, later)
            .execute(() -> {
                known.lock();
                try {
                    if (!f.stamp().replaces(known.classStamps.getOrDefault(f.record().name(), Stamp.NONE), fromMaps)) return;
                } finally {
                    known.unlock();
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

    /**
     * Applies var records in order. A large batch (a joining member's sync) goes through in
     * chunks: while this thread defines one chunk's classes and binds its vars, another checks
     * the next chunk's records and units. Defining classes is most of a sync and gains nothing
     * from more threads (on two cores, two threads defining took as long as one); checking is
     * pure work that then runs beside it instead of before it.
     */
    void applyVars(List<String> keys, List<byte[]> bytes, boolean fromMaps) {
        applyVars(keys, bytes, fromMaps, new HashSet<>());
    }

    /**
     * As {@link #applyVars(List, List, boolean)}; {@code pulled}: the keys read from the maps
     * so far for records applied after them (see pullBefore).
     */
    private void applyVars(List<String> keys, List<byte[]> bytes, boolean fromMaps, Set<String> pulled) {
        Set<Var> protocols = new LinkedHashSet<>();
        if (keys.size() < 2 * SharedVars.VAR_CHUNK || newerThanKnown(keys, bytes, fromMaps) < 2 * SharedVars.VAR_CHUNK) {
            // Every record is checked; those this member applies, in call order throughout.
            applyVarChunk(prepareVars(keys, bytes, fromMaps), protocols, fromMaps, fromMaps ? pulled : null);
        } else {
            ExecutorService ahead = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "entangle-sync-check");
                t.setDaemon(true);
                return t;
            });
            try {
                Future<PreparedVars> next = ahead.submit(() -> prepareVarChunk(keys, bytes, 0, fromMaps));
                for (int from = 0; from < keys.size(); from += SharedVars.VAR_CHUNK) {
                    PreparedVars chunk = awaitChunk(next);
                    int after = from + SharedVars.VAR_CHUNK;
                    if (after < keys.size()) next = ahead.submit(() -> prepareVarChunk(keys, bytes, after, fromMaps));
                    // A joining member's: no code of its own runs yet, so what a chunk's records
                    // name in another chunk is not read ahead.
                    applyVarChunk(chunk, protocols, fromMaps, null);
                }
            } finally {
                ahead.shutdownNow();
            }
        }
        resetProtocols(protocols);
    }

    /**
     * How many of the records have a stamp that takes the place of what this member has, as
     * their envelopes say (unchecked): a member reading the maps again after a merge has most
     * of them already, and applies the few it lacks in one chunk.
     */
    private int newerThanKnown(List<String> keys, List<byte[]> bytes, boolean fromMaps) {
        int n = 0;
        for (int i = 0; i < keys.size(); i++) {
            if (Stamp.of(bytes.get(i)).replaces(known.varStamp(keys.get(i)), fromMaps)) n++;
        }
        return n;
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
        int to = Math.min(from + SharedVars.VAR_CHUNK, keys.size());
        return prepareVars(keys.subList(from, to), bytes.subList(from, to), fromMaps);
    }

    private PreparedVars prepareVars(List<String> keys, List<byte[]> bytes, boolean fromMaps) {
        List<Fresh<VarRecord>> fresh = fresh(keys, bytes, VarRecord::decode, known::varStamp, fromMaps);
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

    /**
     * Applies a chunk's records in call order; with {@code pulled} (records read from the
     * maps), the records they are applied after that this member lacks first (see pullBefore).
     */
    private void applyVarChunk(PreparedVars chunk, Set<Var> protocols, boolean fromMaps, Set<String> pulled) {
        try {
            // Records read from the maps come in no order; a hand-off's are in this one already.
            List<Fresh<VarRecord>> ordered = !fromMaps ? chunk.fresh()
                : CallOrder.sorted(chunk.fresh(), f -> f.record().key(), f -> f.record().after());
            for (Fresh<VarRecord> f : ordered) {
                VarRecord r = f.record();
                if (pulled != null) pullBefore(r, pulled);
                boolean bound = false;
                try {
                    bound = applyVar(f, read(r, chunk.refused()), protocols, fromMaps);
                } catch (RuntimeException | LinkageError e) {
                    // Code of this member's runs inside an apply (a value's own methods, say); what
                    // it throws fails this record, not the rest of the batch or a joining member.
                    String lacked = RefusedException.lackedClassOf(e);
                    refuse(r.key(), r.version(), ExtensionTables.recordName(r) + " from member " + r.origin().shownAt(cluster)
                        + " could not be applied here: " + (lacked != null ? RefusedException.needs(lacked) : e) + ".");
                }
                if (bound) {
                    List<String> names = new ArrayList<>();
                    for (String h : r.units()) names.addAll(chunk.namesNotFound().getOrDefault(h, List.of()));
                    classpath.sayNotFound(r.ns(), r.varName(), r.origin().shownAt(cluster), names);
                }
            }
        } finally {
            chunk.held().clear();
        }
    }

    /**
     * Applies first the cluster's records of the vars that {@code r} is applied after (see
     * {@link CallOrder}) and this member never had. Those of its batch were applied before it
     * (in call order); an entry event brings one record, and after a merge the other side's
     * come one event each, so a fn would otherwise make the vars it names, unbound until
     * their own events came.
     */
    private void pullBefore(VarRecord r, Set<String> pulled) {
        for (String key : r.after()) {
            if (!Stamp.NONE.equals(known.varStamp(key)) || !pulled.add(key)) continue;
            byte[] record = awaitInMaps(key);
            if (record != null) applyVars(List.of(key), List.of(record), true, pulled);
        }
    }

    /**
     * How long a record read from the maps waits for one it is applied after to be in the maps:
     * a merge writes the other side's records into this side's partitions over seconds, in no
     * order of theirs (on the loaded test machine, a record's entry event came more than its
     * two seconds of grace before the record it names was in the map).
     */
    private static final long AWAIT_IN_MAPS_MS = 5_000;
    /** When this member first waited for a key to be in the maps (see awaitInMaps). */
    private final Map<String, Long> awaitedSince = new ConcurrentHashMap<>();

    /**
     * The cluster's record of var {@code key}, once the maps have it; null if they lack it for
     * AWAIT_IN_MAPS_MS from the first time this member waited for it (a writer that left before
     * its write landed), or cannot be read.
     */
    private byte[] awaitInMaps(String key) {
        long deadline = awaitedSince.computeIfAbsent(key, k -> System.nanoTime())
            + TimeUnit.MILLISECONDS.toNanos(AWAIT_IN_MAPS_MS);
        try {
            while (true) {
                byte[] record = cluster.read(VarRecord.MAP, key);
                if (record != null) {
                    awaitedSince.remove(key);
                    return record;
                }
                if (System.nanoTime() - deadline >= 0) return null;
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (RuntimeException e) {
            return null; // its own entry event brings it
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
            refuse(r.key(), r.version(), ExtensionTables.recordName(r) + " from member " + r.origin().shownAt(cluster)
                + " could not be applied here: " + e.getMessage() + ".");
            return Unshared.unreadable(r.varName(), e.lackedClass(), r.origin().memberId(), r.origin().shownAt(cluster),
                                       cluster::inCluster);
        }
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
        known.unpublished(key, k);
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
        known.lock();
        try {
            for (Var p : protocols) resetMethods(p);
        } finally {
            known.unlock();
        }
    }

    /** Rebuilds the method fns of protocol {@code p}; under {@code known}'s lock. */
    private void resetMethods(Var p) {
        Object protocol = p.getRawRoot();
        if (!p.hasRoot() || !Protocols.isProtocol(protocol)) return;
        Clojure.var("clojure.core", "-reset-methods").invoke(protocol);
        for (Object builder : (Iterable<?>) ((IPersistentMap) protocol).valAt(METHOD_BUILDERS)) {
            Var method = (Var) ((Map.Entry<?, ?>) builder).getKey();
            KnownVar k = known.vars.get(Vars.key(method));
            if (k != null) k.capture(method);
        }
    }

    /** Applies a var record read as {@code read}; true if it bound the var to the record's value. */
    private boolean applyVar(Fresh<VarRecord> f, Read read, Set<Var> protocols, boolean fromMaps) {
        if (read == NOT_APPLIED_HERE) return false;
        VarRecord r = f.record();
        String key = r.key();
        if (read.refusal() != null) {
            refuse(key, r.version(), ExtensionTables.recordName(r) + " from member " + r.origin().shownAt(cluster) + " was refused: "
                + read.refusal() + "; nothing was defined from it.");
            return false;
        }
        Object value = read.value();
        IPersistentMap meta = read.meta();
        Vars.Rebound rebound = null;
        boolean bound = false;
        known.lock();
        try {
            KnownVar k = known.vars.get(key);
            if (k != null && !f.stamp().replaces(k.stamp, fromMaps)) {
                crossed(k, key, r, value);
                return false;
            }
            KnownNamespace kn = known.namespaces.get(r.ns());
            if (kn != null && kn.kind == NamespaceRecord.Kind.REMOVED && r.kind() != VarRecord.Kind.REMOVED) {
                // A var of a namespace the cluster removed: applying it would make the namespace
                // again. (Left unapplied: if the namespace comes back, the record is applied then.)
                return false;
            }
            String rejected = (k != null && k.local) || tables.extended(key) ? null
                : rejectedByValidator(r, r.kind() == VarRecord.Kind.UNSHAREABLE ? unshared(r) : value, meta);
            if (rejected != null) {
                refuse(key, r.version(), r.varName() + " from member " + r.origin().shownAt(cluster) + " was refused: "
                    + rejected + "; " + r.varName() + " keeps what it held here.");
                return false;
            }
            Stamp base = new Stamp(r.base(), r.baseDigest());
            Overwritten.Own takenAway = k == null ? null : ownTakenAway(key, k, r, base, value, meta);
            if (takenAway == null && k != null) takenAway = unpublishedTakenAway(key, k, r, value, meta);
            if (k == null) {
                k = new KnownVar(f.stamp());
                known.vars.put(key, k);
            }
            k.stamp = f.stamp();
            k.base = base;
            k.proposed = null;
            if (takenAway != null) overwritten.note(key, r.varName(), takenAway, r.origin().shownAt(cluster));
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
                    if (!Merge.same(List.of(held), List.of(extensions))) known.unpublished(key, k);
                }
                known.provenance.put(key, new Provenance(VarRecord.varName(key), r.version(), r.origin(), r.source()));
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
            } else if (r.kind() == VarRecord.Kind.LOADED) {
                // This member's own load of the namespace defined it (applied before the vars).
                k.removed = false;
                k.fromLoad = true;
                Var v = ns.findInternedVar(sym);
                if (v != null) k.capture(v);
            } else if (!k.local) {
                Var v = ns.findInternedVar(sym);
                // A multimethod's tables as the record has them, and as this member holds them after it.
                List<IPersistentMap> theirs = value instanceof MultiFn m
                    ? List.of(m.getMethodTable(), m.getPreferTable()) : null;
                @SuppressWarnings("unchecked")
                List<IPersistentMap>[] held = new List[1];
                Object protocol = meta.valAt(PROTOCOL);
                if (protocol instanceof Var p) {
                    // A protocol's method: rebuilt here from the protocol (see resetProtocols).
                    protocols.add(p);
                    if (v == null) v = Vars.internFresh(ns, sym);
                } else if (r.kind() == VarRecord.Kind.UNBOUND) {
                    if (v == null) v = Vars.internFresh(ns, sym);
                    v.unbindRoot();
                } else {
                    bound = r.kind() == VarRecord.Kind.VALUE;
                    Object root = bound ? value : unshared(r);
                    if (bound && value instanceof MultiFn m) {
                        root = MultiFns.applied(key, m, v == null ? null : v.getRawRoot(),
                            now -> held[0] = Merge.applied(theirs, r.base(), own, knownTables, now));
                    }
                    Var made = v == null ? Vars.internBound(ns, sym, root, meta, r.dynamic()) : null;
                    if (made != null) {
                        v = made;
                    } else {
                        // Interned meanwhile by this member's evaluation, or a Clojure that cannot make it whole.
                        if (v == null) v = Vars.internFresh(ns, sym);
                        // A multimethod changed in place is the root already.
                        if (!(root instanceof MultiFn) || root != v.getRawRoot()) rebound = Vars.bindRoot(v, root);
                    }
                    if (root instanceof ClusterAtom a) a.heldBy(r.varName());
                    // As on the member that compiled it: code compiled later with direct
                    // linking calls the var's fn through its class, found by name.
                    if (bound && value instanceof clojure.lang.AFunction) Units.nameAsCompiled(value.getClass());
                }
                if (Protocols.isProtocol(value)) {
                    protocols.add(v);
                    // Reading the protocol interned its methods' vars: made at once, not at the
                    // end of the batch, as defprotocol makes them with the protocol.
                    resetMethods(v);
                }
                v.setMeta(meta); // after the root: a macro made a fn (or a fn a macro) from here on
                v.setDynamic(r.dynamic());
                k.fromLoad = false;
                k.capture(v);
                if (held[0] != null && !Merge.same(held[0], theirs)) {
                    // What this member holds beyond the record is published by its next scan.
                    k.methods = theirs.get(0);
                    k.prefers = theirs.get(1);
                    known.unpublished(key, k);
                }
            }
            known.provenance.put(key, new Provenance(VarRecord.varName(key), r.version(), r.origin(), r.source()));
        } finally {
            known.unlock();
        }
        RuntimeException watchFailed = rebound == null ? null : rebound.notifyWatches();
        if (watchFailed != null) {
            warn.accept("a watch on " + r.varName() + " threw when the definition from member " + r.origin().shownAt(cluster)
                + " was applied here (the definition is in place): " + watchFailed);
        }
        return bound;
    }

    /**
     * This member's definition, if applying {@code r} (based on {@code base}) takes it away:
     * {@code r}'s writer had not seen it; otherwise null. Under {@code known}'s lock.
     */
    private Overwritten.Own ownTakenAway(String key, KnownVar k, VarRecord r, Stamp base, Object value,
                                         IPersistentMap meta) {
        Provenance p = known.provenance.get(key);
        if (p == null || p.version() != k.version() || !cluster.isThisMember(p.origin().memberId())) return null;
        Overwritten.Own own = new Overwritten.Own(k.stamp, k.proposed, p.source());
        boolean takesAway = !Overwritten.losesNothing(k, tables.extended(key) || value instanceof MultiFn, meta,
                                                      r.kind() == VarRecord.Kind.REMOVED)
            && Overwritten.takesAway(base, r.source(), own);
        return takesAway ? own : null;
    }

    /**
     * This member's change to the var that no scan has published yet ({@link KnownVar#changedHere}),
     * if applying {@code r} replaces it; otherwise null. No record has seen it: it is told as
     * one of the version after the one this member knows, of no source. Under {@code known}'s
     * lock.
     */
    private Overwritten.Own unpublishedTakenAway(String key, KnownVar k, VarRecord r, Object value, IPersistentMap meta) {
        if (k.local || !k.changedHere()
            || Overwritten.losesNothing(k, tables.extended(key) || value instanceof MultiFn, meta,
                                        r.kind() == VarRecord.Kind.REMOVED)) {
            return null;
        }
        return new Overwritten.Own(new Stamp(k.version() + 1, 0), null, null);
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
        return new Unshared(r.varName(), r.unshareableType(), r.origin().memberId(), r.origin().shownAt(cluster),
                            cluster::inCluster);
    }
}
