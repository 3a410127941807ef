package entangle.cluster;

import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.spi.merge.MergingValue;
import com.hazelcast.spi.merge.SplitBrainMergePolicy;

import entangle.sharing.Envelope;

/**
 * How entangle's record maps heal after a split: when members that lost sight of each other
 * (a JVM paused past the heartbeat timeout, a network that parted) form one cluster again, each
 * key keeps the newer of its two records, by the version in the record, so that what either
 * side defined meanwhile survives. Of two records of one version (a var changed on both sides),
 * the cluster's that the other side joins stays, as of two changes made at once (and the member
 * whose definition did not says so: {@code entangle.sharing.Overwritten}). Hazelcast's
 * default keeps the joined cluster's record whenever it has the key, which loses every change
 * the joining side made to a var both had.
 */
public final class NewestRecordMergePolicy implements SplitBrainMergePolicy<Object, MergingValue<Object>, Object> {
    public NewestRecordMergePolicy() {}

    @Override
    public Object merge(MergingValue<Object> merging, MergingValue<Object> existing) {
        if (existing == null) return merging.getRawValue();
        if (merging == null) return existing.getRawValue();
        return version(merging) > version(existing) ? merging.getRawValue() : existing.getRawValue();
    }

    private static long version(MergingValue<Object> v) {
        return v.getDeserializedValue() instanceof byte[] record ? Envelope.version(record) : -1;
    }

    @Override
    public void writeData(ObjectDataOutput out) {}

    @Override
    public void readData(ObjectDataInput in) {}
}
