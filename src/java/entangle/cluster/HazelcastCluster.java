package entangle.cluster;

import java.net.BindException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Level;

import com.hazelcast.cluster.Member;
import com.hazelcast.config.Config;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NetworkConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.core.MemberLeftException;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.spi.exception.TargetNotMemberException;

import entangle.MemberOptions;
import entangle.MemberStartException;
import entangle.sharing.AtomStore;
import entangle.sharing.Batch;
import entangle.sharing.ClassRecord;
import entangle.sharing.NamespaceRecord;
import entangle.sharing.SharedVars;
import entangle.sharing.VarRecord;
import entangle.unit.UnitStore;

/**
 * This JVM's Hazelcast member, as entangle uses it: the maps that hold units, namespaces and
 * vars, the versioned writes, the hand-off to every other member, and the entry listeners
 * that apply what other members wrote even when their hand-off never came.
 */
public final class HazelcastCluster implements SharedVars.Cluster, AtomStore {
    /** Member attribute that marks a member running entangle (not, say, a plain Hazelcast member). */
    public static final String ENTANGLE_ATTRIBUTE = "entangle";
    /** Member attribute: the member's Clojure version. */
    public static final String CLOJURE_ATTRIBUTE = "entangle.clojure";
    private static final String HAND_OFF_EXECUTOR = "entangle.handoff";
    private static final long HAND_OFF_TIMEOUT_MS = Long.getLong("entangle.handoff.timeout.ms", 15_000);
    private static final Map<HazelcastInstance, SharedVars> SHARED = new ConcurrentHashMap<>();

    private final HazelcastInstance hazelcast;
    private final IExecutorService executor;
    private final String memberId;
    private final String address;

    private HazelcastCluster(HazelcastInstance hazelcast) {
        this.hazelcast = hazelcast;
        this.executor = hazelcast.getExecutorService(HAND_OFF_EXECUTOR);
        Member local = hazelcast.getCluster().getLocalMember();
        this.memberId = local.getUuid().toString();
        this.address = local.getAddress().getHost() + ":" + local.getAddress().getPort();
    }

    /** Starts an embedded member with {@code options}; the message of a failure is one line for the user. */
    public static HazelcastCluster start(MemberOptions options) {
        HazelcastLogging.to(options.effectiveLogFile());
        try {
            return new HazelcastCluster(Hazelcast.newHazelcastInstance(config(options)));
        } catch (RuntimeException e) {
            throw startFailure(options, e);
        }
    }

    static Config config(MemberOptions o) {
        Config c = new Config();
        c.setClusterName(o.cluster());
        c.setInstanceName("entangle-" + o.cluster() + "-" + ProcessHandle.current().pid());
        c.setClassLoader(HazelcastCluster.class.getClassLoader());
        c.setProperty("hazelcast.logging.type", "jdk");
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.health.monitoring.level", "OFF");
        // Leaving (end of input, System/exit) hands this member's partitions to the others.
        c.setProperty("hazelcast.shutdownhook.policy", "GRACEFUL");
        c.setProperty("hazelcast.graceful.shutdown.max.wait", "20");
        // A REPL's prompt waits for the join: don't wait for nothing, and notice a killed
        // member within seconds, not a minute.
        c.setProperty("hazelcast.wait.seconds.before.join", "0");
        c.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        c.setProperty("hazelcast.max.no.heartbeat.seconds", "8");
        c.setProperty("hazelcast.socket.bind.any", "false");
        // entangle's maps hold thousands of small entries, not millions: fewer partitions make a
        // joining member's partition migration (which its prompt waits for) quicker.
        c.setProperty("hazelcast.partition.count", "71");
        c.setProperty("hazelcast.local.localAddress", o.bind());
        NetworkConfig n = c.getNetworkConfig();
        n.setPort(o.port()).setPortAutoIncrement(true).setPortCount(MemberOptions.PORT_COUNT);
        JoinConfig j = n.getJoin();
        j.getMulticastConfig().setEnabled(false);
        j.getAutoDetectionConfig().setEnabled(false);
        j.getTcpIpConfig().setEnabled(true).setMembers(new ArrayList<>(o.members()));
        c.getMemberAttributeConfig().setAttribute(ENTANGLE_ATTRIBUTE, "1");
        c.getMemberAttributeConfig().setAttribute(CLOJURE_ATTRIBUTE, clojureVersion());
        c.getExecutorConfig(HAND_OFF_EXECUTOR).setPoolSize(8);
        for (String map : List.of(UnitStore.MAP, VarRecord.MAP, NamespaceRecord.MAP, ClassRecord.MAP, AtomStore.MAP)) {
            // One synchronous backup: a definition outlives the loss of any one member.
            c.addMapConfig(new MapConfig(map).setBackupCount(1).setAsyncBackupCount(0));
        }
        c.getSerializationConfig().addDataSerializableFactory(EntangleSerialization.FACTORY_ID,
                                                              new EntangleSerialization());
        return c;
    }

