package entangle.cluster;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import entangle.sharing.Batch;
import entangle.sharing.ClassRecord;
import entangle.sharing.Envelope;
import entangle.sharing.NamespaceRecord;
import entangle.sharing.VarRecord;

/**
 * The records this member applied from another member's hand-off that may not be in the
 * cluster's maps for good. A writer hands its records off while its write is still on its way
 * (see {@link HazelcastCluster#share}), so a writer that dies in between leaves members that
 * applied its records and maps that never got them. When a writer leaves, each member writes
 * what it holds of that writer's records itself, over older versions only, and the maps'
 * entry events bring them to every member: the cluster ends with one definition, as it does
 * when a writer dies after its write and before its hand-off.
 *
 * <p>An entry event of a key with a record's version or a later one shows that the map took
 * it, not that the map keeps it: the key's owner sends the event when it applies the write,
 * possibly before the synchronous backup has reached another member, and if that owner was the
 * writer and dies in between, the backup that takes its place lacks the record. So a record
 * whose event came is still held for a grace period, longer than the cluster takes to drop a
 * member that died (a writer that died before its backup landed is dropped while the record is
 * still held here; one alive longer has sent it), and a writer's leaving repairs it too: the
 * repair, which writes only over an older version, leaves a map that kept it alone. An event
 * that comes before the hand-off counts the same. Only intact records are written.
 */
final class UnconfirmedRecords {
    /** Writes a record as a repair: only over an older version of its key. */
    interface Repairer {
        void repair(String map, String key, byte[] record);
    }

    /**
     * What this member knows of one key: the record it holds (null if none) and who handed it
     * off, the newest version an entry event showed, and when either last changed.
     */
    private record Key(String writer, byte[] held, long seen, long since) {
        long heldVersion() {
            return held == null ? -1 : Envelope.version(held);
        }

        /** An entry event showed the held record's version or a later one. */
        boolean shown() {
            return held != null && seen >= heldVersion();
        }
    }

    private final Map<String, Key> keys = new ConcurrentHashMap<>();
    private final Repairer repairer;
    private final long graceNanos;

    /** {@code graceMs}: how long a record is held once an entry event has shown it. */
    UnconfirmedRecords(Repairer repairer, long graceMs) {
        this.repairer = repairer;
        this.graceNanos = graceMs * 1_000_000;
    }

    private static String id(String map, String key) {
        return map + '\u0000' + key;
    }

    /**
     * {@code writer} handed off {@code records}; called before they are applied, so that an
     * entry event that arrives while they are being applied counts for them.
     */
    void handedOff(String writer, Batch records) {
        long now = System.nanoTime();
        hold(writer, NamespaceRecord.MAP, records.nsKeys(), records.ns(), now);
        hold(writer, ClassRecord.MAP, records.classKeys(), records.classes(), now);
        hold(writer, VarRecord.MAP, records.varKeys(), records.vars(), now);
    }

    private void hold(String writer, String map, List<String> names, List<byte[]> records, long now) {
        for (int i = 0; i < names.size(); i++) {
            byte[] record = records.get(i);
            long version = Envelope.version(record);
            keys.merge(id(map, names.get(i)), new Key(writer, record, -1, now),
                       (was, is) -> was.heldVersion() > version ? was : new Key(writer, record, was.seen(), now));
        }
    }

    /** An entry event: {@code map} now holds {@code record} under {@code key}. */
    void seen(String map, String key, byte[] record) {
        long version = Envelope.version(record);
        long now = System.nanoTime();
        keys.merge(id(map, key), new Key(null, null, version, now),
                   (was, is) -> new Key(was.writer(), was.held(), Math.max(was.seen(), version), now));
    }

    /**
     * {@code writer} left the cluster: writes what it handed off here, where the map lacks it
     * (the repair writes over an older version only).
     */
    void writerLeft(String writer) {
        for (Map.Entry<String, Key> e : keys.entrySet()) {
            Key k = e.getValue();
            if (k.held() == null || !writer.equals(k.writer())) continue;
            if (keys.replace(e.getKey(), k, new Key(null, null, k.seen(), k.since()))) {
                String id = e.getKey();
                int cut = id.indexOf('\u0000');
                if (Envelope.intact(k.held())) repairer.repair(id.substring(0, cut), id.substring(cut + 1), k.held());
            }
        }
    }

    /**
     * Forgets keys untouched for {@code maxAgeMs} (a writer still in the cluster has long
     * finished its write by then, or failed it, and shares again at its next evaluation), and
     * drops the records an entry event showed more than the grace period ago.
     */
    void expire(long maxAgeMs) {
        long now = System.nanoTime();
        long oldest = now - maxAgeMs * 1_000_000;
        long shownBefore = now - graceNanos;
        for (Map.Entry<String, Key> e : keys.entrySet()) {
            Key k = e.getValue();
            if (k.since() - oldest < 0) keys.remove(e.getKey(), k);
            else if (k.shown() && k.since() - shownBefore < 0) keys.replace(e.getKey(), k, new Key(null, null, k.seen(), k.since()));
        }
    }

    /** How many records are held, shown by an entry event or not; for tests. */
    int held() {
        return (int) keys.values().stream().filter(k -> k.held() != null).count();
    }

    /** How many records are held that no entry event showed; for tests. */
    int unshown() {
        return (int) keys.values().stream().filter(k -> k.held() != null && !k.shown()).count();
    }
}
