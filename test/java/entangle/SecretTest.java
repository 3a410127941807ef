package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import entangle.cluster.ClusterSecret;
import entangle.sharing.Envelope;
import entangle.sharing.VarRecord;
import entangle.testing.JavaHost;
import entangle.testing.PlainHazelcast;
import entangle.testing.Projects;
import entangle.testing.ReplProcess;
import entangle.testing.TestCluster;

/**
 * A cluster with a secret (--secret-file): members, clients and Java applications that hold
 * it share as in any cluster; a member or client that holds another secret, or none, is
 * refused at its start with a line that says which, and so is any Hazelcast client that
 * knows only the cluster's name; a cluster without a secret refuses those that bring one. On
 * plain Hazelcast servers, which cannot refuse anyone, clients refuse a cluster whose data is
 * another secret's, and a record written without the secret is refused as a tampered one.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecretTest {
    private final List<TestCluster> clusters = new ArrayList<>();
    private TestCluster cluster;
    private Path secret;
    private Path otherSecret;
    private ReplProcess a;
    private ReplProcess b;

    @BeforeAll
    void start() throws IOException {
        cluster = cluster();
        Path dir = Projects.dir().resolve("target/test-logs/" + cluster.name() + "-secrets");
        Files.createDirectories(dir);
        secret = privateFile(dir.resolve("secret"), "correct horse battery staple\n");
        otherSecret = privateFile(dir.resolve("other"), "incorrect horse\n");
        a = cluster.start("a", List.of(), List.of("--secret-file", secret.toString()));
        b = cluster.start("b", List.of(), List.of("--secret-file", secret.toString()));
    }

    @AfterAll
    void stop() {
        clusters.forEach(TestCluster::close);
    }

    private TestCluster cluster() {
        TestCluster c = new TestCluster();
        clusters.add(c);
        return c;
    }

    private static Path privateFile(Path file, String text) throws IOException {
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    /** A REPL of {@code c} started with {@code options}, which must exit at once; its exit code and last line. */
    private static String refusedStart(TestCluster c, String name, List<String> options) throws InterruptedException {
        ReplProcess p = c.startNoWait(name, options);
        int code = p.waitFor();
        List<String> lines = p.allErr().lines().filter(l -> !l.isBlank()).toList();
        return code + " " + (lines.isEmpty() ? "" : lines.get(lines.size() - 1));
    }

    @Test
    @Order(1)
    void membersClientsAndJavaApplicationsThatHoldTheSecretShare() throws Exception {
        assertTrue(b.allOut().contains("of cluster " + cluster.name() + " (1 other member)"), b.transcript());
        // A log names the clients that connected, with their labels: its owner's alone.
        assertEquals("rw-------", PosixFilePermissions.toString(
            Files.getPosixFilePermissions(ReplProcess.logFile(cluster.name(), "a"))));
        a.value("(defn fee [x] (* 3 x))");
        assertEquals("30", b.value("(fee 10)"));
        ReplProcess c = cluster.start("c", List.of(), List.of("--client", "--secret-file", secret.toString()));
        assertEquals("30", c.value("(fee 10)"));
        c.value("(defn rebate [x] (- x 2))");
        assertEquals("8", a.value("(rebate 10)"));
        try (JavaHost host = JavaHost.start(cluster, "host", Map.of("ENTANGLE_SECRET_FILE", secret.toString()))) {
            host.value("join");
            assertEquals("21", host.value("call user/fee [7]"));
        }
        c.close();
    }

    @Test
    @Order(2)
    void aMemberWithAnotherSecretOrNoneIsRefusedAndTheClusterGoesOn() throws Exception {
        String prefix = "1 entangle: the cluster " + cluster.name() + " refused this member: ";
        assertEquals(prefix + "this member's secret (--secret-file " + otherSecret + ") is not the cluster's",
            refusedStart(cluster, "other", List.of("--secret-file", otherSecret.toString())));
        assertEquals(prefix + "the cluster has a secret, and this member was given none (--secret-file)",
            refusedStart(cluster, "none", List.of()));
        try (JavaHost host = JavaHost.start(cluster, "other-host", Map.of("ENTANGLE_SECRET_FILE", otherSecret.toString()))) {
            assertEquals("!! entangle.MemberStartException: the cluster " + cluster.name() + " refused this member: this"
                + " member's secret (ENTANGLE_SECRET_FILE " + otherSecret + ") is not the cluster's", host.ask("join"));
        }
        // The members go on, unaware but for their logs; none of the refused is among them.
        assertEquals("2", a.value("(count (entangle.core/members))"));
        assertEquals("30", b.value("(fee 10)"));
        assertTrue(Files.readString(ReplProcess.logFile(cluster.name(), "a")).contains("the member's secret is not the"
            + " cluster's") || Files.readString(ReplProcess.logFile(cluster.name(), "b")).contains("the member's secret"
            + " is not the cluster's"), "the master logs whom it refused");
        assertTrue(!a.allErr().contains("refused") && !b.allErr().contains("refused"), a.transcript() + b.transcript());
    }

    @Test
    @Order(3)
    void aClientWithAnotherSecretOrNoneIsRefused() throws Exception {
        String prefix = "1 entangle: the cluster " + cluster.name() + " refused this client: ";
        assertEquals(prefix + "this client's secret (--secret-file " + otherSecret + ") is not the cluster's, or the"
            + " cluster has none", refusedStart(cluster, "other-client", List.of("--client", "--secret-file",
                                                                                  otherSecret.toString())));
        assertEquals(prefix + "the cluster has a secret, and this client was given none (--secret-file)",
            refusedStart(cluster, "no-client", List.of("--client")));
    }

    @Test
    @Order(4)
    void aHazelcastClientThatKnowsOnlyTheClustersNameCannotConnect() {
        // Such a client could otherwise put records in the maps and tasks in the executors.
        ClientConfig config = new ClientConfig();
        config.setClusterName(cluster.name());
        config.getNetworkConfig().addAddress("127.0.0.1:" + cluster.port());
        config.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(3_000);
        config.setProperty("hazelcast.logging.type", "none");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> HazelcastClient.newHazelcastClient(config));
        assertTrue(e.getMessage().contains("Unable to connect"), e.toString());
        assertEquals("30", a.value("(fee 10)"));
    }

    @Test
    @Order(5)
    void aClusterWithoutASecretRefusesThoseThatBringOne() throws Exception {
        TestCluster open = cluster();
        ReplProcess x = open.start("x");
        assertEquals("1 entangle: the cluster " + open.name() + " refused this member: the cluster has no secret, and"
            + " this member was given one (--secret-file " + secret + ")",
            refusedStart(open, "y", List.of("--secret-file", secret.toString())));
        assertEquals("1 entangle: the cluster " + open.name() + " refused this client: this client's secret"
            + " (--secret-file " + secret + ") is not the cluster's, or the cluster has none",
            refusedStart(open, "z", List.of("--client", "--secret-file", secret.toString())));
        assertEquals("1", x.value("(count (entangle.core/members))"));
    }

    @Test
    @Order(6)
    void onPlainHazelcastServersClientsKeepToTheirSecretAndRefuseRecordsMadeWithoutIt() throws Exception {
        TestCluster plain = cluster();
        PlainHazelcast.start(plain, "server");
        ReplProcess p = plain.start("p", List.of(), List.of("--client", "--secret-file", secret.toString()));
        ReplProcess q = plain.start("q", List.of(), List.of("--client", "--secret-file", secret.toString()));
        p.value("(def balance 100)");
        p.value("(def forged 999)");
        assertEquals("[100 999]", q.value("[balance forged]"));
        String prefix = "1 entangle: the cluster " + plain.name() + " refused this client: ";
        assertEquals(prefix + "this client's secret (--secret-file " + otherSecret + ") is not the cluster's",
            refusedStart(plain, "other", List.of("--client", "--secret-file", otherSecret.toString())));
        assertEquals(prefix + "the cluster has a secret, and this client was given none (--secret-file)",
            refusedStart(plain, "none", List.of("--client")));

        // A Hazelcast client that knows the cluster's name and entangle's format, but not the
        // secret, writes #'user/balance with the value of #'user/forged.
        ClientConfig config = new ClientConfig();
        config.setClusterName(plain.name());
        config.getNetworkConfig().addAddress("127.0.0.1:" + plain.port());
        config.setProperty("hazelcast.logging.type", "none");
        HazelcastInstance outsider = HazelcastClient.newHazelcastClient(config);
        try {
            IMap<String, byte[]> vars = outsider.getMap(VarRecord.MAP);
            VarRecord balance;
            VarRecord forged;
            Envelope.sealWith(ClusterSecret.read(secret).recordKey());
            try {
                balance = VarRecord.decode("user/balance", vars.get("user/balance"));
                forged = VarRecord.decode("user/forged", vars.get("user/forged"));
            } finally {
                Envelope.sealWith(null);
            }
            VarRecord swapped = new VarRecord(balance.kind(), balance.ns(), balance.name(), balance.version() + 1,
                balance.origin(), balance.dynamic(), balance.meta(), forged.value(), forged.units(), forged.unitBytes(),
                forged.unshareableType(), forged.source());
            vars.put("user/balance", swapped.encode());
            String expected = "entangle: #'user/balance was refused: its record does not match its checksum (corrupted,"
                + " tampered, or written without this cluster's secret); nothing was defined from it.";
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!q.allErr().contains(expected) && System.nanoTime() < deadline) Thread.sleep(100);
            assertTrue(q.allErr().contains(expected), q.transcript());
            // (Refusals are printed as they come, from another thread: the value is read from stdout.)
            assertEquals("100", q.eval("balance").value());
            // The same record sealed with the secret is taken: it was the seal that refused it.
            Envelope.sealWith(ClusterSecret.read(secret).recordKey());
            try {
                vars.put("user/balance", swapped.encode());
            } finally {
                Envelope.sealWith(null);
            }
            deadline = System.nanoTime() + 30_000_000_000L;
            while (!q.eval("balance").value().equals("999") && System.nanoTime() < deadline) Thread.sleep(100);
            assertEquals("999", q.eval("balance").value());
        } finally {
            outsider.shutdown();
        }
    }

    @Test
    @Order(7)
    void clustersOfOneNameAndDifferentSecretsThatFormedApartDoNotMerge() throws Exception {
        TestCluster c = cluster();
        int apart = TestCluster.freePortBlock();
        // Q, without a secret, looks for P's ports too; P, with one, only for its own, and starts
        // once Q is up: two clusters of one name. Q looks for other clusters after 15 s (not
        // during P's start, which would make P try to join Q and be refused), then every 3 s.
        List<String> soon = List.of("-J-Dhazelcast.merge.first.run.delay.seconds=15",
                                    "-J-Dhazelcast.merge.next.run.delay.seconds=3");
        ReplProcess q = c.start("q", soon, List.of("--members", "127.0.0.1:" + c.port() + ",127.0.0.1:" + apart));
        ReplProcess p = c.start("p", soon, List.of("--port", String.valueOf(apart), "--members", "127.0.0.1:" + apart,
                                                   "--secret-file", secret.toString()));
        assertTrue(p.allOut().contains("(no other members)"), p.transcript());
        q.value("(def on-q 1)");
        p.value("(def on-p 2)");
        Path[] logs = {ReplProcess.logFile(c.name(), "q"), ReplProcess.logFile(c.name(), "p")};
        // Hazelcast logs its decision of which cluster merges into which.
        long deadline = System.nanoTime() + 90_000_000_000L;
        while (!logged(logs, "should merge to") && System.nanoTime() < deadline) Thread.sleep(500);
        assertTrue(logged(logs, "should merge to"), "the two clusters found each other");
        Thread.sleep(3_000);
        // Neither lost anything, nor hangs: each is still its own cluster, with its own definitions.
        assertEquals("[1 1 nil]", q.value("[(count (entangle.core/members)) on-q (resolve 'on-p)]"));
        assertEquals("[1 2 nil]", p.value("[(count (entangle.core/members)) on-p (resolve 'on-q)]"));
        assertTrue(logged(logs, "did not merge into the cluster at "), "the log of the one that was to merge says why");
        q.value("(def on-q 3)");
        assertEquals("3", q.value("on-q"));
        // Hazelcast froze the cluster that was to merge (no member may join a frozen cluster):
        // the merge not made, it is open again, and a member of its kind joins it.
        boolean qWasToMerge = Files.readString(logs[0]).contains("did not merge into the cluster at ");
        List<String> joinIt = qWasToMerge
            ? List.of("--port", String.valueOf(apart + 1), "--members", "127.0.0.1:" + c.port())
            : List.of("--port", String.valueOf(apart + 1), "--members", "127.0.0.1:" + apart,
                      "--secret-file", secret.toString());
        ReplProcess joiner = c.start("joiner", List.of("-J-Dhazelcast.max.join.seconds=30"), joinIt);
        assertEquals(qWasToMerge ? "[2 3]" : "[2 2]",
                     joiner.value("[(count (entangle.core/members)) " + (qWasToMerge ? "on-q" : "on-p") + "]"));
    }

    private static boolean logged(Path[] logs, String text) throws IOException {
        for (Path log : logs) {
            if (Files.exists(log) && Files.readString(log).contains(text)) return true;
        }
        return false;
    }
}
