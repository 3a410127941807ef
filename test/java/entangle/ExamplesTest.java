package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import entangle.testing.Projects;
import entangle.testing.ReplProcess;
import entangle.testing.TestCluster;

/**
 * The examples in examples/, run as their READMEs say: the Java programs as the java launcher
 * runs their source files, beside clustered REPLs; a project of the user's own, with its alias.
 */
class ExamplesTest {
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void theHttpServiceAnswersWithEachNewDefinitionOfItsHandlerWithoutARestart() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            ReplProcess repl = cluster.start("repl");
            int port = TestCluster.freePortBlock();
            ReplProcess service = cluster.adopt(ReplProcess.service("service",
                ReplProcess.javaCommand("examples/http-service/HttpService.java", null, List.of(String.valueOf(port))),
                Projects.dir(), cluster.environment("service")));
            service.awaitOut("serving http://127\\.0\\.0\\.1:" + port + "/ with service\\.http/handler; member \\S+ of 2 members");
            long pid = service.pid();

            HttpResponse<String> before = get(port, "/hello");
            assertEquals(503, before.statusCode());
            assertEquals("shared var service.http/handler is not defined in the cluster", before.body().strip());

            repl.value("(ns service.http) (defn handler [req] (str \"v1 \" (:path req)))");
            HttpResponse<String> v1 = get(port, "/hello");
            assertEquals(200, v1.statusCode());
            assertEquals("v1 /hello", v1.body());

            repl.value("(defn handler [req] {:status 201 :headers {\"X-Version\" \"2\"} :body (str \"v2 \" (:method req) \" \" (:query req))})");
            HttpResponse<String> v2 = get(port, "/orders?id=7");
            assertEquals(201, v2.statusCode());
            assertEquals("2", v2.headers().firstValue("X-Version").orElse(null));
            assertEquals("v2 get id=7", v2.body());

            repl.value("(defn handler [req] (throw (ex-info \"out of stock\" {})))");
            HttpResponse<String> broken = get(port, "/");
            assertEquals(500, broken.statusCode());
            assertTrue(broken.body().contains("out of stock"), broken.body());

