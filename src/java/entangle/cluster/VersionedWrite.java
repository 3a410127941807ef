package entangle.cluster;

import java.io.IOException;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

import java.util.Map;

import entangle.sharing.Envelope;

/**
 * Writes a record with the next version of its key, on the partition that owns the key: the
 * partition runs one such write at a time, so writes to a key are totally ordered, and the
 * last one has the highest version on every member that applies them. The version is at least
 * one more than the writer's floor (the version it last saw), so a corrupted entry never
 * sends the numbering backwards.
 */
public final class VersionedWrite implements EntryProcessor<String, byte[], Long>, IdentifiedDataSerializable {
    private byte[] record;
    private long floor;

    public VersionedWrite() {}

    VersionedWrite(byte[] record, long floor) {
        this.record = record;
        this.floor = floor;
    }

    @Override
    public Long process(Map.Entry<String, byte[]> entry) {
        long version = Math.max(Envelope.version(entry.getValue()), floor) + 1;
        entry.setValue(Envelope.restamp(record, version));
        return version;
    }

    /**
     * The same write without an entry processor, for a client whose servers may not run
     * entangle: read, stamp the next version, and compare-and-set until no other write came
     * between. Returns the version given.
     */
    static long compareAndSet(IMap<String, byte[]> map, String key, byte[] record, long floor) {
        while (true) {
            byte[] current = map.get(key);
            long version = Math.max(Envelope.version(current), floor) + 1;
            byte[] next = Envelope.restamp(record, version);
            if (current == null ? map.putIfAbsent(key, next) == null : map.replace(key, current, next)) return version;
        }
    }

    @Override
    public int getFactoryId() { return EntangleSerialization.FACTORY_ID; }

    @Override
    public int getClassId() { return EntangleSerialization.VERSIONED_WRITE; }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeByteArray(record);
        out.writeLong(floor);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        record = in.readByteArray();
        floor = in.readLong();
    }
}
