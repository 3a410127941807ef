package entangle.cluster;

import java.net.BindException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.instance.impl.HazelcastInstanceFactory;
import com.hazelcast.spi.properties.ClusterProperty;
import com.hazelcast.spi.properties.HazelcastProperties;

import entangle.MemberOptions;
import entangle.MemberStartException;
import entangle.sharing.Envelope;

/**
 * Starts an embedded member, or connects a client, as {@link MemberOptions} say: the member's
 * configuration ({@link HazelcastConfigs}), the log it writes to, its admission with the
 * cluster's secret ({@link Admission}), and, when it cannot start, one line for the user that
 * says why (a refused secret, no cluster that answered, a port in use, a cluster of plain
 * Hazelcast members) and what to do about it.
 */
final class MemberStart {

    private MemberStart() {}

    /** See {@link HazelcastCluster#start(MemberOptions, Consumer)}. */
    static HazelcastCluster start(MemberOptions options, Consumer<String> notices) {
        HazelcastLogging.hold();
        reuseCallbackThreads();
        Envelope.sealWith(options.secret() == null ? null : options.secret().recordKey());
        if (options.client()) return connectClient(options, notices);
        com.hazelcast.config.Config config =
            configured(options, HazelcastConfigs::member, com.hazelcast.config.Config::getClusterName);
        HazelcastInstance h;
        Admission admission = new Admission(options.secret(), config.getClusterName());
        long startedAt = System.nanoTime();
        try (Admission.Refusals refusals = new Admission.Refusals()) {
            try {
                h = HazelcastInstanceFactory.newHazelcastInstance(config, config.getInstanceName(), admission);
            } catch (RuntimeException e) {
                String why = refusals.reason();
                if (why != null) throw refused(options, config.getClusterName(), why, e);
                if (joinTimedOut(refusals, config, startedAt)) throw joinGaveUp(options, config, admission.membersListCheck(), e);
                throw startFailure(options, config.getClusterName(), e);
            }
            // A member the master refused may be stopped only after its start returned.
            String why = refusals.reason();
            if (why != null || !h.getLifecycleService().isRunning()) {
                h.getLifecycleService().terminate();
                if (why != null) throw refused(options, config.getClusterName(), why, null);
                IllegalStateException stopped = new IllegalStateException("it stopped as it joined");
                if (joinTimedOut(refusals, config, startedAt)) {
                    throw joinGaveUp(options, config, admission.membersListCheck(), stopped);
                }
                throw startFailure(options, config.getClusterName(), stopped);
            }
        }
        HazelcastCluster c = new HazelcastCluster(h, false, config.getClusterName());
        String reachable = options.secret() == null ? reachableBeyondLoopback(config, h) : null;
        if (reachable != null) {
            c.note("this member accepts connections " + reachable + ", and the cluster has no secret: anyone"
                + " who can reach this machine and names the cluster " + config.getClusterName() + " can join it and"
                + " run code here; give the cluster a secret (" + options.label("secretFile") + ")");
        }
        if (admission.membersListCheck() != null) {
            new java.util.TreeMap<>(admission.membersListCheck().leftOut()).forEach((address, why) -> c.note(
                "started without " + address + ", one of the addresses of " + membersList(options) + ": " + why));
        }
        List<String> plain = c.plainMembers();
        if (!plain.isEmpty()) {
            h.shutdown();
            throw new MemberStartException("the Hazelcast cluster " + h.getConfig().getClusterName()
                + " has members that do not run entangle (" + String.join(", ", plain) + "); join it as a client"
                + " instead (" + options.label("client") + ")");
        }
        h.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent e) {
                if (e.getMember().getAttribute(HazelcastCluster.ENTANGLE_ATTRIBUTE) == null) {
                    HazelcastLogging.entangle().warning("member " + e.getMember().getAddress() + " joined without entangle;"
                        + " definitions whose records it owns cannot be written until it leaves");
                }
            }

