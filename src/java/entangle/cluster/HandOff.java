package entangle.cluster;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

import entangle.sharing.SharedVars;

/**
 * Records one evaluation published, run on every other member: it returns once that member
 * has applied them, which is what lets the evaluation return knowing every member sees them.
 */
public final class HandOff implements Callable<Boolean>, IdentifiedDataSerializable, HazelcastInstanceAware {
    private List<String> nsKeys;
    private List<byte[]> ns;
    private List<String> varKeys;
    private List<byte[]> vars;
    private transient HazelcastInstance hazelcast;

    public HandOff() {}

    HandOff(List<String> nsKeys, List<byte[]> ns, List<String> varKeys, List<byte[]> vars) {
        this.nsKeys = nsKeys;
        this.ns = ns;
        this.varKeys = varKeys;
        this.vars = vars;
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
        shared.apply(nsKeys, ns, varKeys, vars);
        return true;
    }

    @Override
    public int getFactoryId() { return EntangleSerialization.FACTORY_ID; }

    @Override
    public int getClassId() { return EntangleSerialization.HAND_OFF; }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        write(out, nsKeys, ns);
        write(out, varKeys, vars);
    }

    private static void write(ObjectDataOutput out, List<String> keys, List<byte[]> records) throws IOException {
        out.writeInt(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            out.writeString(keys.get(i));
            out.writeByteArray(records.get(i));
        }
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        nsKeys = new ArrayList<>();
        ns = new ArrayList<>();
        read(in, nsKeys, ns);
        varKeys = new ArrayList<>();
        vars = new ArrayList<>();
        read(in, varKeys, vars);
    }

    private static void read(ObjectDataInput in, List<String> keys, List<byte[]> records) throws IOException {
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            keys.add(in.readString());
            records.add(in.readByteArray());
        }
    }
}
