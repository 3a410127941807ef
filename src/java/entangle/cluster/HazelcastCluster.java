package entangle.cluster;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.logging.Level;

import com.hazelcast.client.Client;
import com.hazelcast.client.config.ClientConnectionStrategyConfig;
import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.core.LifecycleEvent;
import com.hazelcast.core.MemberLeftException;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryMergedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.spi.exception.TargetNotMemberException;
import com.hazelcast.spi.properties.ClusterProperty;
import com.hazelcast.spi.properties.HazelcastProperties;

import entangle.ClusterUnreachableException;
import entangle.MemberOptions;
import entangle.sharing.AtomStore;
import entangle.sharing.Batch;
import entangle.sharing.ClassRecord;
import entangle.sharing.Envelope;
import entangle.sharing.NamespaceRecord;
import entangle.sharing.SharedVars;
import entangle.sharing.VarRecord;

/**
 * This JVM's place in the Hazelcast cluster, as entangle uses it: the maps that hold units,
 * namespaces and vars, the versioned writes and, beside them, the hand-off to every other
 * member, and the entry listeners that apply what other members wrote even when their
 * hand-off never came.
 *
 * <p>It is an embedded Hazelcast member, or a Hazelcast client of an existing cluster (whose
 * servers need not run entangle: a client writes with compare-and-set instead of entangle's
 * entry processor, and is handed records through a topic, see {@link ClientMembers}).
 * {@link #start} makes one ({@link MemberStart}), or says in one line why it could not.
 */
public final class HazelcastCluster implements SharedVars.Cluster, AtomStore {
    /** Member attribute that marks a member running entangle (not, say, a plain Hazelcast member). */
    public static final String ENTANGLE_ATTRIBUTE = "entangle";
    /** Member attribute: the member's Clojure version. */
    public static final String CLOJURE_ATTRIBUTE = "entangle.clojure";
    static final String HAND_OFF_EXECUTOR = "entangle.handoff";
    /** The map that holds the cluster's incarnation, under its one key. */
    static final String INCARNATION_MAP = "entangle.incarnation";
    private static final String INCARNATION_KEY = "id";
    /** The key, in the incarnation's map, of the proof of the secret of a cluster of clients. */
    static final String SECRET_KEY = "secret";
    /**
     * The Hazelcast executor that runs code sent to a member: {@link #evalOn}'s, and the fns of
     * entangle.remote; its pool size is Hazelcast's default (16) unless configured.
     */
    public static final String REMOTE_EXECUTOR = "entangle.run";
    private static final long HAND_OFF_TIMEOUT_MS = Long.getLong("entangle.handoff.timeout.ms", 15_000);
    private static final Map<HazelcastInstance, HazelcastCluster> CONNECTED = new ConcurrentHashMap<>();
    /**
     * How long an entry event waits for the writer's own hand-off before it is applied (see
     * {@link EntryEventBackstop}).
     */
    private static final long BACKSTOP_DELAY_MS = Long.getLong("entangle.backstop.delay.ms", 2_000);
    /**
     * How long a record handed off here is held for a repair if the maps do not show it: longer
     * than any write of a live writer takes (Hazelcast gives up on an invocation after two minutes).
     */
    private static final long UNCONFIRMED_MAX_AGE_MS = 180_000;
    /**
     * A record the maps showed is held for as long as the cluster takes to drop a member that
     * fell silent, and this much more: the writer's backup leaves with the entry event, so a
     * writer that died before the backup landed is dropped while the record is still held, and
     * the repair on its leaving finds it (see {@link UnconfirmedRecords}).
     */
    private static final long SHOWN_GRACE_MARGIN_MS = 5_000;

