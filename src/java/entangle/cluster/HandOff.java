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
 */
public final class HandOff implements Callable<Boolean>, IdentifiedDataSerializable, HazelcastInstanceAware {
    private Batch records;
    private transient HazelcastInstance hazelcast;

    public HandOff() {}

    HandOff(Batch records) {
        this.records = records;
    }

    @Override
    public void setHazelcastInstance(HazelcastInstance hazelcast) {
        this.hazelcast = hazelcast;
    }

    /** True once applied; false on a member still joining, whose sync reads the records itself. */
    @Override
    public Boolean call() {
        SharedVars shared = HazelcastCluster.sharedVarsOf(hazelcast);
        if (shared == null) return false;
        shared.apply(records);
        return true;
    }

    @Override
    public int getFactoryId() { return EntangleSerialization.FACTORY_ID; }

    @Override
    public int getClassId() { return EntangleSerialization.HAND_OFF; }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        records.writeTo(out);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        records = Batch.readFrom(in);
    }
}
