package entangle.cluster;

import java.io.IOException;
import java.util.Arrays;
import java.util.Map;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/**
 * A cluster atom's compare-and-set, on the partition that owns its entry: IMap's
 * {@code replace(key, expected, next)}, sent as an entry processor because Hazelcast has no
 * asynchronous form of that call, and a member's synchronous map calls wait through an
 * interrupt. Embedded members only (a client's servers may not run entangle).
 */
public final class AtomReplace implements EntryProcessor<String, byte[], Boolean>, IdentifiedDataSerializable {
    private byte[] expected;
    private byte[] next;

    public AtomReplace() {}

    AtomReplace(byte[] expected, byte[] next) {
        this.expected = expected;
        this.next = next;
    }

    /** True if the entry held {@code expected} and now holds {@code next}; an absent entry is not replaced. */
    @Override
    public Boolean process(Map.Entry<String, byte[]> entry) {
        byte[] stored = entry.getValue();
        if (stored == null || !Arrays.equals(stored, expected)) return false;
        entry.setValue(next);
        return true;
    }

    @Override
    public int getFactoryId() { return EntangleSerialization.FACTORY_ID; }

    @Override
    public int getClassId() { return EntangleSerialization.ATOM_REPLACE; }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeByteArray(expected);
        out.writeByteArray(next);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        expected = in.readByteArray();
        next = in.readByteArray();
    }
}
