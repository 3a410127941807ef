package entangle.cluster;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.XMLStreamReader;

import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.client.config.ClientConnectionStrategyConfig;
import com.hazelcast.client.config.XmlClientConfigBuilder;
import com.hazelcast.client.config.YamlClientConfigBuilder;
import com.hazelcast.config.Config;
import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.NetworkConfig;

import entangle.MemberOptions;
import entangle.sharing.AtomStore;
import entangle.sharing.ClassRecord;
import entangle.sharing.NamespaceRecord;
import entangle.sharing.VarRecord;
import entangle.unit.UnitStore;

/**
 * The Hazelcast configuration of a member: an embedded member's or a client's, made from
 * entangle's options or read from the user's file, with what entangle itself needs added.
 */
final class HazelcastConfigs {
    /** How long a client tries to reach the cluster at its start before it gives up with a message. */
    static final long CLIENT_CONNECT_TIMEOUT_MS = Long.getLong("entangle.client.connect.timeout.ms", 15_000);

    private HazelcastConfigs() {}

    /**
     * The root of a Hazelcast configuration file ("hazelcast", "hazelcast-client"...), or null
     * if it cannot be told: Hazelcast's loaders then say what is wrong with it. Hazelcast's YAML
     * loaders take a file of the other kind without a word and configure nothing from it (a
     * member with Hazelcast's defaults: cluster dev, every interface; a client that looks for
     * that cluster without end).
     */
    static String rootOf(Path file) {
        try {
            if (file.toString().endsWith(".xml")) {
                XMLInputFactory f = XMLInputFactory.newInstance();
                f.setProperty(XMLInputFactory.SUPPORT_DTD, false);
                f.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
                try (InputStream in = Files.newInputStream(file)) {
                    XMLStreamReader r = f.createXMLStreamReader(in);
                    while (r.hasNext()) {
                        if (r.next() == XMLStreamConstants.START_ELEMENT) return r.getLocalName();
                    }
                }
                return null;
            }
            for (String line : Files.readAllLines(file)) {
                Matcher key = TOP_LEVEL_KEY.matcher(line);
                if (key.matches() && key.group(1).startsWith("hazelcast")) return key.group(1);
            }
            return null;
        } catch (IOException | XMLStreamException | RuntimeException e) {
            return null;
        }
    }

    private static final Pattern TOP_LEVEL_KEY = Pattern.compile("([A-Za-z][\\w-]*)\\s*:.*");

