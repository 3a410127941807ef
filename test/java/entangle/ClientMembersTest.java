package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import entangle.testing.BesideTheOthers;
import entangle.testing.JavaHost;
import entangle.testing.PlainHazelcast;
import entangle.testing.ReplProcess;
import entangle.testing.TestCluster;

/**
 * An existing Hazelcast cluster, of plain Hazelcast servers that know nothing of entangle or
 * Clojure: REPLs (--client) and a Java application (Entangle.connect) join it as clients and
 * share as embedded members do.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@BesideTheOthers
class ClientMembersTest {
    /** Files the tests write, removed once the class has run. */
    @org.junit.jupiter.api.io.TempDir
    static java.nio.file.Path tmp;

    private TestCluster cluster;
    private ReplProcess a;
    private ReplProcess b;
    private JavaHost host;
    private ReplProcess server;
    /** A client that found the cluster through a configuration file, reconnecting as Hazelcast's default says. */
    private ReplProcess c;

    @BeforeAll
    void start() throws Exception {
        cluster = new TestCluster();
        server = PlainHazelcast.start(cluster, "server");
        a = cluster.start("a", List.of(), List.of("--client", "--nrepl-port", "0"));
        b = cluster.start("b", List.of(), List.of("--client"));
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    @Test
    @Order(1)
    void aReplConnectedAsAClientSaysSo() {
        assertTrue(a.allOut().matches("(?s).*entangle client member 127\\.0\\.0\\.1:\\d+ of cluster " + cluster.name()
            + " \\(no other members\\).*"), a.transcript());
        assertTrue(b.allOut().contains("of cluster " + cluster.name() + " (1 other member)"), b.transcript());
    }

    @Test
    @Order(2)
    void clientsShareDefinitionsAsMembersDo() {
        a.value("(ns orders.core) (defn total [items] (reduce + (map :price items)))");
        a.value("(defmacro unless [c & body] `(if ~c nil (do ~@body)))");
        a.value("(in-ns 'user)");
        // A's eval has returned: B's next eval sees it.
        assertEquals("7", b.value("(orders.core/total [{:price 3} {:price 4}])"));
        assertEquals(":ran", b.value("(orders.core/unless false :ran)"));
        b.value("(let [rate 2] (defn doubled [x] (* rate x)))");
        assertEquals("10", a.value("(doubled 5)"));
        a.value("(defn doubled [x] (* 3 x))");
        assertEquals("15", b.value("(doubled 5)"));
        a.value("(def counter (atom 0))");
        a.value("(dotimes [_ 50] (swap! counter inc))");
        b.value("(dotimes [_ 50] (swap! counter inc))");
        assertEquals("100", a.value("@counter"));
        // Specs travel in a table, which clients merge as members do.
        a.value("(require '[clojure.spec.alpha :as s]) (s/def ::qty pos-int?)");
        b.value("(require '[clojure.spec.alpha :as s]) (s/def ::sku string?)");
        assertEquals("[true false true]", a.value("[(s/valid? ::qty 1) (s/valid? ::qty 0) (s/valid? ::sku \"s\")]"));
    }

    @Test
    @Order(3)
    void aJavaApplicationConnectsAsAClientAndFollowsRedefinitions() {
        host = JavaHost.start(cluster, "host", Map.of("ENTANGLE_CLIENT", "true"));
        host.value("join");
        host.value("hold orders.core/total");
        assertEquals("7", host.value("call orders.core/total [[{:price 3} {:price 4}]]"));
        a.value("(in-ns 'orders.core) (defn total [items] (* 100 (reduce + (map :price items))))");
        a.value("(in-ns 'user)");
        assertEquals("700", host.value("call orders.core/total [[{:price 3} {:price 4}]]"));
        host.value("eval (ns from.java) (defn hello [] :from-java)");
        assertEquals(":from-java", b.value("(from.java/hello)"));
        String members = host.value("members");
        assertEquals(3, members.split(" ").length, members);
    }

    @Test
    @Order(4)
    void aClientThatJoinsLaterHasEverythingBeforeItsPrompt() throws Exception {
        // This one finds the cluster through a Hazelcast client configuration file.
        c = cluster.startNoWait("c", List.of("--client", "--hazelcast-config", clientFile("").toString()));
        c.send("(def first-look [(orders.core/total [{:price 1}]) (doubled 2) @counter (from.java/hello)])\n");
        assertEquals("[100 6 100 :from-java]", c.value("first-look"));
    }

    /** Until {@code client}'s evaluations say that it lost its connection ({@code lost}). */
    private static void awaitLost(ReplProcess client, String lost) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        ReplProcess.Result probe;
        do {
            probe = client.eval("(entangle.core/members)");
        } while (!probe.err().contains(lost) && System.nanoTime() < deadline);
        assertTrue(probe.err().contains(lost), client.transcript());
    }

    /** Until {@code p} has printed {@code text} on its standard error, by itself. */
    private static void awaitPrinted(ReplProcess p, String text, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!p.allErr().contains(text) && System.nanoTime() < deadline) Thread.sleep(100);
        assertTrue(p.allErr().contains(text), p.transcript());
    }

    /** A Hazelcast client configuration file that finds the test cluster, with {@code more} (YAML under hazelcast-client:). */
    private java.nio.file.Path clientFile(String more) throws java.io.IOException {
        java.nio.file.Path yaml = java.nio.file.Files.createTempFile(tmp, "hazelcast-client", ".yaml");
        java.nio.file.Files.writeString(yaml, "hazelcast-client:\n  cluster-name: " + cluster.name() + "\n  network:\n"
            + "    cluster-members:\n      - 127.0.0.1:" + cluster.port() + "\n" + more);
        return yaml;
    }

    @Test
    @Order(5)
    void noMemberRunsFnsSentToIt() {
        a.value("(require '[entangle.remote :as remote])");
        a.discardPrinted();
        ReplProcess.Result r = a.eval("(remote/submit (fn [] 1))");
        assertTrue(r.err().contains("no member of the cluster runs entangle as an embedded member, so none can run code"
            + " sent to it (members connected as clients cannot)"), r.err());
    }

    /**
     * A client that connects while an evaluation elsewhere is writing, and reads the maps before
     * the write lands, has the definition when that evaluation returns (its entry event alone
     * would bring it after the backstop's grace period, made a minute here).
     */
    @Test
    @Order(6)
    void aClientThatConnectedWhileAnEvaluationWasWritingHasItWhenTheEvaluationReturns() throws Exception {
        String entry = a.defineWhileTheWriteWaits(b, "late", ":from-a");
        JavaHost late = JavaHost.start(cluster, "late",
                                       Map.of("ENTANGLE_CLIENT", "true", "JAVA_TOOL_OPTIONS", "-Dentangle.backstop.delay.ms=60000"));
        late.value("join");
        assertEquals("false", late.value("eval (some? (resolve 'user/late))"), "it read the maps before A's write landed");
        b.value("(.unlock " + entry + ")");
        assertEquals("#'user/late", a.value("(resolve 'late)"));
        assertEquals(":from-a", late.value("call user/late []"));
    }

    @Test
    @Order(7)
    void aKilledClientHoldsNobodyUp() throws Exception {
        String bAddress = b.value("(symbol (.address (entangle.core/member)))");
        b.kill9();
        // A, a client too, cannot see B's connection close: it waits until B's listing lapses,
        // and names B once B has missed two renewals of it.
        ReplProcess.Result r = a.eval("(defn after-b [] :still-sharing)");
        assertEquals("#'user/after-b", r.value());
        assertTrue(r.err().matches("entangle: waiting for member " + java.util.regex.Pattern.quote(bAddress) + " \\(a client\\),"
                                   + " silent for \\d+ s \\(stopped with Ctrl-Z, paused, or cut off\\): the cluster leaves it"
                                   + " out after 6 s of silence, and it takes these definitions once back"), r.err());
        assertEquals(":still-sharing", host.value("call user/after-b"));
        assertNotEquals("", a.value("(count (entangle.core/members))"));
    }

    @Test
    @Order(8)
    void anEmbeddedMemberCannotJoinAClusterOfPlainServersAndSaysToConnectAsAClient() throws Exception {
        List<String> args = new ArrayList<>(cluster.args("embedded"));
        ReplProcess embedded = cluster.adopt(ReplProcess.start("embedded", args, Map.of()));
        assertEquals(1, embedded.waitFor());
        assertTrue(embedded.allErr().contains("connect as a client with --client"), embedded.transcript());
        assertEquals(1, embedded.allErr().strip().split("\n").length, embedded.transcript());
    }

    @Test
    @Order(9)
    void aClientThatFindsNoClusterSaysWhereItLooked() throws Exception {
        int nowhere = TestCluster.freePortBlock();
        ReplProcess lost = cluster.adopt(ReplProcess.start("lost",
            List.of("-J-Dentangle.client.connect.timeout.ms=2000"),
            List.of("--client", "--cluster", cluster.name(), "--members", "127.0.0.1:" + nowhere + "-" + (nowhere + 2)),
            Map.of()));
        assertEquals(1, lost.waitFor());
        assertTrue(lost.allErr().startsWith("entangle: no Hazelcast cluster answered the client (cluster " + cluster.name()
            + ", members 127.0.0.1:" + nowhere + "-" + (nowhere + 2) + ")"), lost.transcript());
    }

    /**
     * The cluster's only server dies and another starts in its place, empty: a client goes on
     * with what it has, each evaluation meanwhile saying that it cannot share, and reconnects
     * by itself; what it defined while away is shared then, and it says that the cluster lost
     * what was defined before. A client configured by a file does the same, whatever its
     * reconnect mode (Hazelcast's ON would hold each evaluation two minutes), or, if its file
     * says not to reconnect, goes on alone.
     */
    @Test
    @Order(10)
    void aClientWhoseClusterWentAwayGoesOnAndReconnectsWhenAServerIsBack() throws Exception {
        ReplProcess d = cluster.start("d", List.of(), List.of("--client", "--hazelcast-config",
            clientFile("  connection-strategy:\n    reconnect-mode: OFF\n").toString()));
        a.value("(defn before-restart [] :before) (def hits (atom 0))");
        assertEquals(":before", host.value("call user/before-restart"));
        assertEquals("1", d.value("(swap! hits inc)"));
        server.kill9();
        String lost = "this client has lost its connection to the cluster " + cluster.name() + " and is trying to reconnect";
        awaitLost(a, lost);

        ReplProcess.Result away = a.eval("(defn while-away [] :away)");
        assertEquals("#'user/while-away", away.value());
        assertTrue(away.err().contains("these definitions are in place on this member but could not be shared with the"
            + " cluster (" + lost + "); this client shares them once it reconnects: #'user/while-away"), away.err());
        // Each evaluation names what it defined, not again what the ones before it did.
        ReplProcess.Result awayAgain = a.eval("(while-away)");
        assertEquals(":away", awayAgain.value());
        assertFalse(awayAgain.err().contains("could not be shared"), awayAgain.err());
        // An atom, which becomes a cluster atom once shared, is a local one meanwhile.
        ReplProcess.Result atomAway = a.eval("(def away-count (atom 0))");
        assertTrue(atomAway.err().contains("this client shares them once it reconnects: #'user/away-count"), atomAway.err());
        ReplProcess.Result counted = a.eval("(swap! away-count inc)");
        assertEquals("1", counted.value(), counted.err());
        assertEquals("", counted.err());
        // A value that cannot travel is said so once, as what could not be shared is.
        ReplProcess.Result socketAway = a.eval("(def away-socket (java.net.ServerSocket. 0))");
        assertTrue(socketAway.err().contains("entangle: #'user/away-socket holds a java.net.ServerSocket"), socketAway.err());
        ReplProcess.Result unmapped = a.eval("(ns-unmap 'user 'before-restart)");
        assertTrue(unmapped.err().contains("this client shares them once it reconnects: the removal of #'user/before-restart"),
                   unmapped.err());
        ReplProcess.Result bound = a.eval("(.isBound away-socket)");
        assertEquals("true", bound.value(), bound.err());
        assertEquals("", bound.err());
        // What the code names and this client lacks may have been defined elsewhere since.
        ReplProcess.Result unknown = a.eval("(defined-elsewhere-meanwhile)");
        assertTrue(unknown.err().contains("entangle: " + lost + ": what other members defined since is not here yet"),
                   unknown.err());
        assertTrue(unknown.err().contains("Unable to resolve symbol: defined-elsewhere-meanwhile"), unknown.err());
        // A named class and a load from the classpath made while away, each found once.
        ReplProcess.Result record = a.eval("(defrecord Away [x])");
        assertEquals("user.Away", record.value());
        assertTrue(record.err().contains("this client shares them once it reconnects: #'user/->Away, #'user/map->Away")
                   && !record.err().contains("while-away"), record.err());
        ReplProcess.Result load = a.eval("(require 'clojure.data)");
        assertEquals("nil", load.value());
        assertTrue(load.err().contains("this client shares them once it reconnects: the load of namespace clojure.data")
                   && !load.err().contains("Away"), load.err());
        ReplProcess.Result atom = a.eval("@hits");
        assertTrue(atom.err().contains("#'user/hits holds a cluster atom, whose value is the cluster's, and " + lost),
                   atom.err());

        // C's file leaves the reconnect mode to Hazelcast's default, ON.
        awaitLost(c, lost);
        ReplProcess.Result cAway = c.eval("(defn c-while-away [] :c-away)");
        assertEquals("#'user/c-while-away", cAway.value());
        assertTrue(cAway.err().contains("could not be shared with the cluster (" + lost + ")"), cAway.err());
        assertTrue(c.eval("@hits").err().contains("#'user/hits holds a cluster atom, whose value is the cluster's, and " + lost),
                   c.transcript());

        // D's says not to reconnect: Hazelcast stops it, and it goes on alone.
        String offWay = "this client lost its connection to the cluster " + cluster.name() + " and does not reconnect"
            + " (its configuration's reconnect-mode is OFF)";
        awaitPrinted(d, offWay, 30);
        assertTrue(d.allErr().contains("entangle: " + offWay + ": this JVM goes on alone, as after (entangle.core/stop!);"
            + " what it defines from now on stays here, and (entangle.core/start!) joins again"), d.transcript());
        d.discardPrinted();
        ReplProcess.Result alone = d.eval("(defn d-alone [] :d) [(d-alone) (entangle.core/member)]");
        assertEquals("[:d nil]", alone.value());
        assertEquals("", alone.err().strip());
        assertTrue(d.eval("@hits").err().contains("#'user/hits holds a cluster atom, whose value is the cluster's, and "
            + offWay + ": join again (entangle.core/start!) to reach it"), d.transcript());

        server = PlainHazelcast.start(cluster, "server-again");
        String restarted = "entangle: this client reconnected to the cluster " + cluster.name() + ", which no longer holds"
            + " what was defined before";
        awaitPrinted(a, restarted, 60);
        // What A defined while away is shared once it reconnects, with no evaluation to carry it.
        awaitPrinted(a, "entangle: this client reconnected to the cluster " + cluster.name() + " and shared what was"
            + " defined here while it could not: #'user/->Away, #'user/away-count, #'user/away-socket,"
            + " the removal of #'user/before-restart, #'user/map->Away, #'user/while-away", 30);
        // The Java client reconnects on its own schedule: once it has, it reads the cluster.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!host.ask("call user/while-away").equals("=> :away") && System.nanoTime() < deadline) Thread.sleep(100);
        assertEquals(":away", host.value("call user/while-away"));
        a.discardPrinted();
        ReplProcess.Result back = a.eval("(defn after-restart [] :after)");
        assertEquals("", back.err().strip());
        ReplProcess.Result unknownOnceBack = a.eval("(defined-nowhere)");
        assertTrue(unknownOnceBack.err().contains("Unable to resolve symbol: defined-nowhere"), unknownOnceBack.err());
        assertFalse(unknownOnceBack.err().contains("entangle:"), unknownOnceBack.err());
        assertEquals(":after", host.value("call user/after-restart"));
        awaitPrinted(c, restarted, 60);
        awaitPrinted(c, "and shared what was defined here while it could not: #'user/c-while-away", 30);
        c.discardPrinted();
        ReplProcess.Result cBack = c.eval("(defn c-after-restart [] :c-after)");
        assertEquals("", cBack.err().strip(), c.transcript());
        ReplProcess joiner = cluster.start("joiner", List.of(), List.of("--client"));
        assertEquals("[:away :after nil]", joiner.value("[(user/while-away) (user/after-restart) (resolve 'user/before-restart)]"));
        assertEquals("[:c-away :c-after nil]",
                     joiner.value("[(user/c-while-away) (user/c-after-restart) (resolve 'user/d-alone)]"));
        assertEquals("true", joiner.value("(some? (find-ns 'clojure.data))"));
        assertEquals("#user.Away{:x 1}", joiner.value("(user.Away. 1)"));
        assertEquals("[1 true]", joiner.value("[@user/away-count (instance? entangle.sharing.ClusterAtom user/away-count)]"));
        // Shared by a later evaluation, a var defined while away keeps its own form as its source.
        assertEquals("\"(defn while-away [] :away)\\n\"", joiner.value("(with-out-str (clojure.repl/source user/while-away))"));
        // A's nREPL server is listed again (entangle/members): the restarted server had lost it.
        joiner.awaitValue("(some #(some-> (get % \"nrepl\") (.startsWith \"nrepl://127.0.0.1:\")) (.memberInfo (entangle.core/member)))",
                          "true");
        ReplProcess.Result gone = a.eval("(swap! hits inc)");
        assertTrue(gone.err().contains("#'user/hits holds a cluster atom that the cluster no longer has: the members that"
            + " held it stopped, or have lost sight of this one (a split, which ends by itself once the two sides find"
            + " each other, and brings the atom back); if they are gone for good, define #'user/hits again to make a new"
            + " one"), gone.err());
        a.value("(def hits (atom 5))");
        assertEquals("6", joiner.value("(swap! hits inc)"));
    }
}
