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
    private final Map<String, byte[]> offered = new ConcurrentHashMap<>();
    private final java.util.function.Consumer<String> log;

    public UnitStore(IMap<String, byte[]> map, java.util.function.Consumer<String> log) {
        this.map = map;
        this.log = log;
    }

    /** Stores every unit not known to be stored already, all at once, and waits for them. */
    public void storeAll(Collection<Unit> units) {
        List<Unit> sent = new ArrayList<>();
        List<java.util.concurrent.Future<byte[]>> pending = new ArrayList<>();
        for (Unit u : units) {
            if (knownStored.contains(u.hash())) continue;
            // The key is the content's hash, so writing it again is always right, and it repairs
            // an entry whose bytes were corrupted or tampered with. (Waited for with get, not
            // with a dependent stage: Hazelcast runs those on a new thread on small machines.)
            sent.add(u);
            pending.add((java.util.concurrent.Future<byte[]>) map.putAsync(u.hash(), u.encoded()));
        }
        for (int i = 0; i < sent.size(); i++) {
            Unit u = sent.get(i);
            byte[] previous;
            try {
                previous = pending.get(i).get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while storing unit " + ContentHash.shortHex(u.hash()), e);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException("storing unit " + ContentHash.shortHex(u.hash()) + " failed: " + e.getCause(),
                                                e.getCause());
            }
            if (previous != null && !java.util.Arrays.equals(previous, u.encoded())) {
                log.accept("repaired unit " + ContentHash.shortHex(u.hash()) + ": the stored bytes did not match their SHA-256");
            }
            knownStored.add(u.hash());
        }
    }

    /**
     * Units that came with records (a hand-off carries the units its records need), read from
     * here instead of the map until {@link #forget}: still checked against their hash when read.
     */
    public void offer(List<String> hashes, List<byte[]> encoded) {
        for (int i = 0; i < hashes.size(); i++) offered.put(hashes.get(i), encoded.get(i));
    }

    /** Drops units {@link #offer}ed. */
    public void forget(List<String> hashes) {
        for (String h : hashes) offered.remove(h);
    }

    /** Reads and checks one unit. */
    public Unit fetch(String hash) throws RefusedException {
        byte[] bytes = offered.get(hash);
        Unit u = Unit.decode(hash, bytes != null ? bytes : map.get(hash));
        knownStored.add(hash);
        return u;
    }

    /**
     * Reads many units in one round trip per partition; the ones that fail their check are
     * reported in {@code refused} and left out.
     */
    public Map<String, Unit> fetchAll(Collection<String> hashes, Map<String, RefusedException> refused) {
        Map<String, Unit> out = new HashMap<>();
        if (hashes.isEmpty()) return out;
        Map<String, byte[]> raw = new HashMap<>();
        Set<String> missing = new java.util.HashSet<>();
        for (String h : hashes) {
            byte[] bytes = offered.get(h);
            if (bytes != null) raw.put(h, bytes);
            else missing.add(h);
        }
        if (!missing.isEmpty()) raw.putAll(map.getAll(missing));
        for (String h : hashes) {
            try {
                out.put(h, Unit.decode(h, raw.get(h)));
                knownStored.add(h);
            } catch (RefusedException e) {
                refused.put(h, e);
            }
        }
        return out;
    }
}