    /** An embedded member's configuration. */
    static Config member(MemberOptions o) {
        Config c;
        if (o.hazelcastConfig() != null) {
            String root = rootOf(o.hazelcastConfig());
            if (root != null && root.startsWith("hazelcast-client")) {
                throw new IllegalArgumentException("Hazelcast configuration " + o.hazelcastConfig() + " is a client's ("
                    + root + "), not a member's (hazelcast): connect as a client with it (" + o.label("client") + ")");
            }
            try {
                c = Config.loadFromFile(o.hazelcastConfig().toFile());
            } catch (FileNotFoundException | RuntimeException e) {
                throw new IllegalArgumentException("Hazelcast configuration " + o.hazelcastConfig() + " cannot be used: "
                    + e.getMessage(), e);
            }
        } else {
            c = new Config();
            c.setClusterName(o.cluster());
            if (o.bindsEveryInterface()) {
                // The member is known to the others by one address, not by the wildcard it
                // binds (0.0.0.0 there would send every other machine to itself): Hazelcast
                // picks the one of this machine's addresses that the members list names, or
                // else a non-loopback one.
                c.setProperty("hazelcast.socket.bind.any", "true");
            } else {
                c.setProperty("hazelcast.socket.bind.any", "false");
                c.setProperty("hazelcast.local.localAddress", o.bind());
            }
            NetworkConfig n = c.getNetworkConfig();
            n.setPort(o.port()).setPortAutoIncrement(true).setPortCount(MemberOptions.PORT_COUNT);
            JoinConfig j = n.getJoin();
            j.getMulticastConfig().setEnabled(false);
            j.getAutoDetectionConfig().setEnabled(false);
            j.getTcpIpConfig().setEnabled(true).setMembers(new ArrayList<>(o.members()));
            // A partition moves in one piece rather than in a fragment per map and service:
            // entangle's maps are small, and the pieces took a joining member's prompt twice as
            // long to wait for (0.1 s more for 23 partitions). A file's cluster keeps
            // Hazelcast's default, made for maps of any size.
            c.setProperty("hazelcast.partition.migration.fragments.enabled", "false");
            // Metrics are for Management Center and JMX, which a cluster on loopback has not got;
            // collecting them every 5 s is most of an idle member's work, and nearly doubles
            // its idle metaspace growth (JIT profiles). -Dhazelcast.metrics.enabled=true, or a
            // file, turns them on.
            c.getMetricsConfig().setEnabled(false);
        }
        // A REPL's prompt waits for the join: don't wait for nothing, and notice a killed member
        // within seconds, not a minute. entangle's maps hold thousands of small entries, not
        // millions: fewer partitions make a joining member's partition migration (which its
        // prompt waits for) quicker; every entangle member must agree on the count, so a file
        // changes it only by saying so.
        setIfAbsent(c, "hazelcast.wait.seconds.before.join", "0");
        setIfAbsent(c, "hazelcast.heartbeat.interval.seconds", "1");
        setIfAbsent(c, "hazelcast.max.no.heartbeat.seconds", "8");
        setIfAbsent(c, "hazelcast.partition.count", "23");
        // Members that lost sight of each other form one cluster again on Hazelcast's schedule
        // (see NewestRecordMergePolicy). Not sooner: a search for the other side waits five
        // seconds for each address of the list that does not answer, so a member that searched
        // every few seconds would nearly always be in one, and leaving waits for it.
        c.setInstanceName(instanceName("entangle-" + c.getClusterName() + "-" + ProcessHandle.current().pid()));
        c.setClassLoader(HazelcastConfigs.class.getClassLoader());
        c.setProperty("hazelcast.logging.type", "jdk");
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.setProperty("hazelcast.health.monitoring.level", "OFF");
        // Leaving (end of input, System/exit) hands this member's partitions to the others.
        c.setProperty("hazelcast.shutdownhook.policy", "GRACEFUL");
        c.setProperty("hazelcast.graceful.shutdown.max.wait", "20");
        c.getMemberAttributeConfig().setAttribute(HazelcastCluster.ENTANGLE_ATTRIBUTE, "1");
        c.getMemberAttributeConfig().setAttribute(HazelcastCluster.CLOJURE_ATTRIBUTE, HazelcastCluster.clojureVersion());
        if (o.secret() != null) {
            c.getMemberAttributeConfig().setAttribute(Admission.PROOF, o.secret().proof("member", c.getClusterName()));
        }
        c.getExecutorConfig(HazelcastCluster.HAND_OFF_EXECUTOR).setPoolSize(8);
        for (String map : List.of(UnitStore.MAP, VarRecord.MAP, NamespaceRecord.MAP, ClassRecord.MAP, AtomStore.MAP)) {
            // One synchronous backup: a definition outlives the loss of any one member. A file
            // that configures one of these maps itself has the last word.
            if (c.getMapConfigOrNull(map) == null) {
                MapConfig m = new MapConfig(map).setBackupCount(1).setAsyncBackupCount(0);
                // Units are content-addressed: either side's copy of a key is the same.
                if (!map.equals(UnitStore.MAP)) m.getMergePolicyConfig().setPolicy(NewestRecordMergePolicy.class.getName());
                c.addMapConfig(m);
            }
        }
        c.getSerializationConfig().addDataSerializableFactory(EntangleSerialization.FACTORY_ID,
                                                              new EntangleSerialization());
        // entangle's own traffic is byte arrays, strings and its own tasks, and values travel
        // inside byte arrays, read by entangle's filtered reader: Hazelcast need not
        // Java-deserialize anything but the JDK's, its own and entangle's classes (exceptions
        // in replies). Without this, what a connection sends, before it is checked as a
        // member's or a client's, could be Clojure's serializable classes, whose instances can
        // run code as they are read. A file that sets its own filter has the last word.
        if (c.getSerializationConfig().getJavaSerializationFilterConfig() == null) {
            JavaSerializationFilterConfig filter = new JavaSerializationFilterConfig().setDefaultsDisabled(false);
            filter.getWhitelist().addPrefixes("entangle.");
            c.getSerializationConfig().setJavaSerializationFilterConfig(filter);
        }
        return c;
    }

