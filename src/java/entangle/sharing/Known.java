package entangle.sharing;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

import clojure.lang.Namespace;
import clojure.lang.Symbol;
import clojure.lang.Var;

/**
 * What this member knows of the cluster's shared namespaces, vars and named classes: what it
 * last published or applied of each ({@link KnownNamespace}, {@link KnownVar}, a named class's
 * {@link Stamp}), the imports waiting for a class, where each var's definition came from, and
 * what it holds merged beyond the records it applied (see {@link Merge}), to publish again.
 *
 * <p>A scan ({@link Scanner}) compares the namespaces and vars with it, and a publication
 * ({@link SharedVars}) records in it what it wrote; applying ({@link Applier}) decides by it
 * whether a record takes the place of what this member has. Each reads and changes it, and the
 * namespaces and vars themselves, holding {@link #lock()}: a record applied while an evaluation
 * is scanned would otherwise be taken for the evaluation's change, or the scan's change for
 * the record's.
 */
final class Known {

    /** The stamp of what this member had before anything was shared: the floor of a first write. */
    static final Stamp NEVER = new Stamp(0, 0);

    private final ReentrantLock lock = new ReentrantLock();

    final Map<String, KnownVar> vars = new HashMap<>();
    final Map<String, KnownNamespace> namespaces = new HashMap<>();
    /** The stamp of each named class's record applied or published here. */
    final Map<String, Stamp> classStamps = new HashMap<>();
    /**
     * Imports waiting for their class, by class name: entry events from different maps arrive
     * in any order, so a namespace can name a class whose record has not arrived yet.
     */
    final Map<String, List<Map.Entry<Namespace, Symbol>>> pendingImports = new HashMap<>();
    /** Where each var's current definition came from, by key (read without the lock). */
    final Map<String, Provenance> provenance = new ConcurrentHashMap<>();
    /**
     * Vars and namespaces whose tables this member holds merged with a record (see {@link Merge}),
     * with changes that record lacks: published again at once, not at the next evaluation.
     */
    final Set<String> remergedVars = new LinkedHashSet<>();
    final Set<String> remergedNamespaces = new LinkedHashSet<>();

    void lock() {
        lock.lock();
    }

    void unlock() {
        lock.unlock();
    }

    /** What {@code read} reads of this, under the lock. */
    private <T> T locked(Supplier<T> read) {
        lock();
        try {
            return read.get();
        } finally {
            unlock();
        }
    }

    Stamp varStamp(String key) {
        return locked(() -> vars.containsKey(key) ? vars.get(key).stamp : Stamp.NONE);
    }

    Stamp namespaceStamp(String key) {
        return locked(() -> namespaces.containsKey(key) ? namespaces.get(key).stamp : Stamp.NONE);
    }

    Stamp classStamp(String name) {
        return locked(() -> classStamps.getOrDefault(name, Stamp.NONE));
    }

    /**
     * Takes namespace {@code n}, of kind {@code kind}, and its vars as known, as they are now;
     * under the lock.
     */
    KnownNamespace baseline(Namespace n, NamespaceRecord.Kind kind) {
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

    /**
     * What namespace {@code name} held before this member joined, or null: its own, which its
     * records leave out (a REPL's doc and pprint are not the cluster's).
     */
    NamespaceContent beforeJoining(String name) {
        return locked(() -> namespaces.containsKey(name) ? namespaces.get(name).beforeJoining : null);
    }

    /**
     * Marks the var as holding changes its record lacks, under the lock: the next scan, and
     * SharedVars' publication of what merging left, publish them.
     */
    void unpublished(String key, KnownVar k) {
        k.unpublished();
        remergedVars.add(key);
    }

    /** As {@link #unpublished(String, KnownVar)}, for a namespace. */
    void unpublished(String name, KnownNamespace kn) {
        kn.unpublished = true;
        remergedNamespaces.add(name);
    }

    /** True if a var or namespace holds changes its record lacks. */
    boolean anyUnpublished() {
        return locked(() -> !remergedVars.isEmpty() || !remergedNamespaces.isEmpty());
    }
}
