package entangle.cluster;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import com.hazelcast.cluster.Address;
import com.hazelcast.cluster.Member;
import com.hazelcast.instance.impl.Node;
import com.hazelcast.internal.cluster.Joiner;
import com.hazelcast.internal.cluster.impl.AbstractJoiner;
import com.hazelcast.internal.cluster.impl.ClusterJoinManager;
import com.hazelcast.internal.cluster.impl.ClusterServiceImpl;
import com.hazelcast.internal.cluster.impl.SplitBrainJoinMessage;
import com.hazelcast.internal.cluster.impl.SplitBrainJoinMessage.SplitBrainMergeCheckResult;
import com.hazelcast.internal.cluster.impl.TcpIpJoiner;

/**
 * Looks for the other side of a split as soon as it answers. Members that lost sight of each
 * other (a JVM paused past the heartbeat timeout: Ctrl-Z, a debugger, a long pause; a network
 * that parted) go on as two clusters, each sharing only within itself, and Hazelcast looks for
 * the other side five minutes after a member starts, then every two: for minutes a definition
 * made on one side reached nothing on the other, and nothing said so.
 *
 * <p>Every {@link #ASK_SECONDS} the master asks the addresses of the members this cluster lost
 * (and those the {@link MembersListCheck} puts back on the list, and those another cluster's
 * search, asking this one, told Hazelcast to look at) which protocol they speak, as
 * {@link ProtocolProbe} does, which a stopped member cannot answer; once one answers as a member
 * and is not one of this cluster, it is asked, as Hazelcast's own search asks, which side should
 * merge into the other, and if this one should, the merge starts (Hazelcast's, with its merge
 * policies and {@link Admission}'s check of the secret). Hazelcast's search goes on as before:
 * it also finds clusters of the name that formed apart. Hazelcast has no public way to ask one
 * address, so its joiner's own two steps are called by reflection; if they are not there (another
 * Hazelcast version), only Hazelcast's search is left, and the log says so.
 */
final class SplitSearch {
    /** The system property for how often lost members are asked, in seconds; 0 leaves it to Hazelcast's search. */
    static final String ASK_SECONDS = "entangle.split.ask.seconds";
    private static final long DEFAULT_ASK_SECONDS = 2;
    /** How long a lost member is waited for to answer before it is asked: a stopped one never does. */
    private static final long PROBE_TIMEOUT_MS = 1_000;
    /** How long an address where no member answers is kept: a member that ends refuses at once. */
    private static final long FORGET_MS = TimeUnit.HOURS.toMillis(1);
    /** How long after a side that answered was asked it is asked again, at first and at most. */
    private static final long AGAIN_MIN_MS = 10_000;
    private static final long AGAIN_MAX_MS = 120_000;

    private static final Method SEND = method("sendSplitBrainJoinMessageAndCheckResponse", Address.class,
                                              SplitBrainJoinMessage.class);
    private static final Method START_MERGE = method("startClusterMerge", Address.class, int.class);
    private static final Method JOIN_IN_PROGRESS = method(ClusterJoinManager.class, "isJoinInProgress");

    private final Node node;
    private final long askMs;
    private final Map<Address, Lost> lost = new ConcurrentHashMap<>();
    private Set<Address> previous = Set.of();
    /** The addresses taken from Hazelcast's joiner, with the time it gave for each: a forgotten one is taken again only anew. */
    private final Map<Address, Long> taken = new ConcurrentHashMap<>();

    /** A member this cluster lost: since when no member answered at its address (0: one did), and when to ask it again. */
    private static final class Lost {
        long noMemberSince;
        long askAgainAt;
        long again;

        Lost(long noMemberSince) {
            this.noMemberSince = noMemberSince;
        }
    }

    SplitSearch(Node node) {
        this.node = node;
        this.askMs = TimeUnit.SECONDS.toMillis(Long.getLong(ASK_SECONDS, DEFAULT_ASK_SECONDS));
    }

    /** Starts asking, on a daemon thread that ends with the node. */
    void start() {
        if (askMs <= 0) return;
        if (SEND == null || START_MERGE == null || JOIN_IN_PROGRESS == null) {
            HazelcastLogging.entangle().warning("this Hazelcast has no joiner steps to ask one address whether to merge;"
                + " the other side of a split is found by Hazelcast's search alone");
            return;
        }
        Thread t = new Thread(() -> {
            while (node.isRunning()) {
                try {
                    Thread.sleep(askMs);
                    round();
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    HazelcastLogging.entangle().warning("the search for the other side of a split failed: " + e);
                }
            }
        }, "entangle-split-search");
        t.setDaemon(true);
        t.start();
    }

