package entangle.cluster;

import java.io.IOException;
import java.util.concurrent.Callable;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

import entangle.sharing.Batch;
import entangle.sharing.SharedVars;

/**
 * Records one evaluation published, run on every other member: it returns once that member
 * has applied them, which is what lets the evaluation return knowing every member sees them.
 * It carries its writer's member id, so that the receiver can write the records itself if the
 * writer dies before its own write lands (see {@link UnconfirmedRecords}).
 */
public final class HandOff implements Callable<Boolean>, IdentifiedDataSerializable, HazelcastInstanceAware {
    private String writer;
    private Batch records;
    private transient HazelcastInstance hazelcast;

    public HandOff() {}

    HandOff(String writer, Batch records) {
        this.writer = writer;
        this.records = records;
    }

    @Override
    public void setHazelcastInstance(HazelcastInstance hazelcast) {
        this.hazelcast = hazelcast;
    }

    /** True once applied; false on a member still joining, whose sync reads the records itself. */
    @Override
    public Boolean call() {
        HazelcastCluster cluster = HazelcastCluster.of(hazelcast);
        SharedVars shared = cluster == null ? null : cluster.sharedVars();
        if (shared == null) return false;
        cluster.unconfirmed().handedOff(writer, records);
        cluster.inHand().apply(records, () -> shared.apply(records, false));
        return true;
    }

    @Override
    public int getFactoryId() { return EntangleSerialization.FACTORY_ID; }

    @Override
    public int getClassId() { return EntangleSerialization.HAND_OFF; }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeString(writer);
        records.writeTo(out);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        writer = in.readString();
        records = Batch.readFrom(in);
    }
}
