package entangle.unit;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import com.hazelcast.map.IMap;

import entangle.RefusedException;

/**
 * The cluster's class store: units in a Hazelcast map, keyed by their SHA-256. A unit is
 * written before anything that refers to it, and checked against its key on every read; an
 * entry that no longer matches its key is refused, and repaired by the next member that
 * writes that unit.
 */
public final class UnitStore {
    /** The Hazelcast map that holds the units. */
    public static final String MAP = "entangle.units";

    private final IMap<String, byte[]> map;
    private final Set<String> knownStored = ConcurrentHashMap.newKeySet();
    private final java.util.function.Consumer<String> log;

    public UnitStore(IMap<String, byte[]> map, java.util.function.Consumer<String> log) {
        this.map = map;
        this.log = log;
    }

    /** Stores every unit not known to be stored already, all at once, and waits for them. */
    public void storeAll(Collection<Unit> units) {
        storing(units).await();
    }

    /**
     * Starts storing every unit not known to be stored already. (Waited for with get, not with a
     * dependent stage: Hazelcast runs those on a new thread on small machines.)
     */
    private Storing storing(Collection<Unit> units) {
        List<Unit> sent = new ArrayList<>();
        List<java.util.concurrent.Future<byte[]>> pending = new ArrayList<>();
        for (Unit u : units) {
            if (knownStored.contains(u.hash())) continue;
            // The key is the content's hash, so writing it again is always right, and it repairs
            // an entry whose bytes were corrupted or tampered with.
            sent.add(u);
            pending.add((java.util.concurrent.Future<byte[]>) map.putAsync(u.hash(), u.encoded()));
        }
        return new Storing(sent, pending);
    }

    /** Units being stored. */
    private final class Storing {
        private final List<Unit> sent;
        private final List<java.util.concurrent.Future<byte[]>> pending;

        private Storing(List<Unit> sent, List<java.util.concurrent.Future<byte[]>> pending) {
            this.sent = sent;
            this.pending = pending;
        }

        /** Waits until every unit is stored; throws IllegalStateException naming one that could not be. */
        void await() {
            for (int i = 0; i < sent.size(); i++) {
                Unit u = sent.get(i);
                byte[] previous;
                try {
                    previous = entangle.cluster.InterruptibleWait.get(pending.get(i));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while storing unit " + ContentHash.shortHex(u.hash()), e);
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException("storing unit " + ContentHash.shortHex(u.hash()) + " failed: "
                        + e.getCause(), e.getCause());
                }
                if (previous != null && !java.util.Arrays.equals(previous, u.encoded())) {
                    log.accept("repaired unit " + ContentHash.shortHex(u.hash())
                        + ": the stored bytes did not match their SHA-256");
                }
                knownStored.add(u.hash());
            }
        }
    }

    /** Reads and checks one unit. */
    public Unit fetch(String hash) throws RefusedException {
        Unit u = Unit.decode(hash, map.get(hash));
        knownStored.add(hash);
        return u;
    }

    /** How many units a fetch has before they are checked on several threads. */
    private static final int PARALLEL_DECODES = 256;

    /**
     * Reads many units, those in {@code given} (units that came with a record) from there and
     * the others in one round trip per partition; the ones that fail their check are reported
     * in {@code refused} and left out.
     */
    public Map<String, Unit> fetchAll(Collection<String> hashes, Map<String, byte[]> given,
                                      Map<String, RefusedException> refused) {
        Map<String, Unit> out = new HashMap<>();
        if (hashes.isEmpty()) return out;
        Map<String, byte[]> raw = new HashMap<>();
        Set<String> missing = new java.util.HashSet<>();
        for (String h : hashes) {
            byte[] bytes = given.get(h);
            if (bytes != null) raw.put(h, bytes);
            else missing.add(h);
        }
        if (!missing.isEmpty()) raw.putAll(map.getAll(missing));
        // Checking each unit's hash is pure work: a joining member's thousands are checked on every core.
        List<String> names = new ArrayList<>(hashes);
        Object[] decoded = new Object[names.size()];
        java.util.stream.IntStream indices = java.util.stream.IntStream.range(0, names.size());
        (names.size() < PARALLEL_DECODES ? indices : indices.parallel()).forEach(i -> {
            try {
                decoded[i] = Unit.decode(names.get(i), raw.get(names.get(i)));
            } catch (RefusedException e) {
                decoded[i] = e;
            }
        });
        for (int i = 0; i < names.size(); i++) {
            if (decoded[i] instanceof RefusedException e) {
                refused.put(names.get(i), e);
            } else {
                out.put(names.get(i), (Unit) decoded[i]);
                knownStored.add(names.get(i));
            }
        }
        return out;
    }
}