    /** An address that answers as a member again, which this cluster may not hold: asked at the next round. */
    void answers(Address address) {
        lost.putIfAbsent(address, new Lost(0));
    }

    private void round() {
        ClusterServiceImpl clusterService = node.getClusterService();
        if (!clusterService.isJoined()) return;
        Set<Address> current = new HashSet<>();
        for (Member m : clusterService.getMembers()) current.add(m.getAddress());
        for (Address a : previous) {
            if (!current.contains(a)) lost.putIfAbsent(a, new Lost(System.currentTimeMillis()));
        }
        previous = current;
        // Hazelcast's joiner also keeps the addresses of members that left and those a search
        // of another cluster's was told to look at ("we should merge to ..."): the side that is
        // to merge may know the other only from its asking.
        if (node.getJoiner() instanceof TcpIpJoiner joiner) {
            joiner.getKnownMemberAddresses().forEach((a, since) -> {
                if (since != Long.MAX_VALUE && !since.equals(taken.put(a, since))) lost.putIfAbsent(a, new Lost(0));
            });
        }
        lost.keySet().removeAll(current);
        if (lost.isEmpty() || !clusterService.isMaster()) return;
        for (Map.Entry<Address, Lost> e : lost.entrySet()) {
            Address address = e.getKey();
            Lost l = e.getValue();
            long now = System.currentTimeMillis();
            if (now < l.askAgainAt) continue;
            if (ProtocolProbe.ask(socketAddress(address), PROBE_TIMEOUT_MS, () -> {}) != ProtocolProbe.Reply.MEMBER) {
                if (l.noMemberSince == 0) l.noMemberSince = now;
                else if (now - l.noMemberSince > FORGET_MS) lost.remove(address);
                continue;
            }
            l.noMemberSince = 0;
            // Asked again later, whatever the answer: a merge that starts may yet not be made
            // (the other cluster's secret is not this one's).
            l.again = Math.min(AGAIN_MAX_MS, Math.max(AGAIN_MIN_MS, 2 * l.again));
            l.askAgainAt = now + l.again;
            if (merge(address)) return;
        }
    }

    /** Asks the cluster at {@code target} which side should merge into the other, and starts this side's merge if it should. */
    private boolean merge(Address target) {
        ClusterServiceImpl clusterService = node.getClusterService();
        // Hazelcast's own search runs under these conditions only.
        if (!node.isRunning() || !clusterService.isMaster() || !clusterService.getClusterState().isJoinAllowed()
            || clusterService.getMember(target) != null
            || (boolean) call(JOIN_IN_PROGRESS, clusterService.getClusterJoinManager())) {
            return false;
        }
        Joiner joiner = node.getJoiner();
        if (!(joiner instanceof AbstractJoiner j)) return false;
        SplitBrainJoinMessage request = node.createSplitBrainJoinMessage();
        if (call(SEND, j, target, request) != SplitBrainMergeCheckResult.LOCAL_NODE_SHOULD_MERGE) return false;
        HazelcastLogging.entangle().warning(node.getThisAddress() + " is merging into the cluster at " + target
            + ", the other side of a split, which answers again");
        j.setTargetAddress(target);
        call(START_MERGE, j, target, request.getMemberListVersion());
        return true;
    }

    private static InetSocketAddress socketAddress(Address a) {
        try {
            return a.getInetSocketAddress();
        } catch (UnknownHostException e) {
            return InetSocketAddress.createUnresolved(a.getHost(), a.getPort());
        }
    }

    private static Object call(Method m, Object target, Object... args) {
        try {
            return m.invoke(target, args);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        } catch (InvocationTargetException e) {
            Throwable t = e.getCause();
            if (t instanceof RuntimeException r) throw r;
            if (t instanceof Error err) throw err;
            throw new IllegalStateException(t);
        }
    }

    private static Method method(String name, Class<?>... parameters) {
        return method(AbstractJoiner.class, name, parameters);
    }

    private static Method method(Class<?> c, String name, Class<?>... parameters) {
        try {
            Method m = c.getDeclaredMethod(name, parameters);
            m.setAccessible(true);
            return m;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
