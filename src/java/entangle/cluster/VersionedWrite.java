package entangle.cluster;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

import entangle.sharing.Envelope;

/**
 * Writes a record with the version its writer proposed, on the partition that owns the key:
 * the partition runs one such write at a time, so writes to a key are totally ordered. If the
 * map already holds that version or a later one (another member wrote it meanwhile), the
 * record gets the version after it instead; the writer learns the version given and hands the
 * record off again with it. So the map holds one record per version of a key, and the last
 * write has the highest.
 *
 * <p>A repair (a member writing what a writer that died had handed it, see
 * {@link UnconfirmedRecords}) writes only over an older version: a record that lost its place
 * to a later write stays lost.
 */
public final class VersionedWrite implements EntryProcessor<String, byte[], Long>, IdentifiedDataSerializable {
    private byte[] record;
    private boolean repair;

    public VersionedWrite() {}

    VersionedWrite(byte[] record, boolean repair) {
        this.record = record;
        this.repair = repair;
    }

    /**
     * The version the record was written with, or -1 for a repair that was not needed (a map
     * that holds the very record too: a member that left usually wrote what it handed off, and
     * a repair that reported those as written would hide the few it did write).
     */
    @Override
    public Long process(Map.Entry<String, byte[]> entry) {
        byte[] stored = entry.getValue();
        long proposed = Envelope.version(record);
        long current = Envelope.version(stored);
        if (current < proposed) {
            entry.setValue(record);
            return proposed;
        }
        if (repair) return -1L;
        if (Arrays.equals(stored, record)) return proposed;
        long next = current + 1;
        entry.setValue(Envelope.restamp(record, next));
        return next;
    }

    /**
     * The same write without an entry processor, for a client whose servers may not run
     * entangle: read, decide as {@link #process} does, and compare-and-set until no other
     * write came between. Returns what {@link #process} returns.
     */
    static long compareAndSet(IMap<String, byte[]> map, String key, byte[] record, boolean repair) {
        long proposed = Envelope.version(record);
        while (true) {
            byte[] current = map.get(key);
            long version = Envelope.version(current);
            byte[] next;
            long given;
            if (version < proposed) {
                next = record;
                given = proposed;
            } else if (repair) {
                return -1;
            } else if (Arrays.equals(current, record)) {
                return proposed;
            } else {
                given = version + 1;
                next = Envelope.restamp(record, given);
            }
            if (current == null ? map.putIfAbsent(key, next) == null : map.replace(key, current, next)) return given;
        }
    }

    @Override
    public int getFactoryId() { return EntangleSerialization.FACTORY_ID; }

    @Override
    public int getClassId() { return EntangleSerialization.VERSIONED_WRITE; }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeByteArray(record);
        out.writeBoolean(repair);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        record = in.readByteArray();
        repair = in.readBoolean();
    }
}