    private static MemberStartException startFailure(MemberOptions o, RuntimeException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage());
            if (t instanceof BindException || m.contains("bind") || m.contains("in use")) {
                return new MemberStartException("cannot bind a member to " + o.bind() + " ports " + o.port() + "-"
                    + (o.port() + MemberOptions.PORT_COUNT - 1) + ": all are in use or the address is not this"
                    + " machine's (choose others with --port or --bind)", e);
            }
        }
        return new MemberStartException("the member could not start: " + e.getMessage(), e);
    }

    /**
     * Waits until every partition has its backup: before that, the loss of a member can lose
     * what only it held, so a member joins only once its arrival has been absorbed.
     */
    public void awaitSafe(long timeoutMs) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!hazelcast.getPartitionService().isClusterSafe()) {
            if (System.nanoTime() > deadline) {
                HazelcastLogging.entangle().warning("the cluster was not partition-safe after " + timeoutMs + " ms");
                return;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    public HazelcastInstance hazelcast() { return hazelcast; }

    @Override
    public String memberId() { return memberId; }

    @Override
    public String address() { return address; }

    public IMap<String, byte[]> map(String name) {
        return hazelcast.getMap(name);
    }

    /**
     * Connects {@code shared} to the cluster: hand-offs from other members reach it, and so
     * do entry events, from now on. Call before {@link SharedVars#sync()}, so that nothing
     * written during the sync is missed.
     */
    public void connect(SharedVars shared) {
        SHARED.put(hazelcast, shared);
        for (String map : List.of(NamespaceRecord.MAP, ClassRecord.MAP, VarRecord.MAP)) {
            map(map).addEntryListener(new Applier(shared, map), true);
        }
    }

    static SharedVars sharedVarsOf(HazelcastInstance hazelcast) {
        return hazelcast == null ? null : SHARED.get(hazelcast);
    }

    private static final class Applier implements EntryAddedListener<String, byte[]>,
                                                  EntryUpdatedListener<String, byte[]> {
        private final SharedVars shared;
        private final String map;

        Applier(SharedVars shared, String map) {
            this.shared = shared;
            this.map = map;
        }

        @Override
        public void entryAdded(com.hazelcast.core.EntryEvent<String, byte[]> e) {
            apply(e.getKey(), e.getValue());
        }

        @Override
        public void entryUpdated(com.hazelcast.core.EntryEvent<String, byte[]> e) {
            apply(e.getKey(), e.getValue());
        }

        private void apply(String key, byte[] value) {
            try {
                shared.apply(Batch.of(map, key, value));
            } catch (Exception e) { // Clojure code it runs may throw checked exceptions undeclared
                HazelcastLogging.entangle().log(Level.WARNING, "applying " + key + " failed", e);
            }
        }
    }

    @Override
    public long[] writeVersioned(String map, List<String> keys, List<byte[]> records, long[] floors) {
        IMap<String, byte[]> m = map(map);
        List<CompletableFuture<Long>> pending = new ArrayList<>(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            pending.add(m.submitToKey(keys.get(i), new VersionedWrite(records.get(i), floors[i])).toCompletableFuture());
        }
        long[] versions = new long[keys.size()];
        for (int i = 0; i < versions.length; i++) versions[i] = pending.get(i).join();
        return versions;
    }

    @Override
    public Map<String, byte[]> snapshot(String map) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : map(map).entrySet()) out.put(e.getKey(), e.getValue());
        return out;
    }

    @Override
    public byte[] get(String id) {
        return map(AtomStore.MAP).get(id);
    }

    @Override
    public void put(String id, byte[] state) {
        map(AtomStore.MAP).set(id, state);
    }

    @Override
    public boolean replace(String id, byte[] expected, byte[] next) {
        return map(AtomStore.MAP).replace(id, expected, next);
    }

    @Override
    public void listen(String id, java.util.function.BiConsumer<byte[], byte[]> onChange) {
        map(AtomStore.MAP).addEntryListener(
            (EntryUpdatedListener<String, byte[]>) e -> onChange.accept(e.getOldValue(), e.getValue()), id, true);
    }

    @Override
    public byte[] read(String map, String key) {
        return map(map).get(key);
    }

    @Override
    public void handOff(Batch records) {
        List<Member> others = new ArrayList<>();
        for (Member m : hazelcast.getCluster().getMembers()) {
            if (!m.localMember() && m.getAttribute(ENTANGLE_ATTRIBUTE) != null) others.add(m);
        }
        if (others.isEmpty()) return;
        Map<Member, Future<Boolean>> acks = executor.submitToMembers(new HandOff(records), others);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HAND_OFF_TIMEOUT_MS);
        for (Map.Entry<Member, Future<Boolean>> ack : acks.entrySet()) {
            try {
                ack.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof MemberLeftException || e.getCause() instanceof TargetNotMemberException)) {
                    HazelcastLogging.entangle().log(Level.WARNING, "member " + ack.getKey() + " failed to apply a hand-off", e);
                }
            } catch (TimeoutException e) {
                // A member that is gone but not yet declared dead; it reads the records from the
                // maps if it comes back, and the others are not held up any longer.
                HazelcastLogging.entangle().warning("member " + ack.getKey() + " did not acknowledge a hand-off within "
                    + HAND_OFF_TIMEOUT_MS + " ms");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    static String clojureVersion() {
        return String.valueOf(clojure.java.api.Clojure.var("clojure.core", "clojure-version").invoke());
    }

    /**
     * One sentence per other member that runs another Clojure version: values travel between
     * them, but code compiled by a newer Clojure may call what an older one lacks.
     */
    public List<String> clojureVersionWarnings() {
        List<String> out = new ArrayList<>();
        String mine = clojureVersion();
        for (Member m : hazelcast.getCluster().getMembers()) {
            String theirs = m.getAttribute(CLOJURE_ATTRIBUTE);
            if (m.localMember() || theirs == null || theirs.equals(mine)) continue;
            out.add("this member runs Clojure " + mine + " and member " + m.getAddress().getHost() + ":"
                + m.getAddress().getPort() + " runs " + theirs + "; they share, but code compiled by a newer Clojure"
                + " may not run on an older one.");
        }
        return out;
    }

    /** The map in which members advertise their endpoints (an nREPL server), by member id. */
    private static final String ENDPOINTS = "entangle.endpoints";

    /** Advertises an endpoint of this member (such as "nrepl://127.0.0.1:7888"), or withdraws it (null). */
    public void advertise(String endpoint) {
        if (endpoint == null) hazelcast.<String, String>getMap(ENDPOINTS).delete(memberId);
        else hazelcast.<String, String>getMap(ENDPOINTS).set(memberId, endpoint);
    }

    /**
     * The entangle members, this one first: each with its "address", "id", "self" ("true" or
     * "false") and, if it advertised one, "nrepl" endpoint.
     */
    public List<Map<String, String>> memberInfo() {
        Map<String, String> endpoints = hazelcast.<String, String>getMap(ENDPOINTS).getAll(
            hazelcast.getCluster().getMembers().stream().map(m -> m.getUuid().toString())
                .collect(java.util.stream.Collectors.toSet()));
        List<Map<String, String>> out = new ArrayList<>();
        for (Member m : hazelcast.getCluster().getMembers()) {
            if (m.getAttribute(ENTANGLE_ATTRIBUTE) == null) continue;
            Map<String, String> info = new LinkedHashMap<>();
            info.put("address", m.getAddress().getHost() + ":" + m.getAddress().getPort());
            info.put("id", m.getUuid().toString());
            info.put("self", String.valueOf(m.localMember()));
            String nrepl = endpoints.get(m.getUuid().toString());
            if (nrepl != null) info.put("nrepl", nrepl);
            if (m.localMember()) out.add(0, info);
            else out.add(info);
        }
        return out;
    }

    /**
     * Evaluates {@code code} in namespace {@code ns} on the member at {@code address}, or on
     * every entangle member if it is "all"; returns each member's result by address.
     */
    public Map<String, Map<String, String>> evalOn(String address, String code, String ns, long timeoutMs) {
        List<Member> targets = new ArrayList<>();
        for (Member m : hazelcast.getCluster().getMembers()) {
            String a = m.getAddress().getHost() + ":" + m.getAddress().getPort();
            if (m.getAttribute(ENTANGLE_ATTRIBUTE) != null && ("all".equals(address) || a.equals(address))) targets.add(m);
        }
        if (targets.isEmpty()) throw new IllegalArgumentException("no member at " + address + "; members: " + members());
        Map<Member, Future<HashMap<String, String>>> results = executor.submitToMembers(new RemoteEval(code, ns), targets);
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        for (Member m : targets) {
            String a = m.getAddress().getHost() + ":" + m.getAddress().getPort();
            try {
                out.put(a, results.get(m).get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            } catch (TimeoutException e) {
                out.put(a, Map.of("ex", "java.util.concurrent.TimeoutException",
                                  "err", "no result from member " + a + " within " + timeoutMs + " ms"));
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                out.put(a, Map.of("ex", c.getClass().getName(), "err", "member " + a + " failed: " + c.getMessage()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return out;
    }

    /** The members of the cluster that run entangle, as host:port, this one first. */
    public List<String> members() {
        List<String> out = new ArrayList<>();
        for (Member m : hazelcast.getCluster().getMembers()) {
            if (m.getAttribute(ENTANGLE_ATTRIBUTE) == null) continue;
            String a = m.getAddress().getHost() + ":" + m.getAddress().getPort();
            if (m.localMember()) out.add(0, a);
            else out.add(a);
        }
        return out;
    }

    /** Leaves the cluster, handing this member's partitions to the others first. */
    public void shutdown() {
        SHARED.remove(hazelcast);
        hazelcast.shutdown();
    }
}
