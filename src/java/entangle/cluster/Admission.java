package entangle.cluster;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Objects;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import com.hazelcast.auditlog.AuditableEvent;
import com.hazelcast.auditlog.AuditlogService;
import com.hazelcast.auditlog.AuditlogTypeIds;
import com.hazelcast.auditlog.EventBuilder;
import com.hazelcast.auditlog.Level;
import com.hazelcast.client.Client;
import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.client.impl.ClientEngine;
import com.hazelcast.cluster.Address;
import com.hazelcast.cluster.ClusterState;
import com.hazelcast.config.ConfigAccessor;
import com.hazelcast.config.TcpIpConfig;
import com.hazelcast.instance.impl.DefaultNodeContext;
import com.hazelcast.instance.impl.DefaultNodeExtension;
import com.hazelcast.instance.impl.Node;
import com.hazelcast.instance.impl.NodeExtension;
import com.hazelcast.internal.cluster.impl.ClusterServiceImpl;
import com.hazelcast.internal.cluster.impl.JoinMessage;
import com.hazelcast.internal.cluster.impl.JoinRequest;

/**
 * Who an embedded member lets into its cluster: members and clients whose proof of the
 * cluster's secret (a member attribute, a client label) is its own, or, in a cluster without
 * a secret, those that show none. Hazelcast's open-source edition checks only the cluster's
 * name; its own hooks are used here, the ones its Enterprise edition's security uses: the
 * master's check of a join request, which Hazelcast answers by stopping the refused member
 * with the reason, and the client engine's selector, which refuses a client's connection.
 */
final class Admission extends DefaultNodeContext {
    /** The member attribute and client label prefix that carry a proof of the secret. */
    static final String PROOF = "entangle.secret";
    /** Starts the reason a refused member is given, so that it can tell it from others. */
    static final String REFUSED = "entangle refused the member: ";
    /** The reasons, which the refused member words with its own name for the option. */
    static final String NONE_GIVEN = "the cluster has a secret and the member has none";
    static final String NONE_HELD = "the member has a secret and the cluster has none";
    static final String ANOTHER = "the member's secret is not the cluster's";

    private final String cluster;
    private final String memberProof;
    private final String clientProof;
    private volatile MembersListCheck membersListCheck;

    /** For a cluster whose secret is {@code secret} (null: none) and name {@code cluster}. */
    Admission(ClusterSecret secret, String cluster) {
        this.cluster = cluster;
        this.memberProof = secret == null ? null : secret.proof("member", cluster);
        this.clientProof = secret == null ? null : secret.proof("client", cluster);
    }

    /** The reason a member or client that shows {@code shown} is refused by one that expects {@code expected}, or null. */
    static String refusal(String expected, String shown) {
        if (Objects.equals(expected, shown)) return null;
        if (shown == null) return NONE_GIVEN;
        return expected == null ? NONE_HELD : ANOTHER;
    }

    static String clientLabel(String proof) {
        return PROOF + "=" + proof;
    }

    /** The check of the members list before the join, once the node is made (null before, or if it finds members otherwise). */
    MembersListCheck membersListCheck() { return membersListCheck; }

