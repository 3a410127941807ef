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
 * The records this member applied from another member's hand-off that the cluster's maps have
 * not shown yet. A writer hands its records off while its write is still on its way (see
 * {@link HazelcastCluster#share}), so a writer that dies in between leaves members that
 * applied its records and maps that never got them. When a writer leaves, each member writes
 * what it holds of that writer's unconfirmed records itself, over older versions only, and the
 * maps' entry events bring them to every member: the cluster ends with one definition, as it
 * does when a writer dies after its write and before its hand-off.
 *
 * <p>A record is confirmed by an entry event of its key with its version or a later one (the
 * map kept it, or a later write took its place); an event that comes before the hand-off is
 * remembered, so that its record is never held. Only intact records are written.
 */
final class UnconfirmedRecords {
    /** Writes a record as a repair: only over an older version of its key. */
    interface Repairer {
        void repair(String map, String key, byte[] record);
    }

    /**
     * What this member knows of one key: the record it holds unconfirmed (null if none) and
     * who handed it off, and the newest version an entry event showed.
     */
    private record Key(String writer, byte[] held, long seen, long since) {
        long heldVersion() {
            return held == null ? -1 : Envelope.version(held);
        }
    }

    private final Map<String, Key> keys = new ConcurrentHashMap<>();
    private final Repairer repairer;

    UnconfirmedRecords(Repairer repairer) {
        this.repairer = repairer;
    }

    private static String id(String map, String key) {
        return map + '\u0000' + key;
    }

    /**
     * {@code writer} handed off {@code records}; called before they are applied, so that an
     * entry event that arrives while they are being applied confirms them.
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
                       (was, is) -> was.seen() >= version || was.heldVersion() > version ? was
                                    : new Key(writer, record, was.seen(), now));
        }
    }

    /** An entry event: {@code map} now holds {@code record} under {@code key}. */
    void seen(String map, String key, byte[] record) {
        long version = Envelope.version(record);
        long now = System.nanoTime();
        keys.merge(id(map, key), new Key(null, null, version, now), (was, is) -> {
            long seen = Math.max(was.seen(), version);
            return was.heldVersion() <= seen ? new Key(null, null, seen, now) : new Key(was.writer(), was.held(), seen, now);
        });
    }

    /** {@code writer} left the cluster: writes what it handed off here and the maps never showed. */
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
     * Forgets keys untouched for {@code maxAgeMs}: a writer still in the cluster has long
     * finished its write by then (or failed it, and shares again at its next evaluation).
     */
    void expire(long maxAgeMs) {
        long oldest = System.nanoTime() - maxAgeMs * 1_000_000;
        keys.values().removeIf(k -> k.since() - oldest < 0);
    }

    /** How many records are held unconfirmed; for tests. */
    int held() {
        return (int) keys.values().stream().filter(k -> k.held() != null).count();
    }
}