    private final HazelcastInstance hazelcast;
    private final boolean client;
    private final String clusterName;
    private final IExecutorService executor;
    private volatile String memberId; // Hazelcast gives a member a new one when it merges after a split
    private final Set<String> formerIds = ConcurrentHashMap.newKeySet();
    private final String address;
    private volatile String endpoint; // what advertise last advertised, again under a new member id
    private final ClientMembers clients;
    private final Endpoints endpoints;
    /** Of a client: the cluster's incarnation when it last connected (see {@link #incarnation}). */
    private volatile String knownIncarnation;
    private final UnconfirmedRecords unconfirmed;
    private final HandOffsInHand inHand = new HandOffsInHand();
    private final AwaitedMembers.Limits waitLimits;
    private volatile SharedVars shared;
    private final java.util.concurrent.ScheduledExecutorService backstop =
        java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "entangle-backstop");
            t.setDaemon(true);
            return t;
        });

    /** A client whose connection to its cluster is lost, while it tries to reconnect. */
    private volatile boolean disconnected;
    /** Set by {@link #shutdown}: a shutdown from then on is this member's leaving, not Hazelcast's doing. */
    private volatile boolean leaving;
    /** Of a client: why Hazelcast would stop it, once its connection is lost (see connect). */
    private volatile String lostForGood;
    /** Told why, once, if Hazelcast stops by itself (see whenGone). */
    private volatile Consumer<String> whenGone = why -> {};

    /** What the user should know of how this member started (an address it left out). */
    private final List<String> startNotes = new ArrayList<>();

    /** What the user should know of how this member started, each a sentence. */
    public List<String> startNotes() { return List.copyOf(startNotes); }

    /** Adds {@code sentence} to what the user should know of how this member started. */
    void note(String sentence) { startNotes.add(sentence); }

    HazelcastCluster(HazelcastInstance hazelcast, boolean client, String clusterName) {
        this.hazelcast = hazelcast;
        this.client = client;
        this.clusterName = clusterName;
        this.executor = hazelcast.getExecutorService(HAND_OFF_EXECUTOR);
        if (client) {
            Client local = (Client) hazelcast.getLocalEndpoint();
            this.memberId = local.getUuid().toString();
            java.net.InetSocketAddress a = local.getSocketAddress();
            this.address = (a == null ? "client" : a.getAddress().getHostAddress() + ":" + a.getPort());
        } else {
            Member local = hazelcast.getCluster().getLocalMember();
            this.memberId = local.getUuid().toString();
            this.address = address(local);
        }
        this.unconfirmed = new UnconfirmedRecords(this::repair, shownGraceMs(hazelcast, client));
        this.waitLimits = waitLimits(hazelcast, client);
        this.clients = new ClientMembers(hazelcast, memberId, unconfirmed, inHand);
        this.endpoints = new Endpoints(hazelcast, client);
    }

    /**
     * How long a record the maps showed stays held: the time without a heartbeat after which the
     * cluster drops a member, and a margin. A client cannot read its servers' setting and takes
     * Hazelcast's default, the longest a cluster that leaves it alone waits.
     */
    private static long shownGraceMs(HazelcastInstance hazelcast, boolean client) {
        return TimeUnit.SECONDS.toMillis(noHeartbeatSeconds(hazelcast, client)) + SHOWN_GRACE_MARGIN_MS;
    }

    /** How this member treats the members it waits for (see {@link AwaitedMembers}). */
    private static AwaitedMembers.Limits waitLimits(HazelcastInstance hazelcast, boolean client) {
        // A client hears no heartbeats (silentMs is -1 for every member): its interval is moot.
        long heartbeatMs = client ? 0
            : new HazelcastProperties(hazelcast.getConfig()).getMillis(ClusterProperty.HEARTBEAT_INTERVAL_SECONDS);
        return new AwaitedMembers.Limits(3 * heartbeatMs, noHeartbeatSeconds(hazelcast, client), HAND_OFF_TIMEOUT_MS);
    }

    /** How long the cluster waits for a silent member before it drops it (a client: Hazelcast's default). */
    private static long noHeartbeatSeconds(HazelcastInstance hazelcast, boolean client) {
        return client ? Long.parseLong(ClusterProperty.MAX_NO_HEARTBEAT_SECONDS.getDefaultValue())
            : new HazelcastProperties(hazelcast.getConfig()).getSeconds(ClusterProperty.MAX_NO_HEARTBEAT_SECONDS);
    }

    /**
     * Starts an embedded member, or connects a client, with {@code options}; the message of a
     * failure is one line for the user.
     */
    public static HazelcastCluster start(MemberOptions options) {
        return start(options, notice -> { });
    }

    /**
     * As {@link #start(MemberOptions)}, giving {@code notices} what the user should know while
     * it waits (a client whose file makes it wait for its cluster without end).
     */
    public static HazelcastCluster start(MemberOptions options, Consumer<String> notices) {
        return MemberStart.start(options, notices);
    }

    /** The addresses of the cluster's members that do not run entangle. */
    List<String> plainMembers() {
        List<String> out = new ArrayList<>();
        for (Member m : hazelcast.getCluster().getMembers()) {
            if (m.getAttribute(ENTANGLE_ATTRIBUTE) == null) out.add(address(m));
        }
        return out;
    }

    /** True if this JVM is a Hazelcast client of the cluster rather than an embedded member. */
    public boolean client() { return client; }

    /**
     * Waits until every partition has its backup: before that, the loss of a member can lose
     * what only it held, so a member joins only once its arrival has been absorbed.
     */
    public void awaitSafe(long timeoutMs) {
        if (client) return; // a client holds no partitions
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

    /** The Hazelcast cluster's name, as the options or the configuration file gave it. */
    public String clusterName() { return clusterName; }

    @Override
    public String memberId() { return memberId; }

    @Override
    public boolean isThisMember(String id) {
        return id.equals(memberId) || formerIds.contains(id);
    }

    @Override
    public String address() { return address; }

    @Override
    public boolean inCluster(String id) {
        for (Member m : hazelcast.getCluster().getMembers()) {
            if (m.getUuid().toString().equals(id)) return true;
        }
        return clients.listed(id);
    }

    @Override
    public String why(RuntimeException e) {
        return offline(e) ? offlineMessage() : said(e);
    }

    /**
     * What {@code e} says, in a sentence: a client's Hazelcast calls end on an interrupt with a
     * HazelcastException whose message is the InterruptedException's name, and on Hazelcast's
     * invocation timeout with a dump of the request.
     */
    static String said(RuntimeException e) {
        String message = String.valueOf(e.getMessage());
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof InterruptedException && !message.startsWith("interrupted")) {
                return "interrupted while waiting for the cluster";
            }
            if (t instanceof com.hazelcast.core.OperationTimeoutException) {
                return "no member answered within Hazelcast's invocation timeout (a member stopped, paused or cut off,"
                    + " or, for a client, the only member it reaches the cluster through)";
            }
        }
        return e.getMessage();
    }

    /** Why this client cannot reach its cluster now, in a sentence, while it has lost its connection; else null. */
    public String unreachableNow() {
        return disconnected ? offlineMessage() : null;
    }

    @Override
    public String retried(RuntimeException e) {
        return offline(e) ? "this client shares them once it reconnects" : SharedVars.Cluster.super.retried(e);
    }

    private String offlineMessage() {
        return "this client has lost its connection to the cluster " + clusterName + " and is trying to reconnect";
    }

    /**
     * True if {@code e} is Hazelcast's answer to a client that is not connected to its cluster
     * now, or came while this client is not (a file's reconnect mode ON retries until
     * Hazelcast's invocation timeout, then says no more than that no connection was found).
     */
    private boolean offline(Throwable e) {
        if (disconnected) return true;
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof com.hazelcast.client.HazelcastClientOfflineException) return true;
        }
        return false;
    }

    /**
     * Runs {@code op}; Hazelcast's answer to a client that is not connected now becomes a
     * ClusterUnreachableException that says so.
     */
    public <T> T reaching(java.util.function.Supplier<T> op) {
        connected();
        try {
            return op.get();
        } catch (RuntimeException e) {
            ClusterUnreachableException u = unreachable(e);
            throw u != null ? u : e;
        }
    }

    /**
     * Refuses at once what needs the cluster while this client has lost its connection,
     * whatever its reconnect mode: with a file's ON, Hazelcast's default, each call would wait
     * for Hazelcast's invocation timeout (two minutes), and every evaluation at a REPL with it,
     * retrying to share what was defined meanwhile.
     */
    private void connected() {
        if (disconnected) throw new ClusterUnreachableException(offlineMessage(), null);
    }

    /** What {@code e} means if it is Hazelcast's answer to a client that is not connected now; else null. */
    public ClusterUnreachableException unreachable(Throwable e) {
        return offline(e) ? new ClusterUnreachableException(offlineMessage(), e) : null;
    }

    public IMap<String, byte[]> map(String name) {
        return hazelcast.getMap(name);
    }

    /**
     * Connects {@code shared} to the cluster: hand-offs from other members reach it, and so
     * do entry events, from now on. Call before {@link SharedVars#sync()}, so that nothing
     * written during the sync is missed.
     */
    public void connect(SharedVars shared, java.util.function.Consumer<String> warn) {
        this.shared = shared;
        if (client) {
            lostForGood = lostForGood();
            knownIncarnation = incarnation();
            // A client makes a map's proxy, the first time it uses the map, with a request bound
            // to one connection, which Hazelcast does not retry: made later, while a member is
            // stopped, it failed with that member's connection (the first deref of a cluster
            // atom: TargetDisconnectedException). Made now, while the client joins (the
            // endpoints' map is made with this cluster).
            map(AtomStore.MAP);
            hazelcast.getExecutorService(REMOTE_EXECUTOR);
        }
        CONNECTED.put(hazelcast, this);
        for (String map : List.of(NamespaceRecord.MAP, ClassRecord.MAP, VarRecord.MAP)) {
            map(map).addEntryListener(new EntryEventBackstop(shared, map), true);
        }
        hazelcast.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent e) {}

            @Override
            public void memberRemoved(MembershipEvent e) {
                unconfirmed.writerLeft(e.getMember().getUuid().toString());
            }
        });
        backstop.scheduleWithFixedDelay(() -> unconfirmed.expire(UNCONFIRMED_MAX_AGE_MS), 10, 10, TimeUnit.SECONDS);
        clients.watch();
        if (client) clients.join(shared, address);
        hazelcast.getLifecycleService().addLifecycleListener(e -> {
            if (CONNECTED.get(hazelcast) != this) return;
            if (e.getState() == LifecycleEvent.LifecycleState.CLIENT_DISCONNECTED) {
                disconnected = true;
                clients.connectionLost();
            } else if (e.getState() == LifecycleEvent.LifecycleState.CLIENT_CONNECTED) {
                disconnected = false;
                // Events sent while the connection was down are lost: read the cluster again,
                // once hand-offs reach this client again.
                resync("a reconnect", () -> {
                    clients.connectionBack(address);
                    // A cluster whose servers all restarted no longer has this client's endpoint.
                    String advertised = endpoint;
                    if (advertised != null) advertise(advertised);
                    endpoints.reread();
                }, () -> {
                    checkIncarnation(warn);
                    shared.shareUnshared(vars -> warn.accept("this client reconnected to the cluster " + clusterName
                        + " and shared what was defined here while it could not: " + String.join(", ", vars)));
                });
            } else if (e.getState() == LifecycleEvent.LifecycleState.SHUTTING_DOWN && !leaving && !jvmExiting()) {
                // A client stops by itself when its connection is lost and its file says not to
                // reconnect (reconnect-mode OFF), or to give up (cluster-connect-timeout-millis);
                // a member or client when the user's code stops it (entangle.core/hazelcast). Off
                // Hazelcast's thread, which its shutdown may wait for.
                java.nio.file.Path log = HazelcastLogging.file();
                String why = client && disconnected ? lostForGood
                    : "this " + (client ? "client's" : "member's") + " Hazelcast instance shut down, not by"
                        + " entangle.core/stop! (" + (log == null || log.toString().equals("-") ? "Hazelcast's log"
                                                      : "its log, " + log + ",") + " says why)";
                Thread t = new Thread(() -> whenGone.accept(why), "entangle-gone");
                t.setDaemon(true);
                t.start();
            } else if (e.getState() == LifecycleEvent.LifecycleState.MERGED) {
                // Back in one cluster after a split, under a new member id: the maps now hold
                // the newer record of each key from either side (NewestRecordMergePolicy), and
                // those of the other side never came here as events. They are read once the
                // partitions have moved, as at a join: read while they moved, the maps have
                // answered with none of their records.
                formerIds.add(memberId);
                memberId = hazelcast.getCluster().getLocalMember().getUuid().toString();
                String advertised = endpoint;
                if (advertised != null) advertise(advertised);
                resync("the merge of a split cluster", () -> awaitSafe(60_000), () -> {});
            }
        });
    }

    /**
     * Why Hazelcast stops this client if its connection is lost, as its configuration says;
     * read while the client runs (a stopped client's configuration cannot be read).
     */
    private String lostForGood() {
        String lost = "this client lost its connection to the cluster " + clusterName;
        if (!(hazelcast instanceof com.hazelcast.client.impl.clientside.HazelcastClientProxy proxy)) return lost;
        ClientConnectionStrategyConfig strategy = proxy.getClientConfig().getConnectionStrategyConfig();
        if (strategy.getReconnectMode() == ClientConnectionStrategyConfig.ReconnectMode.OFF) {
            return lost + " and does not reconnect (its configuration's reconnect-mode is OFF)";
        }
        return lost + " and gave up reconnecting after its configuration's cluster-connect-timeout-millis ("
            + strategy.getConnectionRetryConfig().getClusterConnectTimeoutMillis() + ")";
    }

    /**
     * The cluster's incarnation: an id the first client to connect sets, which lives as long
     * as the cluster's data. A client that reconnects to a cluster with another one (every
     * server restarted, and what they held is gone) says so: the definitions made before are
     * no longer the cluster's.
     */
    private String incarnation() {
        return reaching(() -> {
            String mine = java.util.UUID.randomUUID().toString();
            String held = hazelcast.<String, String>getMap(INCARNATION_MAP).putIfAbsent(INCARNATION_KEY, mine);
            return held == null ? mine : held;
        });
    }

    private void checkIncarnation(java.util.function.Consumer<String> warn) {
        String now = incarnation();
        if (now.equals(knownIncarnation)) return;
        knownIncarnation = now;
        warn.accept("this client reconnected to the cluster " + clusterName + ", which no longer holds what was"
            + " defined before (every member that held its data restarted since): what members define from now on is"
            + " shared; what was defined before stays on the members that have it (load its files again to"
            + " share it)");
    }

    private void resync(String after, Runnable first, Runnable then) {
        new Thread(() -> {
            try {
                first.run();
                shared.sync();
                then.run();
            } catch (RuntimeException x) {
                HazelcastLogging.entangle().log(Level.WARNING, "re-reading the cluster after " + after + " failed", x);
            }
        }, "entangle-resync").start();
    }

    /** The cluster of {@code hazelcast}, once connected to this JVM's shared vars; or null. */
    static HazelcastCluster of(HazelcastInstance hazelcast) {
        return hazelcast == null ? null : CONNECTED.get(hazelcast);
    }

    SharedVars sharedVars() {
        return shared;
    }

    UnconfirmedRecords unconfirmed() {
        return unconfirmed;
    }

    HandOffsInHand inHand() {
        return inHand;
    }

    /**
     * Applies what entry events bring, after a grace period: a live writer hands its records
     * to every member before its evaluation returns, so the event is the backstop for a writer
     * that died before its hand-off, and applying it at once would only race the hand-off
     * (doing the work twice, and reading units the hand-off carries). By then the records are
     * usually in place, and the event is checked and dropped as not newer. An event whose record
     * only rivals what this member has (same version, another record) is read again from the map
     * first: after a merge, it may be the other side's, sent before (see {@link SharedVars#rivalsKnown}).
     */
    private final class EntryEventBackstop implements EntryAddedListener<String, byte[]>,
                                                      EntryUpdatedListener<String, byte[]>,
                                                      EntryMergedListener<String, byte[]> {
        private final SharedVars shared;
        private final String map;

        EntryEventBackstop(SharedVars shared, String map) {
            this.shared = shared;
            this.map = map;
        }

        @Override
        public void entryAdded(com.hazelcast.core.EntryEvent<String, byte[]> e) {
            later(e.getKey(), e.getValue());
        }

        @Override
        public void entryUpdated(com.hazelcast.core.EntryEvent<String, byte[]> e) {
            later(e.getKey(), e.getValue());
        }

        /** A record the other side of a split wrote, kept as the newer when the two sides merged. */
        @Override
        public void entryMerged(com.hazelcast.core.EntryEvent<String, byte[]> e) {
            later(e.getKey(), e.getValue());
        }

        private void later(String key, byte[] value) {
            unconfirmed.seen(map, key, value);
            backstop(key, value);
        }

        /** Applies the record after the grace period, or, if a hand-off being applied here holds its key, after that. */
        private void backstop(String key, byte[] value) {
            try {
                backstop.schedule(() -> {
                    if (inHand.holds(map, key)) backstop(key, value);
                    else apply(key, value);
                }, BACKSTOP_DELAY_MS, TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // leaving the cluster
            }
        }

        private void apply(String key, byte[] value) {
            try {
                byte[] record = value;
                if (shared.rivalsKnown(map, key, value)) {
                    record = read(map, key);
                    if (record == null) return;
                }
                shared.apply(Batch.of(map, key, record), true);
            } catch (Exception e) { // Clojure code it runs may throw checked exceptions undeclared
                HazelcastLogging.entangle().log(Level.WARNING, "applying " + key + " failed", e);
            }
        }
    }

    /**
     * Writes the records and hands them to every other member at once: the hand-off does not
     * wait for the write, so an evaluation costs one round trip, not two. The hand-off leaves
     * first: it is the longer way (a hop, then the member defines the classes) and what makes
     * the definitions callable there, and starting the writes before it (one on a partition of
     * this member's) made that 0.1 to 0.2 ms later in paired runs. A record the write
     * gave another version (a member wrote its key meanwhile) is handed off again with it, and
     * so is everything to a member that was still joining at the first hand-off or has joined
     * since (by the second, the writes have landed: a member still joining reads them in its
     * sync, and one that joined since may have read the maps before they did, with nothing but
     * the entry event's backstop to bring them); so, to client members, is everything to a
     * client that connected since the first hand-off.
     */
    @Override
    public Batch share(Batch proposed, Runnable first, Consumer<String> notices) {
        connected();
        try (AwaitedMembers awaited = new AwaitedMembers(notices, proposed.size(), waitLimits)) {
            List<Member> others = otherMembers();
            // Storing units waits for the members that own their partitions, or their backups.
            mayWaitFor(others, awaited);
            first.run();
            Map<Member, Future<Boolean>> acks = handOff(proposed, others, awaited);
            List<Write> writes = startWrites(proposed);
            Set<String> clientsHandedOff = clients.handOff(proposed, HAND_OFF_TIMEOUT_MS, awaited);
            Batch written = Batch.empty();
            Batch restamped = Batch.empty();
            for (Write w : writes) {
                byte[] record = w.await();
                written.add(w.map(), w.key(), record);
                if (record != w.record()) restamped.add(w.map(), w.key(), record);
            }
            List<Member> again = awaitAcks(acks);
            if (Thread.currentThread().isInterrupted()) {
                // The writes have landed: a member that had not applied the records reads them
                // from the maps (entry events; its sync if it is left out meanwhile).
                awaited.interrupted();
                return written;
            }
            List<Member> applied = otherMembers();
            for (Member m : applied) if (!others.contains(m)) again.add(m);
            applied.removeAll(again);
            if (!restamped.isEmpty()) {
                awaitAcks(handOff(restamped, applied, awaited));
                clients.handOff(restamped, HAND_OFF_TIMEOUT_MS, awaited);
            }
            if (!again.isEmpty()) awaitAcks(handOff(written, again, awaited));
            clients.handOffExcept(written, clientsHandedOff, HAND_OFF_TIMEOUT_MS, awaited);
            return written;
        }
    }

    /** Hands {@code records} to {@code members}, whose answers the evaluation then awaits. */
    private Map<Member, Future<Boolean>> handOff(Batch records, List<Member> members, AwaitedMembers awaited) {
        if (members.isEmpty()) return Map.of();
        Map<Member, Future<Boolean>> acks = executor.submitToMembers(new HandOff(memberId, records), members);
        acks.forEach((m, ack) -> awaited.member(address(m), ack, () -> silentMs(m)));
        return acks;
    }

    /**
     * How long {@code m} has sent this member no heartbeat, in milliseconds; -1 where this
     * JVM cannot know (a client).
     */
    private long silentMs(Member m) {
        if (!(hazelcast instanceof com.hazelcast.instance.impl.HazelcastInstanceProxy proxy)) return -1;
        com.hazelcast.instance.impl.Node node = proxy.getOriginal().node;
        long last = node.getClusterService().getClusterHeartbeatManager().getLastHeartbeatTime(m);
        return last <= 0 ? -1 : node.getClusterService().getClusterClock().getClusterTime() - last;
    }

    /** One record's write on its way. */
    private record Write(String map, String key, byte[] record, Future<Long> version, IMap<String, byte[]> target) {
        /** The record as written: the one proposed, or a copy stamped with the version the write gave it. */
        byte[] await() {
            long given;
            try {
                given = version == null ? VersionedWrite.compareAndSet(target, key, record, false)
                    : InterruptibleWait.get(version);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while writing " + key, e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("writing " + key + " failed: " + e.getCause(), e.getCause());
            }
            return given == Envelope.version(record) ? record : Envelope.restamp(record, given);
        }
    }

    /**
     * Starts every record's write at once. A client's servers may not have entangle's entry
     * processor, so a client writes by compare-and-set, when the write is awaited.
     */
    private List<Write> startWrites(Batch b) {
        List<Write> out = new ArrayList<>();
        b.forEach((map, key, record) -> {
            IMap<String, byte[]> m = map(map);
            // Waited for with get, not a dependent stage, which Hazelcast runs on a new thread on small machines.
            Future<Long> version = client ? null : (Future<Long>) m.submitToKey(key, new VersionedWrite(record, false));
            out.add(new Write(map, key, record, version, m));
        });
        return out;
    }

    /**
     * Writes a record another member handed off here before it died, over an older version of
     * its key only (see {@link UnconfirmedRecords}); the entry event brings it to every member.
     * Most records a writer that left had handed off are in the maps already, and a member's
     * repairs are not awaited one by one: a large evaluation's thousands would hold the
     * backstop's thread for seconds.
     */
    private void repair(String map, String key, byte[] record) {
        Runnable write = () -> {
            if (client) {
                try {
                    repaired(key, VersionedWrite.compareAndSet(map(map), key, record, true), null);
                } catch (RuntimeException e) {
                    repaired(key, -1, e);
                }
            } else {
                map(map).submitToKey(key, new VersionedWrite(record, true))
                    .whenComplete((given, e) -> repaired(key, given == null ? -1 : given, e));
            }
        };
        try {
            backstop.execute(write);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // leaving the cluster
        }
    }

    private static void repaired(String key, long given, Throwable failure) {
        if (failure != null) {
            HazelcastLogging.entangle().log(Level.WARNING, "writing " + key + " for a writer that left failed", failure);
        } else if (given >= 0) {
            HazelcastLogging.entangle().info("wrote " + key + ", which its writer handed off here before it left"
                + " and the map lacked");
        }
    }

    @Override
    public Map<String, byte[]> snapshot(String map) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : map(map).entrySet()) out.put(e.getKey(), e.getValue());
        return out;
    }

    @Override
    public byte[] get(String id, String atom, Consumer<String> notices) {
        return onAtom(id, atom, notices, "reading",
                      () -> client ? map(AtomStore.MAP).get(id) : awaited(map(AtomStore.MAP).getAsync(id)));
    }

    @Override
    public void put(String id, byte[] state, String atom, Consumer<String> notices) {
        onAtom(id, atom, notices, "changing", () -> {
            if (client) map(AtomStore.MAP).set(id, state);
            else awaited(map(AtomStore.MAP).setAsync(id, state));
            return null;
        });
    }

    @Override
    public boolean replace(String id, byte[] expected, byte[] next, String atom, Consumer<String> notices) {
        return onAtom(id, atom, notices, "changing",
                      () -> client ? map(AtomStore.MAP).replace(id, expected, next)
                          : awaited(map(AtomStore.MAP).submitToKey(id, new AtomReplace(expected, next))));
    }

    /**
     * Runs an operation on a cluster atom's entry, which waits for the members that hold its
     * copies: one stopped with Ctrl-Z holds it until the cluster leaves it out, and is named
     * meanwhile, as a sharing names it. An interrupt ends the wait ({@code doing}: what the
     * sentence says was interrupted): a client's calls end on one, and a member's are made
     * asynchronous for it (its synchronous ones wait through an interrupt).
     */
    private <T> T onAtom(String id, String atom, Consumer<String> notices, String doing, java.util.function.Supplier<T> op) {
        try (AwaitedMembers awaited = AwaitedMembers.ofAtom(atom, notices, waitLimits)) {
            if (notices != null) {
                if (client) {
                    // A client hears no heartbeats, but sends the operation to the entry's owner.
                    Member owner = hazelcast.getPartitionService().getPartition(id).getOwner();
                    if (owner != null) awaited.unheard(address(owner));
                } else {
                    mayWaitFor(otherMembers(), awaited);
                }
            }
            return reaching(op);
        } catch (RuntimeException e) {
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while " + doing + " " + atom + " (a cluster atom) in the"
                        + " cluster" + ("reading".equals(doing) ? "" : ": the change may still be made; deref it to see"), e);
                }
            }
            throw e;
        }
    }

    /** A member's asynchronous map call, waited for as an interrupt can end the wait. */
    private static <T> T awaited(java.util.concurrent.CompletionStage<T> call) {
        try {
            return InterruptibleWait.get(call.toCompletableFuture());
        } catch (InterruptedException e) {
            throw new com.hazelcast.core.HazelcastException(e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) throw r;
            throw new com.hazelcast.core.HazelcastException(e.getCause());
        }
    }

    /** Any of {@code members} may hold up what {@code awaited} waits for: each is named if silent. */
    private void mayWaitFor(List<Member> members, AwaitedMembers awaited) {
        for (Member m : members) awaited.member(address(m), () -> silentMs(m));
    }

    @Override
    public void listen(String id, java.util.function.BiConsumer<byte[], byte[]> onChange) {
        reaching(() -> map(AtomStore.MAP).addEntryListener(
            (EntryUpdatedListener<String, byte[]>) e -> onChange.accept(e.getOldValue(), e.getValue()), id, true));
    }

    @Override
    public byte[] read(String map, String key) {
        // A named class the compiler looks for: a client that has lost its cluster compiles
        // with what it has, as it calls what it has.
        if (disconnected) return null;
        return map(map).get(key);
    }

    /** A member's address as users see it: {@code host:port}. */
    static String address(Member m) {
        return m.getAddress().getHost() + ":" + m.getAddress().getPort();
    }

    /** The other embedded members that run entangle. */
    private List<Member> otherMembers() {
        List<Member> others = new ArrayList<>();
        for (Member m : hazelcast.getCluster().getMembers()) {
            if (!isSelf(m) && m.getAttribute(ENTANGLE_ATTRIBUTE) != null) others.add(m);
        }
        return others;
    }

    /** Waits for hand-offs to be applied; returns the members that were still joining. */
    private List<Member> awaitAcks(Map<Member, Future<Boolean>> acks) {
        List<Member> joining = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HAND_OFF_TIMEOUT_MS);
        for (Map.Entry<Member, Future<Boolean>> ack : acks.entrySet()) {
            try {
                long left = Math.max(0, deadline - System.nanoTime());
                if (!InterruptibleWait.get(ack.getValue(), left, TimeUnit.NANOSECONDS)) {
                    joining.add(ack.getKey());
                }
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
                break;
            }
        }
        return joining;
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
            if (isSelf(m) || theirs == null || theirs.equals(mine)) continue;
            out.add("this member runs Clojure " + mine + " and member " + address(m) + " runs " + theirs
                + "; they share, but code compiled by a newer Clojure"
                + " may not run on an older one.");
        }
        return out;
    }

    /** Advertises an endpoint of this member (such as "nrepl://127.0.0.1:7888"), or withdraws it (null). */
    public void advertise(String endpoint) {
        this.endpoint = endpoint;
        endpoints.advertise(memberId, endpoint);
    }

    /**
     * The entangle members, this one first: each with its "address", "id", "self" ("true" or
     * "false") and, if it advertised one, "nrepl" endpoint.
     */
    public List<Map<String, String>> memberInfo() {
        return reaching(() -> listMembers(true));
    }

    /** This JVM's own view of the members; {@code withEndpoints}: with each one's "nrepl" endpoint. */
    private List<Map<String, String>> listMembers(boolean withEndpoints) {
        Map<String, String> listedClients = clients.listed();
        Map<String, String> endpoints = withEndpoints ? this.endpoints.known() : Map.of();
        List<Map<String, String>> out = new ArrayList<>();
        for (Member m : hazelcast.getCluster().getMembers()) {
            if (m.getAttribute(ENTANGLE_ATTRIBUTE) == null) continue;
            add(out, m.getUuid().toString(), address(m), false, endpoints);
        }
        listedClients.forEach((id, a) -> add(out, id, a, true, endpoints));
        return out;
    }

    private void add(List<Map<String, String>> out, String id, String a, boolean isClient, Map<String, String> endpoints) {
        Map<String, String> info = new LinkedHashMap<>();
        boolean self = id.equals(memberId);
        info.put("address", a);
        info.put("id", id);
        info.put("self", String.valueOf(self));
        info.put("kind", isClient ? "client" : "member");
        String nrepl = endpoints.get(id);
        if (nrepl != null) info.put("nrepl", nrepl);
        if (self) out.add(0, info);
        else out.add(info);
    }

    /**
     * Evaluates {@code code} in namespace {@code ns} on the member at {@code address}, or on
     * every entangle member if it is "all"; returns each member's result by address, in the
     * order they came. An evaluation with no result after {@code timeoutMs} is cancelled on
     * its member (its thread interrupted), as are those still running if the calling thread is
     * interrupted, or once {@code stop} (null: none) completes: their results then say so, and
     * after an interrupt the thread's interrupt flag stays set. Each result is given to
     * {@code each} as it comes, on this thread.
     */
    public Map<String, Map<String, String>> evalOn(String address, String code, String ns, long timeoutMs,
                                                   java.util.function.BiConsumer<String, Map<String, String>> each,
                                                   java.util.concurrent.CompletionStage<?> stop) {
        return reaching(() -> {
            boolean all = "all".equals(address);
            List<Member> targets = all ? runners() : List.of(runner(address));
            if (targets.isEmpty()) throw new IllegalArgumentException(noRunners());
            // Not on the hand-off executor: code that runs long would hold the threads every
            // definition's hand-off needs there.
            Map<Member, Future<HashMap<String, String>>> sent = hazelcast.getExecutorService(REMOTE_EXECUTOR)
                .submitToMembers(new RemoteEval(code, ns), targets);
            Map<String, Future<HashMap<String, String>>> byAddress = new LinkedHashMap<>();
            for (Member m : targets) byAddress.put(address(m), sent.get(m));
            // Every member is every member entangle/members lists: a client member, which no
            // task reaches, answers that it ran nothing rather than being left out unsaid.
            Map<String, Map<String, String>> out = new LinkedHashMap<>();
            if (all) {
                for (String c : new java.util.TreeSet<>(clients.listed().values())) {
                    Map<String, String> r = Map.of("ex", UnsupportedOperationException.class.getName(), "err",
                        "member " + c + (c.equals(address()) ? " (this one)" : "")
                            + " is connected as a client, which runs no code sent to it: nothing was evaluated there");
                    out.put(c, r);
                    each.accept(c, r);
                }
            }
            out.putAll(EvalOn.collect(byAddress, timeoutMs, each, stop));
            return out;
        });
    }

    /** The members of the cluster that run entangle (client members included), as host:port, this one first. */
    public List<String> members() {
        List<String> out = new ArrayList<>();
        // Read from this JVM's own view, which a client that lost its cluster still holds.
        connected();
        for (Map<String, String> m : listMembers(false)) out.add(m.get("address"));
        return out;
    }

    /** The embedded entangle members: those that can run code sent to them (a client cannot be sent a task). */
    public List<Member> runners() {
        List<Member> out = new ArrayList<>();
        for (Member m : hazelcast.getCluster().getMembers()) {
            if (m.getAttribute(ENTANGLE_ATTRIBUTE) != null) out.add(m);
        }
        return out;
    }

    /** The embedded entangle member at {@code address} (host:port); refuses, naming the members there are, if there is none. */
    public Member runner(String address) {
        for (Member m : runners()) {
            if (address(m).equals(address)) return m;
        }
        if (clients.listed().containsValue(address)) {
            throw new IllegalArgumentException("member " + address + " is connected as a client and cannot run code sent to it;"
                + " members that can: " + addresses(runners()));
        }
        throw new IllegalArgumentException("no member at " + address + "; members that can run code: " + addresses(runners()));
    }

    /** Who left the cluster before a call to another member answered (see {@link #whoLeft}). */
    public enum Left { THAT_MEMBER, THIS_MEMBER }

    /**
     * Who left the cluster before the call that failed with {@code failure} was answered: the
     * member it went to, this member, or nobody (null), so that callers say it in entangle's
     * words rather than Hazelcast's ("Member [127.0.0.1]:5702 - uuid has left cluster!").
     */
    public static Left whoLeft(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof MemberLeftException || t instanceof TargetNotMemberException) return Left.THAT_MEMBER;
            if (t instanceof com.hazelcast.core.HazelcastInstanceNotActiveException) return Left.THIS_MEMBER;
        }
        return null;
    }

    /** Why nothing can run code sent to it. */
    public String noRunners() {
        return "no member of the cluster runs entangle as an embedded member, so none can run code sent to it"
            + " (members connected as clients cannot)";
    }

    /** host:port of each of {@code members}. */
    public static List<String> addresses(List<Member> members) {
        List<String> out = new ArrayList<>();
        for (Member m : members) out.add(address(m));
        return out;
    }

    private boolean isSelf(Member m) {
        return !client && m.localMember();
    }

    /** Leaves the cluster, handing this member's partitions to the others first. */
    public void shutdown() {
        leaving = true;
        CONNECTED.remove(hazelcast);
        backstop.shutdownNow();
        clients.close();
        hazelcast.shutdown();
    }

    /**
     * {@code c} is told why, once, if Hazelcast stops by itself rather than by {@link #shutdown}
     * or the JVM's exit.
     */
    public void whenGone(Consumer<String> c) {
        whenGone = c;
    }

    /** True once the JVM runs its shutdown hooks: Hazelcast's stops the member then, as the JVM exits. */
    private static boolean jvmExiting() {
        Thread probe = new Thread(() -> {});
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException shutdownInProgress) {
            return true;
        }
    }
}