            repl.value("(defn handler [req] \"fixed\")");
            assertEquals("fixed", get(port, "/").body());
            assertTrue(service.alive());
            assertEquals(pid, service.pid(), "the same service process answered every version");
        }
    }

    @Test
    void workersStartedBeforeTheWorkExistedRunTheClosuresTheMasterQueues() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            ReplProcess w1 = startWorker(cluster, "worker-1");
            ReplProcess w2 = startWorker(cluster, "worker-2");
            Set<String> workers = new TreeSet<>(List.of(workerAddress(w1), workerAddress(w2)));

            ReplProcess master = cluster.start("master");
            master.value("(load-file \"examples/master-worker/master.clj\")");
            master.value("(in-ns 'example.master)");
            // The work's code: written now, after both workers started.
            master.value("(defn slow-square [x] (Thread/sleep 50) (* x x))");
            master.value("(dotimes [i 20] (submit! i (let [offset 1000] (fn [] (+ offset (slow-square i))))))");
            master.value("(submit! :broken (fn [] (/ 1 0)))");
            master.value("(def ^:entangle/local done (results 21))");

            assertEquals("[20 20]", master.value("[(count (filter number? (keys done))) (count (filter :value (vals done)))]"));
            assertEquals("true", master.value("(every? (fn [i] (= (+ 1000 (* i i)) (:value (done i)))) (range 20))"));
            assertEquals("\"java.lang.ArithmeticException: Divide by zero\"", master.value("(:error (done :broken))"));
            String ran = master.value("(pr-str (into (sorted-set) (map :worker (vals done))))");
            Matcher m = Pattern.compile("127\\.0\\.0\\.1:\\d+").matcher(ran);
            Set<String> ranOn = new TreeSet<>();
            while (m.find()) ranOn.add(m.group());
            assertTrue(!ranOn.isEmpty() && workers.containsAll(ranOn), "jobs ran on " + ranOn + ", workers " + workers);
        }
    }

    @Test
    void aProjectOfYourOwnRunsClusteredReplsWithItsCodeThatEveryMemberReloads(@TempDir Path tmp) throws Exception {
        // A copy, as a user's project is: its :local/root names where entangle is checked out.
        Path project = tmp.resolve("own-project");
        Path example = Projects.dir().resolve("examples/own-project");
        for (Path from : List.of(Path.of("deps.edn"), Path.of("src/shop/prices.clj"))) {
            Files.createDirectories(project.resolve(from).getParent());
            Files.copy(example.resolve(from), project.resolve(from));
        }
        String deps = Files.readString(project.resolve("deps.edn"));
        assertTrue(deps.contains("{:local/root \"../..\"}"), deps);
        Files.writeString(project.resolve("deps.edn"),
                          deps.replace("{:local/root \"../..\"}", "{:local/root \"" + Projects.dir() + "\"}"));
        try (TestCluster cluster = new TestCluster()) {
            ReplProcess a = startInProject(cluster, project, "a");
            assertEquals("nil", a.value("(require '[shop.prices :as prices])"));
            a.value("(defn basket-total [items] (reduce + (map prices/with-vat items)))");
            ReplProcess b = startInProject(cluster, project, "b");
            assertEquals("180", b.value("(basket-total [100 50])"));
            b.eval("(in-ns 'shop.prices)");
            b.value("(def vat-percent 10)");
            assertEquals("165", a.value("(basket-total [100 50])"));

            Path prices = project.resolve("src/shop/prices.clj");
            String source = Files.readString(prices);
            assertTrue(source.contains("(def vat-percent 20)"), source);
            Files.writeString(prices, source.replace("(def vat-percent 20)", "(def vat-percent 25)"));
            assertEquals("nil", a.value("(require 'shop.prices :reload)"));
            assertEquals("187", a.value("(basket-total [100 50])"));
            assertEquals("187", b.value("(user/basket-total [100 50])"));

            // An editor's member: it serves nREPL and writes the port file where editors look.
            ReplProcess editor = cluster.adopt(ReplProcess.service("editor",
                withArgs(List.of("clojure", "-M:entangle-nrepl"), cluster, "editor"), project, Map.of()));
            String port = editor.awaitOut("nREPL server started on port (\\d+)").group(1);
            assertEquals(port, Files.readString(project.resolve(".nrepl-port")).strip());
            // What the editor sends, sent by nREPL's own client from A's REPL.
            a.value("(require 'nrepl.core)");
            assertEquals("[\"#'shop.prices/with-vat\"]", a.value(sentByEditor(port, "shop.prices", "(defn with-vat [net] (* 2 net))")));
            assertEquals("300", b.value("(user/basket-total [100 50])"));

            // A terminal REPL that serves nREPL beside it writes its port there too (over the
            // editor's member's), and removes it as it exits.
            ReplProcess terminal = startInProject(cluster, project, "terminal", List.of("--nrepl-port", "0"));
            String terminalPort = terminal.awaitOut("nREPL server started on port (\\d+)").group(1);
            assertEquals(terminalPort, Files.readString(project.resolve(".nrepl-port")).strip());
            assertEquals("[\"#'user/from-the-terminals-port\"]",
                         a.value(sentByEditor(terminalPort, "user", "(defn from-the-terminals-port [] :t)")));
            assertEquals(":t", b.value("(user/from-the-terminals-port)"));
            assertEquals(0, terminal.endInput());
            assertTrue(Files.notExists(project.resolve(".nrepl-port")), "the terminal REPL left .nrepl-port");
        }
    }

    /** A form that sends {@code code} to the nREPL server on {@code port}, as an editor does, and gives its values. */
    private static String sentByEditor(String port, String ns, String code) {
        return "(with-open [c (nrepl.core/connect :port " + port + ")]"
            + " (-> (nrepl.core/client c 30000)"
            + " (nrepl.core/message {:op \"eval\" :ns \"" + ns + "\" :code " + pr(code) + "})"
            + " nrepl.core/combine-responses :value))";
    }

    private static String pr(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    private static List<String> withArgs(List<String> command, TestCluster cluster, String name) {
        List<String> all = new ArrayList<>(command);
        all.addAll(cluster.args(name));
        return all;
    }

    /** {@code clojure -M:entangle} in the project's directory, in the cluster; once its prompt is up. */
    private static ReplProcess startInProject(TestCluster cluster, Path project, String name) {
        return startInProject(cluster, project, name, List.of());
    }

    private static ReplProcess startInProject(TestCluster cluster, Path project, String name, List<String> options) {
        List<String> command = new ArrayList<>(List.of("clojure", "-M:entangle"));
        command.addAll(options);
        ReplProcess p = cluster.adopt(ReplProcess.run(name, withArgs(command, cluster, name), project, Map.of()));
        p.eval("nil");
        return p;
    }

    private static ReplProcess startWorker(TestCluster cluster, String name) throws InterruptedException {
        ReplProcess w = cluster.adopt(ReplProcess.service(name,
            ReplProcess.javaCommand("examples/master-worker/Worker.java", null, List.of()),
            Projects.dir(), cluster.environment(name)));
        w.awaitOut("worker \\S+ is waiting for work");
        return w;
    }

    private static String workerAddress(ReplProcess worker) throws InterruptedException {
        return worker.awaitOut("worker (\\S+) is waiting for work").group(1);
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                         HttpResponse.BodyHandlers.ofString());
    }
}
