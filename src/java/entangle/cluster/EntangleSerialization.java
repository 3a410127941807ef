package entangle.cluster;

import com.hazelcast.nio.serialization.DataSerializableFactory;
import com.hazelcast.nio.serialization.IdentifiedDataSerializable;

/** Hazelcast's factory for entangle's own operations; every member and client registers it. */
public final class EntangleSerialization implements DataSerializableFactory {
    /** entangle's factory id; any number not used by another factory in the same cluster. */
    public static final int FACTORY_ID = 0x454e54; // "ENT"
    static final int VERSIONED_WRITE = 1;
    static final int HAND_OFF = 2;
    static final int REMOTE_EVAL = 3;
    /** The class id of {@link entangle.remote.RemoteCall}. */
    public static final int REMOTE_CALL = 4;
    static final int ATOM_REPLACE = 5;

    @Override
    public IdentifiedDataSerializable create(int typeId) {
        return switch (typeId) {
            case VERSIONED_WRITE -> new VersionedWrite();
            case HAND_OFF -> new HandOff();
            case REMOTE_EVAL -> new RemoteEval();
            case REMOTE_CALL -> new entangle.remote.RemoteCall();
            case ATOM_REPLACE -> new AtomReplace();
            default -> null;
        };
    }
}