    private static final AtomicInteger STARTED = new AtomicInteger();

    /** Hazelcast refuses a second instance of one name in a JVM: the first keeps the plain name. */
    private static String instanceName(String name) {
        int n = STARTED.getAndIncrement();
        return n == 0 ? name : name + "-" + n;
    }

    private static void setIfAbsent(Config c, String property, String value) {
        if (c.getProperty(property) == null) c.setProperty(property, value);
    }

    private static void setIfAbsent(ClientConfig c, String property, String value) {
        if (c.getProperty(property) == null) c.setProperty(property, value);
    }

    /** A client's configuration. */
    static ClientConfig client(MemberOptions o) {
        ClientConfig c;
        if (o.hazelcastConfig() != null) {
            Path file = o.hazelcastConfig();
            if ("hazelcast".equals(rootOf(file))) {
                throw new IllegalArgumentException("Hazelcast configuration " + file + " is a member's (hazelcast), not a"
                    + " client's (hazelcast-client): without " + o.label("client") + " it configures this member");
            }
            try (InputStream in = Files.newInputStream(file)) {
                c = file.toString().endsWith(".xml") ? new XmlClientConfigBuilder(in).build()
                                                     : new YamlClientConfigBuilder(in).build();
            } catch (IOException | RuntimeException e) {
                throw new IllegalArgumentException("Hazelcast client configuration " + file + " cannot be used: "
                    + e.getMessage(), e);
            }
        } else {
            c = new ClientConfig();
            c.setClusterName(o.cluster());
            c.getNetworkConfig().setAddresses(new ArrayList<>(o.members()));
            // The first connection is waited for with a deadline (HazelcastCluster.start); once
            // connected, a client whose cluster goes away (its servers restarted, the network
            // down) tries again for as long as it runs, and what needs the cluster meanwhile
            // fails at once, so that an evaluation says so rather than waiting minutes.
            c.getConnectionStrategyConfig()
                .setAsyncStart(true)
                .setReconnectMode(ClientConnectionStrategyConfig.ReconnectMode.ASYNC)
                .getConnectionRetryConfig()
                .setClusterConnectTimeoutMillis(-1)
                .setInitialBackoffMillis(100)
                .setMaxBackoffMillis(2_000);
        }
        // What the client sent a member stopped with Ctrl-Z, paused or cut off waits until the
        // client gives up on its connection, and the cluster's news that the member left comes
        // through that connection when the client listens to the cluster there: Hazelcast's
        // default is a minute (an evaluation, or a cluster atom's deref, waited 64 s). As the
        // members give up on each other (above), after 8 s; a file changes it by saying so.
        setIfAbsent(c, "hazelcast.client.heartbeat.interval", "1000");
        setIfAbsent(c, "hazelcast.client.heartbeat.timeout", "8000");
        c.setInstanceName(instanceName("entangle-client-" + c.getClusterName() + "-" + ProcessHandle.current().pid()));
        c.setClassLoader(HazelcastConfigs.class.getClassLoader());
        c.setProperty("hazelcast.logging.type", "jdk");
        c.setProperty("hazelcast.phone.home.enabled", "false");
        c.addLabel("entangle");
        if (o.secret() != null) c.addLabel(Admission.clientLabel(o.secret().proof("client", c.getClusterName())));
        c.getSerializationConfig().addDataSerializableFactory(EntangleSerialization.FACTORY_ID,
                                                              new EntangleSerialization());
        return c;
    }
}
