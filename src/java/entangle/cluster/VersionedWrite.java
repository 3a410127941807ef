package entangle.cluster;

import java.io.IOException;

import com.hazelcast.map.EntryProcessor;
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