    @Override
    public NodeExtension createNodeExtension(Node node) {
        TcpIpConfig tcpIp = ConfigAccessor.getActiveMemberNetworkConfig(node.getConfig()).getJoin().getTcpIpConfig();
        // Not admission, nor is the split search below, but where Hazelcast lets a node be made
        // otherwise: here. Multicast and discovery, which a file may choose, are Hazelcast's own.
        if (tcpIp.isEnabled()) membersListCheck = new MembersListCheck(tcpIp);
        return new DefaultNodeExtension(node) {
            @Override
            public void beforeJoin() {
                super.beforeJoin();
                if (membersListCheck == null) return;
                InetSocketAddress self;
                try {
                    self = node.getThisAddress().getInetSocketAddress();
                } catch (java.net.UnknownHostException e) {
                    self = null;
                }
                membersListCheck.beforeJoin(self);
            }

            @Override
            public void afterStart() {
                super.afterStart();
                SplitSearch splitSearch = new SplitSearch(node);
                splitSearch.start();
                if (membersListCheck != null) {
                    membersListCheck.afterJoin(node::isRunning,
                                               a -> splitSearch.answers(new Address(a.getAddress(), a.getPort())));
                }
            }

            @Override
            public void validateJoinRequest(JoinMessage message) {
                super.validateJoinRequest(message);
                if (!(message instanceof JoinRequest request)) return;
                String shown = request.getAttributes() == null ? null : request.getAttributes().get(PROOF);
                String why = refusal(memberProof, shown);
                if (why != null) {
                    HazelcastLogging.entangle().warning("refused the member at " + request.getAddress() + ": " + why);
                    throw new SecurityException(REFUSED + why);
                }
            }

            @Override
            public AuditlogService getAuditlogService() {
                AuditlogService log = super.getAuditlogService();
                return new AuditlogService() {
                    @Override
                    public void log(AuditableEvent event) { log.log(event); }

                    @Override
                    public void log(String type, Level level, String message) { log.log(type, level, message); }

                    @Override
                    public void log(String type, Level level, String message, Throwable thrown) {
                        log.log(type, level, message, thrown);
                    }

                    @Override
                    public EventBuilder<?> eventBuilder(String type) {
                        EventBuilder<?> b = log.eventBuilder(type);
                        return type.equals(AuditlogTypeIds.CLUSTER_MERGE) ? new MergeCheck(b, node) : b;
                    }
                };
            }

            @Override
            public ClientEngine createClientEngine() {
                ClientEngine engine = super.createClientEngine();
                // Applied before the member listens: no client connects unchecked.
                engine.applySelector(Admission.this::admits);
                return engine;
            }
        };
    }

    /**
     * Checks, before this member merges into another cluster of its name (as Hazelcast heals a
     * split), that the other cluster would let it in: two clusters of one name and different
     * secrets, formed apart, would otherwise try, and the merging members, their data already
     * dropped for the merge, would be refused. Hazelcast's open-source edition has no hook
     * before a merge but its audit log's event for it, which its merge operation writes before
     * it starts the merge; an exception there stops the merge, and Hazelcast tries again at
     * its next search for other clusters. The check is a Hazelcast client, with this member's
     * proof, that connects to a member of the other cluster.
     */
    private final class MergeCheck implements EventBuilder<MergeCheck> {
        private final EventBuilder<?> event;
        private final Node node;
        private Object target;

        MergeCheck(EventBuilder<?> event, Node node) {
            this.event = event;
            this.node = node;
        }

        @Override
        public MergeCheck message(String message) {
            event.message(message);
            return this;
        }

        @Override
        public MergeCheck parameters(Map<String, Object> parameters) {
            event.parameters(parameters);
            if (parameters != null && parameters.containsKey("targetAddress")) target = parameters.get("targetAddress");
            return this;
        }

        @Override
        public MergeCheck addParameter(String key, Object value) {
            event.addParameter(key, value);
            if (key.equals("targetAddress")) target = value;
            return this;
        }

        @Override
        public MergeCheck level(Level level) {
            event.level(level);
            return this;
        }

        @Override
        public MergeCheck cause(Throwable throwable) {
            event.cause(throwable);
            return this;
        }

        @Override
        public MergeCheck timestamp(long timestamp) {
            event.timestamp(timestamp);
            return this;
        }

        @Override
        public AuditableEvent build() {
            return event.build();
        }

        @Override
        public void log() {
            if (target instanceof Address address) {
                String why = probe(address);
                if (why != null) {
                    HazelcastLogging.entangle().warning("did not merge into the cluster at " + address + ": " + why);
                    thaw(node);
                    throw new IllegalStateException("entangle did not merge into the cluster at " + address + ": " + why);
                }
            }
            event.log();
        }
    }