            @Override
            public void memberRemoved(MembershipEvent e) {}
        });
        return c;
    }

    /**
     * The configuration {@code make} builds from {@code options}, with Hazelcast's log sent
     * where they say (for a configuration that cannot be built too, named after the cluster the
     * options name); one that cannot be built fails the start with its one line.
     */
    private static <C> C configured(MemberOptions options, Function<MemberOptions, C> make,
                                    Function<C, String> clusterName) {
        C config;
        try {
            config = make.apply(options);
        } catch (IllegalArgumentException e) {
            logTo(options, options.cluster());
            throw new MemberStartException(e.getMessage(), e);
        }
        logTo(options, clusterName.apply(config));
        return config;
    }

    /** Sends Hazelcast's log where the options say, by default to a file named after {@code cluster}. */
    private static void logTo(MemberOptions options, String cluster) {
        HazelcastLogging.to(options.effectiveLogFile(cluster), options.logFile() == null);
    }

    /**
     * A client connected to its cluster: one that starts asynchronously (entangle's own
     * configuration does, see HazelcastConfigs) is waited for here, and given up on after
     * {@link HazelcastConfigs#CLIENT_CONNECT_TIMEOUT_MS}.
     */
    private static HazelcastCluster connectClient(MemberOptions options, Consumer<String> notices) {
        com.hazelcast.client.config.ClientConfig config =
            configured(options, HazelcastConfigs::client, com.hazelcast.client.config.ClientConfig::getClusterName);
        java.util.concurrent.CountDownLatch settled = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicBoolean connected = new java.util.concurrent.atomic.AtomicBoolean();
        config.addListenerConfig(new com.hazelcast.config.ListenerConfig((com.hazelcast.core.LifecycleListener) e -> {
            switch (e.getState()) {
                case CLIENT_CONNECTED -> {
                    connected.set(true);
                    settled.countDown();
                }
                // A client its cluster refused shuts itself down: no need to wait out the deadline.
                case SHUTTING_DOWN, SHUTDOWN -> settled.countDown();
                default -> {}
            }
        }));
        String cluster = config.getClusterName();
        java.util.concurrent.CountDownLatch returned = new java.util.concurrent.CountDownLatch(1);
        if (!config.getConnectionStrategyConfig().isAsyncStart()) stillTrying(options, config, returned, notices);
        HazelcastInstance h;
        try (Admission.Refusals refusals = new Admission.Refusals()) {
            try {
                h = HazelcastClient.newHazelcastClient(config);
            } catch (IllegalArgumentException e) {
                throw new MemberStartException(e.getMessage(), e);
            } catch (RuntimeException e) {
                if (refusals.reason() != null) throw refused(options, cluster, refusals.reason(), e);
                throw noClusterAnswered(options, e.getMessage(), e);
            } finally {
                returned.countDown();
            }
            if (config.getConnectionStrategyConfig().isAsyncStart()) {
                try {
                    settled.await(HazelcastConfigs.CLIENT_CONNECT_TIMEOUT_MS, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (refusals.reason() != null) {
                    h.shutdown();
                    throw refused(options, cluster, refusals.reason(), null);
                }
                if (!connected.get() || !h.getLifecycleService().isRunning()) {
                    h.shutdown();
                    long ms = HazelcastConfigs.CLIENT_CONNECT_TIMEOUT_MS;
                    throw noClusterAnswered(options, "none answered in " + (ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms"), null);
                }
            }
        }
        String why = secretRefusal(h, options, cluster);
        if (why != null) {
            h.shutdown();
            throw refused(options, cluster, why, null);
        }
        return new HazelcastCluster(h, true, cluster);
    }

    /**
     * Why a client's secret does not fit its cluster's, or null if it does. Servers that run
     * entangle refuse such a client themselves (Admission); plain Hazelcast servers cannot, so
     * the first client to connect leaves its proof (or that it has none) in the cluster, and
     * every later one compares: records sealed with another secret would all be refused.
     */
    private static String secretRefusal(HazelcastInstance h, MemberOptions o, String cluster) {
        String mine = o.secret() == null ? "none" : o.secret().proof("cluster", cluster);
        String held;
        try {
            held = h.<String, String>getMap(HazelcastCluster.INCARNATION_MAP).putIfAbsent(HazelcastCluster.SECRET_KEY, mine);
        } catch (RuntimeException e) {
            h.shutdown();
            throw new MemberStartException("the client lost the cluster " + cluster + " as it connected: " + e.getMessage(), e);
        }
        if (held == null || held.equals(mine)) return null;
        return Admission.refusal(held.equals("none") ? null : held, mine.equals("none") ? null : mine);
    }

    /** The start failure of a member or client that {@link Admission} refused, for {@code why}. */
    private static MemberStartException refused(MemberOptions o, String cluster, String why, Throwable cause) {
        String party = o.client() ? "client" : "member";
        String option = o.label("secretFile");
        String given = o.secret() == null ? null : option + " " + o.secret().file();
        String noneGiven = "the cluster has a secret, and this " + party + " was given none (" + option + ")";
        String another = "this " + party + "'s secret (" + given + ") is not the cluster's";
        String sentence = switch (why) {
            case Admission.NONE_GIVEN -> noneGiven;
            case Admission.NONE_HELD -> "the cluster has no secret, and this " + party + " was given one (" + given + ")";
            case Admission.ANOTHER -> another;
            // A client is told only that it is not allowed: it knows which of its own side.
            default -> given == null ? noneGiven : another + ", or the cluster has none";
        };
        return new MemberStartException("the cluster " + cluster + " refused this " + party + ": " + sentence, cause);
    }

    /**
     * A client whose file makes it start synchronously waits for its cluster as long as the file
     * says, by Hazelcast's default without end: once entangle's own clients would have given up,
     * say that it still waits, and why, rather than leave the terminal silent.
     */
    private static void stillTrying(MemberOptions options, com.hazelcast.client.config.ClientConfig config,
                                    java.util.concurrent.CountDownLatch returned, Consumer<String> notices) {
        Thread t = new Thread(() -> {
            try {
                long ms = HazelcastConfigs.CLIENT_CONNECT_TIMEOUT_MS;
                if (returned.await(ms, TimeUnit.MILLISECONDS)) return;
                List<String> at = config.getNetworkConfig().getAddresses();
                notices.accept("no member of the Hazelcast cluster " + config.getClusterName() + " has answered"
                    + (at.isEmpty() ? "" : " at " + String.join(",", at)) + " in "
                    + (ms % 1000 == 0 ? ms / 1000 + " s" : ms + " ms") + "; this client goes on trying for as long as "
                    + options.hazelcastConfig() + " says (its cluster-connect-timeout-millis; by Hazelcast's default,"
                    + " without end)");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "entangle-client-connect-notice");
        t.setDaemon(true);
        t.start();
    }

    private static MemberStartException noClusterAnswered(MemberOptions options, String why, Throwable cause) {
        return new MemberStartException("no Hazelcast cluster answered the client"
            + (options.hazelcastConfig() == null
               ? " (cluster " + options.cluster() + ", members " + String.join(",", summarize(options.members())) + ")"
               : " configured by " + options.hazelcastConfig())
            + ": " + why, cause);
    }

    /**
     * Hazelcast completes its futures' dependent stages on the JDK's common pool, or, where
     * that pool has a single thread (machines of one or two cores), on a new thread per
     * callback; every asynchronous call then costs a thread start, which measured 1 ms of the
     * 1.6 ms an entry processor took on two cores. A pool whose threads live on removes that.
     * The hook is Hazelcast's internal one (its tests use it): if a later Hazelcast lacks it,
     * calls are only slower.
     */
    private static void reuseCallbackThreads() {
        if (java.util.concurrent.ForkJoinPool.getCommonPoolParallelism() > 1) return;
        try {
            com.hazelcast.internal.util.ConcurrencyUtil.setDefaultAsyncExecutor(CALLBACKS);
        } catch (LinkageError e) {
            HazelcastLogging.entangle().info("Hazelcast's callback executor cannot be set: " + e);
        }
    }

    private static final java.util.concurrent.ExecutorService CALLBACKS = java.util.concurrent.Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "entangle-hazelcast-callbacks");
        t.setDaemon(true);
        return t;
    });

    /** Port ranges as the user wrote them, for messages: 127.0.0.1:5701-5710. */
    private static List<String> summarize(List<String> members) {
        List<String> out = new ArrayList<>();
        String host = null;
        int from = -1, to = -1;
        for (String m : members) {
            int colon = m.lastIndexOf(':');
            String h = m.substring(0, colon);
            int p = Integer.parseInt(m.substring(colon + 1));
            if (h.equals(host) && p == to + 1) {
                to = p;
                continue;
            }
            if (host != null) out.add(host + ":" + from + (to > from ? "-" + to : ""));
            host = h;
            from = to = p;
        }
        if (host != null) out.add(host + ":" + from + (to > from ? "-" + to : ""));
        return out;
    }

    /**
     * True if Hazelcast stopped the member because it found no cluster to join in the time a
     * join may take. Hazelcast logs the same line when a join fails at once (a cluster of plain
     * servers, say), which the start's other messages explain better.
     */
    private static boolean joinTimedOut(Admission.Refusals refusals, com.hazelcast.config.Config config, long startedAt) {
        long max = new HazelcastProperties(config).getMillis(ClusterProperty.MAX_JOIN_SECONDS);
        return refusals.joinGaveUp() && TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedAt) >= max;
    }

    /**
     * The start failure of a member that Hazelcast stopped because it found no cluster to join
     * in the time a join may take: members it reached answered as Hazelcast members and never
     * let it in.
     */
    private static MemberStartException joinGaveUp(MemberOptions o, com.hazelcast.config.Config config,
                                                   MembersListCheck check, RuntimeException e) {
        long seconds = new HazelcastProperties(config).getSeconds(ClusterProperty.MAX_JOIN_SECONDS);
        String answered = check == null || check.answered().isEmpty() ? ""
            : " (" + String.join(", ", new java.util.TreeSet<>(check.answered())) + ")";
        return new MemberStartException("the member could not start: the addresses of " + membersList(o) + " that answer as"
            + " Hazelcast members" + answered + " did not let it join the cluster " + config.getClusterName() + " in "
            + seconds + " s (a member that is not well, or a program that only looks like one); " + theLog()
            + " says more", e);
    }

    /** What messages call the members list: the option as the user set it, or the file that holds it. */
    private static String membersList(MemberOptions o) {
        return o.hazelcastConfig() == null ? o.label("members") : "the members list of " + o.hazelcastConfig();
    }

    /** What messages call the log: its file, or Hazelcast's log when it goes to standard error. */
    private static String theLog() {
        java.nio.file.Path log = HazelcastLogging.file();
        return log == null || log.toString().equals("-") ? "Hazelcast's log" : "the log " + log;
    }

    static MemberStartException startFailure(MemberOptions o, String cluster, RuntimeException e) {
        String ports = o.bind() + " ports " + o.port() + "-" + (o.port() + MemberOptions.PORT_COUNT - 1);
        String choose = "(choose others with " + o.label("port") + " or " + o.label("bind") + ")";
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException) {
                return new MemberStartException("cannot bind a member to " + ports + ": all are in use or the address is"
                    + " not this machine's " + choose, e);
            }
        }
        // Hazelcast words every failure to open its server socket as a failure to bind; when the
        // system refused the socket itself (no memory for buffers, no descriptors), saying the
        // ports are in use would send the user after the wrong thing.
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (String.valueOf(t.getMessage()).startsWith("Cannot bind to a given address") && t.getCause() != null) {
                return new MemberStartException("cannot open a socket for a member on " + ports + ": the system refused"
                    + " it (" + t.getCause() + "); " + theLog() + " says more", e);
            }
        }
        return new MemberStartException("the member could not start: " + e.getMessage() + " (members of cluster "
            + cluster + " that are configured otherwise, or that do not run entangle, refuse it; to use an existing"
            + " Hazelcast cluster, connect as a client with " + o.label("client") + "; " + theLog() + " says more)", e);
    }

    /**
     * Where the embedded member {@code h} accepts connections from other machines ("on every
     * interface (port N)", "at host:port"), or null if on loopback alone: its server socket
     * binds the wildcard address unless Hazelcast is told not to (entangle's own
     * configuration does, but for --bind 0.0.0.0), and else the member's own address.
     */
    static String reachableBeyondLoopback(com.hazelcast.config.Config config, HazelcastInstance h) {
        com.hazelcast.cluster.Address self = h.getCluster().getLocalMember().getAddress();
        if (new HazelcastProperties(config).getBoolean(ClusterProperty.SOCKET_SERVER_BIND_ANY)) {
            return "on every interface (port " + self.getPort() + ")";
        }
        try {
            return self.getInetAddress().isLoopbackAddress() ? null : "at " + self.getHost() + ":" + self.getPort();
        } catch (java.net.UnknownHostException e) {
            return "at " + self.getHost() + ":" + self.getPort();
        }
    }
}
