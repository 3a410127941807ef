package entangle.cluster;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import com.hazelcast.core.EntryAdapter;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.MapEvent;
import com.hazelcast.replicatedmap.ReplicatedMap;

/**
 * The endpoints members advertise (an nREPL server), by member id, in a replicated map. An
 * embedded member reads its own copy of that map. A client has none: it would read the map
 * from one member (the owner of a partition it picks at random), and wait for it, stopped
 * with Ctrl-Z, until it gave up on it (8 s); so it keeps a copy of its own, filled as it
 * connects and reconnects and kept by the map's events, and listing the members never waits
 * for one of them.
 */
final class Endpoints {
    static final String MAP = "entangle.endpoints";

    private final ReplicatedMap<String, String> map;
    /** A client's copy; null at an embedded member. */
    private final Map<String, String> copy;

    Endpoints(HazelcastInstance hazelcast, boolean client) {
        this.map = hazelcast.getReplicatedMap(MAP);
        if (!client) {
            this.copy = null;
            return;
        }
        this.copy = new ConcurrentHashMap<>();
        // Listening first: a change made while the map is read below is in one or the other.
        map.addEntryListener(new EntryAdapter<>() {
            @Override
            public void onEntryEvent(EntryEvent<String, String> e) {
                if (e.getValue() == null) copy.remove(e.getKey());
                else copy.put(e.getKey(), e.getValue());
            }

            @Override
            public void onMapEvent(MapEvent e) {
                copy.clear();
            }
        });
        reread();
    }

    /** A client reads the map again: after a reconnect, the events sent meanwhile are lost. */
    void reread() {
        if (copy == null) return;
        Map<String, String> now = new HashMap<>(map);
        copy.keySet().retainAll(now.keySet());
        copy.putAll(now);
    }

    /** Advertises {@code endpoint} for the member {@code memberId}, or withdraws it (null). */
    void advertise(String memberId, String endpoint) {
        if (endpoint == null) map.remove(memberId);
        else map.put(memberId, endpoint);
    }

    /** The endpoints by member id, as this JVM knows them, without asking another member. */
    Map<String, String> known() {
        return copy != null ? copy : map;
    }
}