    /**
     * Puts back the cluster state that Hazelcast froze for a merge that is not made: frozen, the
     * cluster would let no member join it again, nor move a partition. The master does it, whose
     * own merge operation comes after every other member's.
     */
    private static void thaw(Node node) {
        ClusterServiceImpl clusterService = node.getClusterService();
        if (!clusterService.isMaster()) return;
        // Not on the operation's thread: a change of state is a transaction across the members.
        Thread t = new Thread(() -> {
            try {
                if (clusterService.getClusterState() == ClusterState.FROZEN) clusterService.changeClusterState(ClusterState.ACTIVE);
            } catch (RuntimeException e) {
                HazelcastLogging.entangle().warning("could not make the cluster active again after a merge not made: " + e);
            }
        }, "entangle-merge-check");
        t.setDaemon(true);
        t.start();
    }

    /** Why the cluster a member at {@code address} is in would refuse this one, or null if it would not. */
    private String probe(Address address) {
        ClientConfig c = new ClientConfig();
        c.setClusterName(cluster);
        c.setInstanceName("entangle-merge-check-" + java.util.UUID.randomUUID());
        c.setClassLoader(Admission.class.getClassLoader());
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.getNetworkConfig().setSmartRouting(false).addAddress(address.getHost() + ":" + address.getPort());
        c.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(5_000);
        if (clientProof != null) c.addLabel(clientLabel(clientProof));
        try (Refusals refusals = new Refusals()) {
            try {
                HazelcastClient.newHazelcastClient(c).shutdown();
                return null;
            } catch (RuntimeException e) {
                return refusals.reason() != null ? "its secret is not this cluster's, or one of the two has none"
                                                 : "it did not answer (" + e.getMessage() + ")";
            }
        }
    }

    private boolean admits(Client client) {
        String shown = null;
        for (String label : client.getLabels()) {
            if (label.startsWith(PROOF + "=")) shown = label.substring(PROOF.length() + 1);
        }
        String why = refusal(clientProof, shown);
        if (why != null) {
            HazelcastLogging.entangle().warning("refused the client " + client.getName() + " at "
                + client.getSocketAddress() + ": " + why.replace("member", "client"));
        }
        return why == null;
    }

    /**
     * What Hazelcast says, while a member or client starts, of its being refused, or of its
     * join given up: Hazelcast tells a refused member why only in its log, and a refused client
     * only that it is not allowed, so the start listens to the log for it.
     */
    static final class Refusals extends Handler implements AutoCloseable {
        /** Said to a client that a cluster's selector refused. */
        static final String CLIENT_NOT_ALLOWED = "not allowed";
        /** How Hazelcast logs, on a member its master refused, the reason it was given. */
        private static final String JOIN_FAILURE = "Reason of failure for node join: ";
        /** How Hazelcast logs that a member found no cluster to join in the time a join may take. */
        private static final String JOIN_GAVE_UP = "Could not join cluster. Shutting down now!";
        private final Logger hazelcast = Logger.getLogger("com.hazelcast");
        private volatile String reason;
        private volatile boolean joinGaveUp;

        Refusals() {
            hazelcast.addHandler(this);
        }

        /** A reason of {@link Admission}'s for a refused member, {@link #CLIENT_NOT_ALLOWED}, or null. */
        String reason() { return reason; }

        /** True if Hazelcast gave up the join (hazelcast.max.join.seconds) and stopped the member. */
        boolean joinGaveUp() { return joinGaveUp; }

        @Override
        public void publish(LogRecord r) {
            String m = String.valueOf(r.getMessage());
            // What the refused member logs, not what a master that refuses another logs.
            int at = m.indexOf(JOIN_FAILURE + REFUSED);
            if (at >= 0) reason = m.substring(at + JOIN_FAILURE.length() + REFUSED.length()).trim();
            else if (reason == null && m.contains("ClientNotAllowedInClusterException")) reason = CLIENT_NOT_ALLOWED;
            else if (m.contains(JOIN_GAVE_UP)) joinGaveUp = true;
        }

        @Override
        public void flush() {}

        @Override
        public void close() {
            hazelcast.removeHandler(this);
        }
    }
}
