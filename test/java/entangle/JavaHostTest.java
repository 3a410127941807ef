package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import entangle.testing.JavaHost;
import entangle.testing.ReplProcess;
import entangle.testing.TestCluster;

/**
 * A Java application that joins the cluster through the Java API (entangle.Entangle), beside
 * a clustered REPL: both real JVMs, real members.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class JavaHostTest {
    /** Files the tests write, removed once the class has run. */
    @org.junit.jupiter.api.io.TempDir
    static java.nio.file.Path tmp;

    private TestCluster cluster;
    private ReplProcess repl;
    private JavaHost host;

    @BeforeAll
    void start() {
        cluster = new TestCluster();
        repl = cluster.start("repl");
        // Defined before the host joins: join returns only once the host has it.
        repl.value("(ns shop.prices) (defn price [x] (* 2 x))");
        repl.value("(in-ns 'user)");
        host = JavaHost.start(cluster, "host", Map.of());
        host.value("join");
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    @Test
    @Order(1)
    void aHeldVarCallsTheNewestDefinitionMadeAtAnyRepl() {
        host.value("hold shop.prices/price");
        assertEquals("20", host.value("call shop.prices/price [10]"), "defined before the host joined");
        repl.value("(in-ns 'shop.prices) (defn price [x] (* 3 x))");
        repl.value("(in-ns 'user)");
        // The REPL's eval has returned: the next call the host makes runs the new definition.
        assertEquals("30", host.value("call shop.prices/price [10]"));
        repl.value("(in-ns 'shop.prices) (defn price ([x] (* 4 x)) ([x discount] (- (* 4 x) discount)))");
        repl.value("(in-ns 'user)");
        assertEquals("[40 35]", host.value("eval [(shop.prices/price 10) (shop.prices/price 10 5)]"));
        assertEquals("35", host.value("call shop.prices/price [10 5]"));
    }

    @Test
    @Order(2)
    void aVarNotDefinedYetSaysSoAndWorksOnceDefined() {
        host.value("hold shop.later/greet");
        assertEquals("!! entangle.UndefinedVarException: shared var shop.later/greet is not defined in the cluster",
                     host.ask("call shop.later/greet [\"ann\"]"));
        // Looking it up created nothing that the REPL would see.
        assertEquals("nil", repl.value("(find-ns 'shop.later)"));
        repl.value("(ns shop.later) (defn greet [n] (str \"hello \" n))");
        repl.value("(in-ns 'user)");
        assertEquals("\"hello ann\"", host.value("call shop.later/greet [\"ann\"]"));
    }

    /** A var that holds data, read as a Java application reads a var: its newest value. */
    @Test
    @Order(2)
    void aHeldVarOfDataReadsItsNewestValue() {
        host.value("hold shop.config/rates");
        assertEquals("!! entangle.UndefinedVarException: shared var shop.config/rates is not defined in the cluster",
                     host.ask("deref shop.config/rates"));
        repl.value("(ns shop.config) (def rates {:vat 20})");
        repl.value("(in-ns 'user)");
        assertEquals("{:vat 20}", host.value("deref shop.config/rates"));
        repl.value("(in-ns 'shop.config) (def rates {:vat 21})");
        repl.value("(in-ns 'user)");
        assertEquals("{:vat 21}", host.value("deref shop.config/rates"));
        // One whose value stayed on its member says so, as the REPL does, not a placeholder.
        repl.eval("(in-ns 'shop.config) (def listener (java.net.ServerSocket. 0))");
        repl.value("(in-ns 'user)");
        String refused = host.ask("deref shop.config/listener");
        assertTrue(refused.startsWith("!! clojure.lang.ExceptionInfo: #'shop.config/listener holds a"
            + " java.net.ServerSocket on member "), refused);
    }

    @Test
    @Order(3)
    void evalFromJavaIsSharedAsAReplEvalIs() {
        assertEquals("nil", host.value("eval (ns host.defs) (defn tripled [x] (* 3 x)) (def ^:dynamic *unit* :kg) nil"));
        assertEquals("[9 :kg]", repl.value("[(host.defs/tripled 3) host.defs/*unit*]"));
        assertEquals("\"(defn tripled [x] (* 3 x))\"", repl.value("(with-out-str (clojure.repl/source host.defs/tripled))")
            .replace("\\n", ""));
        assertEquals("3", host.value("eval (+ 1 2)"));
        String error = host.ask("eval (/ 1 0)");
        assertTrue(error.startsWith("!! java.lang.ArithmeticException: Divide by zero"), error);
        assertEquals("3", host.value("eval (+ 1 2)"), "the host keeps working after an error");
    }

    @Test
    @Order(4)
    void loadFileSharesTheFilesNamespace() throws Exception {
        Path file = Files.createTempFile(tmp, "entangle-host", ".clj");
        Files.writeString(file, "(ns host.loaded)\n\n(defn shout\n  \"Says it loudly.\"\n  [s]\n  (str s \"!\"))\n");
        host.value("load " + file);
        assertEquals("\"hey!\"", repl.value("(host.loaded/shout \"hey\")"));
        assertEquals("\"Says it loudly.\"", repl.value("(:doc (meta #'host.loaded/shout))"));
    }

    @Test
    @Order(5)
    void membersListsTheHostFirstAndTheRepl() {
        String replAddress = repl.value("(first (entangle.core/members))");
        String members = host.value("members");
        assertTrue(members.matches("\\[\"127\\.0\\.0\\.1:\\d+\" " + java.util.regex.Pattern.quote(replAddress) + "\\]"), members);
    }

    @Test
    @Order(6)
    void aClosureSentFromJavaRunsOnEveryMemberWithItsCapturedValues() {
        String replAddress = repl.value("(first (entangle.core/members))").replace("\"", "");
        String hostAddress = host.value("members").replaceAll("^\\[\"([^\"]+)\".*", "$1");
        repl.value("(def ^:entangle/local whoami :repl)");
        host.value("eval (def ^:entangle/local whoami :host)");
        String results = host.value("submit-to-members (let [n 6] (fn [] [(shop.prices/price n) whoami]))");
        assertEquals("{\"" + hostAddress + "\" [24 :host], \"" + replAddress + "\" [24 :repl]}",
                     sortedPrint(results, hostAddress, replAddress));
    }

    @Test
    @Order(7)
    void aJoiningReplHasItsToolsAndTheyStayItsOwn() throws Exception {
        // A REPL loads doc, source and pprint while it joins, as the cluster moves partitions
        // to it: referred in its user namespace, as at any REPL, and not shared. Had they been
        // taken for definitions, the joiner's next eval would have referred them in the host's
        // user namespace, which never loaded them.
        // The host's user namespace, without them, is shared first: the joiner applies it as it
        // joins, and keeps its tools beside it. (Before, the namespace took the record's refers
        // alone: doc, source and pprint were gone from a REPL that joined a host's cluster.)
        assertEquals("nil", host.value("eval (require '[clojure.set :as host-set])"));
        ReplProcess joiner = cluster.start("joiner");
        try {
            assertEquals("#{1 2}", joiner.value("(host-set/union #{1} #{2})"));
            String doc = joiner.value("(with-out-str (doc inc))");
            assertTrue(doc.contains("clojure.core/inc") && doc.contains("Returns a number one greater than num."), doc);
            assertEquals("\"{:a 1}\\n\"", joiner.value("(with-out-str (pprint {:a 1}))"));
            joiner.value("(def after-the-tools :shared)");
            assertEquals(":shared", host.value("eval user/after-the-tools"));
            assertEquals("nil", host.value("eval (ns-resolve 'user 'pprint)"));
            assertEquals("nil", host.value("eval (ns-resolve 'user 'doc)"));
            // Nor when the joiner changes its user namespace's tables: the change is shared, the
            // tools are not. (Before, the namespace's record held all it held: the host then
            // referred doc and pprint, loading their namespaces for them.)
            joiner.value("(require '[clojure.walk :as joiner-walk])");
            assertEquals("[{\"a\" 1} nil nil]", host.value("eval [(joiner-walk/stringify-keys {:a 1})"
                + " (ns-resolve 'user 'pprint) (ns-resolve 'user 'doc)]"));
            assertEquals("[#{1 2} true]", joiner.value("[(host-set/union #{1} #{2}) (some? (resolve 'doc))]"));
        } finally {
            joiner.endInput();
        }
    }

    @Test
    @Order(7)
    void interruptingAnEvalThatWaitsForAMemberEndsItsWaitAndTheDefinitionsStillReachIt() throws Exception {
        // The REPL's watch holds its apply of the host's definition (up to 30 s), and with it
        // the host's eval, as a def waits for its var's watches in one JVM.
        String replAddress = repl.value("(first (entangle.core/members))").replace("\"", "");
        repl.value("(def watched 0) (def ^:entangle/local opened (promise)) (def ^:entangle/local watch-ended (atom false))"
            + " (add-watch #'watched :slow (fn [& _] (deref opened 30000 nil) (reset! watch-ended true)))");
        int errBefore = host.process().allErr().length();
        String outcome = host.value("eval-interrupted 1500 (do (def watched 1) (defn after-watched [] :applied) :returned)");
        // The eval returned its value, the thread's interrupt kept for its caller, while the watch waited.
        assertTrue(outcome.matches("\\[:returned true \\d+\\]"), outcome);
        assertEquals("false", repl.value("@watch-ended"));
        String said = host.process().allErr().substring(errBefore);
        assertTrue(said.contains("entangle: interrupted while waiting for member " + replAddress
            + " to apply these definitions: they are in the cluster's maps, where it reads them"), said);
        repl.value("(deliver opened :go)");
        repl.awaitValue("[@watch-ended watched (some-> (resolve 'after-watched) deref (apply []))]", "[true 1 :applied]");
        assertEquals("true", host.value("eval (= 1 watched)"));
    }

    /**
     * A cluster atom's operation at an embedded member ends on an interrupt. A member's
     * synchronous map calls wait through one: here for a lock another member holds on the
     * atom's entry, by hand for a member stopped with Ctrl-Z that holds it (until the cluster
     * left it out); the host's eval waited as long, and nREPL stopped such a thread.
     */
    @Test
    @Order(7)
    void interruptingAClusterAtomsOperationEndsItsWait() throws Exception {
        repl.value("(def counted (atom 0))");
        String entry = "(.getMap (entangle.core/hazelcast) \"entangle.atoms\") (.id ^entangle.sharing.ClusterAtom counted)";
        assertEquals("0", host.value("eval @counted"));
        repl.value("(.lock " + entry + ")");
        try {
            String outcome = host.value("eval-interrupted 1500 (swap! counted inc)");
            // The eval threw the sentence, the thread's interrupt kept for its caller.
            assertTrue(outcome.matches("\\[\".*interrupted while changing #'user/counted \\(a cluster atom\\) in the cluster:"
                + " the change may still be made; deref it to see\" true \\d+\\]"), outcome);
        } finally {
            repl.value("(.unlock " + entry + ")");
        }
        // As the sentence says: the change was on its way to the entry's partition, where it waited for the lock.
        repl.awaitValue("@counted", "1");
        assertEquals("2", host.value("eval (swap! counted inc)"));
    }

    @Test
    @Order(8)
    void closeLeavesTheClusterAndTheHostsDefinitionsStay() throws Exception {
        assertEquals("\"closed\"", host.value("close"));
        // The others learn that a member left from the cluster's own membership protocol, just after.
        assertEquals("1", repl.value("(loop [i 0] (let [n (count (entangle.core/members))]"
            + " (if (or (= 1 n) (> i 300)) n (do (Thread/sleep 100) (recur (inc i))))))"));
        assertEquals("[12 \"x!\"]", repl.value("[(host.defs/tripled 4) (host.loaded/shout \"x\")]"));
        // Nothing the host evaluates now would be shared: refused, not kept on the host unsaid.
        for (String after : new String[] {"eval (defn after-close [] 1)", "members", "load /dev/null"}) {
            String refused = host.ask(after);
            assertTrue(refused.startsWith("!! java.lang.IllegalStateException: this entangle member (")
                && refused.endsWith(") has left the cluster (closed); join again with Entangle.join"), refused);
        }
        assertEquals("nil", repl.value("(resolve 'after-close)"));
        host.process().endInput();
    }

    @Test
    @Order(9)
    void aHostConfiguredByAHazelcastFileJoinsAndAfterAStopRefusesToEvaluate() throws Exception {
        StringBuilder members = new StringBuilder();
        for (int p = cluster.port(); p < cluster.port() + 10; p++) members.append("          - 127.0.0.1:").append(p).append('\n');
        Path yaml = Files.createTempFile(tmp, "hazelcast-member", ".yaml");
        Files.writeString(yaml, "hazelcast:\n  cluster-name: " + cluster.name() + "\n  network:\n    port:\n"
            + "      port: " + cluster.port() + "\n      port-count: 10\n    interfaces:\n      enabled: true\n"
            + "      interfaces:\n        - 127.0.0.1\n    join:\n      multicast:\n        enabled: false\n"
            + "      auto-detection:\n        enabled: false\n      tcp-ip:\n        enabled: true\n        member-list:\n"
            + members);
        try (JavaHost configured = JavaHost.start(cluster, "configured",
                Map.of("ENTANGLE_HAZELCAST_CONFIG", yaml.toString(), "ENTANGLE_CLUSTER", "ignored-when-a-file-is-given"))) {
            configured.value("join");
            assertEquals("40", configured.value("call shop.prices/price [10]"));
            assertEquals("2", repl.value("(count (entangle.core/members))"));
            // Left from Clojure's side (stop!), not by close: what it evaluates now is refused too.
            assertEquals("nil", configured.value("eval (entangle.core/stop!)"));
            String refused = configured.ask("eval (defn after-stop [] 1)");
            assertTrue(refused.startsWith("!! java.lang.IllegalStateException: this entangle member (")
                && refused.endsWith(") is no longer in the cluster: this JVM left the cluster (entangle.core/stop!);"
                                    + " join again with Entangle.join"), refused);
            assertEquals("nil", repl.value("(resolve 'user/after-stop)"));
        }
    }

    @Test
    @Order(10)
    void aStartThatFailsAlongsideTheJoinLeavesNoMemberRunning() throws Exception {
        // What runs alongside a start (a REPL's tools loading) may throw an Error, a class that
        // will not load: the start fails with one line, and no Hazelcast thread of the failed
        // member keeps its JVM up once main returns.
        String code = "(require 'entangle.options 'entangle.core) (let [{:keys [options]} (entangle.options/parse [] (System/getenv))]"
            + " (try (entangle.core/start! options #(throw (NoClassDefFoundError. \"tools/missing__init\")))"
            + " (catch Throwable t (println \"refused:\" (.getName (class t)) (.getMessage t))))"
            + " (shutdown-agents))";
        ReplProcess failing = cluster.adopt(ReplProcess.run("failing",
            ReplProcess.javaCommand("clojure.main", null, java.util.List.of("-e", code)),
            entangle.testing.Projects.dir(), cluster.environment("failing")));
        assertEquals(0, failing.waitFor(), failing.transcript());
        assertTrue(failing.allOut().contains("refused: entangle.MemberStartException what ran alongside the member's"
            + " start failed: java.lang.NoClassDefFoundError: tools/missing__init"), failing.transcript());
        assertEquals("1", repl.value("(loop [i 0] (let [n (count (entangle.core/members))]"
            + " (if (or (= 1 n) (> i 300)) n (do (Thread/sleep 100) (recur (inc i))))))"));
        assertEquals("40", repl.value("(shop.prices/price 10)"));
    }

    /**
     * A host that cannot join is told so in one line that names its options as it set them:
     * by their MemberOptions methods, or by their variables for Entangle.join(), never by a
     * command-line flag it has no way to give; and without the REPL's "entangle: ".
     */
    @Test
    @Order(11)
    void aHostThatCannotJoinIsToldWhatToChangeInItsOwnTerms() throws Exception {
        int base = TestCluster.freePortBlock();
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int port = base; port < base + 10; port++) held.add(new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1")));
            String busy = "cannot bind a member to 127.0.0.1 ports " + base + "-" + (base + 9) + ": all are in use or the"
                + " address is not this machine's (choose others with ";
            try (JavaHost h = JavaHost.start(cluster, "busy-options", Map.of())) {
                assertEquals("!! entangle.MemberStartException: " + busy + "MemberOptions.port or MemberOptions.bind)",
                             h.ask("join-at " + base));
            }
            try (JavaHost h = JavaHost.start(cluster, "busy-environment", Map.of("ENTANGLE_PORT", String.valueOf(base)))) {
                assertEquals("!! entangle.MemberStartException: " + busy + "ENTANGLE_PORT or ENTANGLE_BIND)", h.ask("join"));
            }
        } finally {
            for (ServerSocket s : held) s.close();
        }
        try (JavaHost h = JavaHost.start(cluster, "bad-environment", Map.of("ENTANGLE_PORT", "abc"))) {
            assertEquals("!! java.lang.IllegalArgumentException: ENTANGLE_PORT: 'abc' is not a port (1-65535)", h.ask("join"));
        }
    }

    @Test
    @Order(12)
    void aHostStartedAsTheReadmeSaysIsQuietOnEveryJdkOfTheMachine() throws Exception {
        // JDK 21+ warns as the compiler hook's agent attaches, JDK 24+ as Hazelcast first calls
        // sun.misc.Unsafe: the README's java command, and its option for 24+, keep both off the
        // application's standard error.
        List<String> readme = readmeHostOptions();
        List<Path> jdks = entangle.testing.Jdks.installed();
        org.junit.jupiter.api.Assumptions.assumeFalse(jdks.isEmpty(), "no JDK under /usr/lib/jvm");
        for (Path java : jdks) {
            List<String> options = new ArrayList<>(readme);
            if (entangle.testing.Jdks.featureVersion(java) >= 24) options.add("--sun-misc-unsafe-memory-access=allow");
            String name = "jdk" + entangle.testing.Jdks.featureVersion(java);
            try (JavaHost h = JavaHost.start(cluster, name, Map.of(), java, options)) {
                h.value("join");
                h.value("eval (defn " + name + "-says [] :shh)");
                assertEquals(":shh", repl.value("(user/" + name + "-says)"));
                assertEquals("\"" + java.getParent().getParent() + "\"", h.value("eval (System/getProperty \"java.home\")"));
                h.value("close");
                h.process().endInput();
                assertEquals("", h.process().allErr().strip(), java + " wrote on the application's standard error");
            }
        }
    }

    /** The JVM options of the README's java command for a Java application, between java and -cp. */
    private static List<String> readmeHostOptions() throws java.io.IOException {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^    java (.*) -cp \"\\$CP:app\\.jar\" com\\.example\\.Main$")
            .matcher(Files.readString(entangle.testing.Projects.dir().resolve("README.md")));
        assertTrue(m.find(), "the README's java command for a Java application");
        return List.of(m.group(1).split(" "));
    }

    /** A printed two-entry map in a fixed order, the host's entry first. */
    private static String sortedPrint(String map, String first, String second) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"([^\"]+)\" (\\[[^\\]]*\\])").matcher(map);
        Map<String, String> entries = new java.util.HashMap<>();
        while (m.find()) entries.put(m.group(1), m.group(2));
        return "{\"" + first + "\" " + entries.get(first) + ", \"" + second + "\" " + entries.get(second) + "}";
    }
}
