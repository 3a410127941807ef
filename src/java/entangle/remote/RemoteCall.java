package entangle.remote;

import java.io.IOException;
import java.util.concurrent.Callable;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import com.hazelcast.nio.ObjectDataInput;
import com.hazelcast.nio.ObjectDataOutput;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

import entangle.Member;
import entangle.cluster.EntangleSerialization;

/**
 * A fn sent to a member to run there: the fn travels serialized as any shared value (its
 * classes by unit, its captured values with it), and comes back as an {@link Outcome}.
 */
public final class RemoteCall implements Callable<byte[]>, IdentifiedDataSerializable, HazelcastInstanceAware {
    private byte[] fn;
    private transient HazelcastInstance hazelcast;

    public RemoteCall() {}

    RemoteCall(byte[] fn) {
        this.fn = fn;
    }

    @Override
    public void setHazelcastInstance(HazelcastInstance hazelcast) {
        this.hazelcast = hazelcast;
    }

    @Override
    public byte[] call() {
        Member m = Member.current();
        if (m == null || !m.hazelcast().equals(hazelcast)) {
            com.hazelcast.cluster.Address a = hazelcast.getCluster().getLocalMember().getAddress();
            return Outcome.thrown(a.getHost() + ":" + a.getPort(),
                new IllegalStateException("this member is still joining the cluster; send the fn again"), null);
        }
        return m.remote().runHere(fn, m.address());
    }

    @Override
    public int getFactoryId() { return EntangleSerialization.FACTORY_ID; }

    @Override
    public int getClassId() { return EntangleSerialization.REMOTE_CALL; }

    @Override
    public void writeData(ObjectDataOutput out) throws IOException {
        out.writeByteArray(fn);
    }

    @Override
    public void readData(ObjectDataInput in) throws IOException {
        fn = in.readByteArray();
    }
}
