package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import entangle.testing.Jdks;
import entangle.testing.ReplProcess;
import entangle.testing.TestCluster;

/** `clojure -M:repl` as a user types it: options, environment, bad input, leaving. */
class CommandLineTest {
    /** Files the tests write, removed once the class has run. */
    @org.junit.jupiter.api.io.TempDir
    static java.nio.file.Path tmp;

    private static ReplProcess run(List<String> args, Map<String, String> env) {
        return ReplProcess.start("cli", args, env);
    }

    /** Every line on stderr, without the Clojure CLI's own notes about resolving dependencies. */
    private static List<String> errLines(ReplProcess p) {
        List<String> out = new ArrayList<>();
        for (String l : p.allErr().split("\n")) {
            if (!l.isBlank() && !l.startsWith("Warning: failed to load the S3TransporterFactory")
                && !l.matches("<<<.*>>>")) out.add(l);
        }
        return out;
    }

    /** The member count, read once it is {@code n} or ten seconds have passed (views update asynchronously). */
    private static String membersOnceSettledAt(int n) {
        return "(loop [i 0] (let [n (count (entangle.core/members))]"
            + " (if (or (= n " + n + ") (> i 1000)) n (do (Thread/sleep 10) (recur (inc i))))))";
    }

    @Test
    void helpListsTheOptionsAndExitsZero() throws Exception {
        ReplProcess p = run(List.of("--help"), Map.of());
        assertEquals(0, p.waitFor());
        String out = p.allOut();
        for (String option : List.of("--cluster NAME", "--port N", "--members LIST", "--bind HOST",
                                     "--nrepl-port N", "--log-file PATH", "--client", "--hazelcast-config FILE",
                                     "--help", "ENTANGLE_CLUSTER", "ENTANGLE_CLIENT")) {
            assertTrue(out.contains(option), option + " missing from:\n" + out);
        }
        // The variables in the options' order, each beside its option.
        String variables = out.substring(out.indexOf("Each option can also")).replace('\n', ' ');
        assertTrue(variables.matches("Each option can also be set by an environment variable: ENTANGLE_CLUSTER"
            + " \\(--cluster\\), ENTANGLE_PORT \\(--port\\), ENTANGLE_MEMBERS \\(--members\\), ENTANGLE_BIND \\(--bind\\),"
            + " ENTANGLE_NREPL_PORT .* ENTANGLE_SECRET_FILE \\(--secret-file\\)\\.\\s*"), variables);
        // Readable in a terminal: no line runs past the help's 94 columns, and a description
        // that wraps goes on under itself, not under the switches.
        for (String line : out.split("\n")) assertTrue(line.length() <= 94, "longer than 94 columns: " + line);
        List<String> lines = List.of(out.split("\n"));
        int members = lines.indexOf(lines.stream().filter(l -> l.contains("--members LIST")).findFirst().orElseThrow());
        assertEquals(lines.get(members).indexOf("Where to find"), lines.get(members + 1).indexOf("comma-separated"), out);
    }

    @Test
    void aBadOptionGetsOneClearLineAndANonZeroExit() throws Exception {
        String[][] cases = {
            {"--frobnicate", "entangle: Unknown option: \"--frobnicate\" (see --help)"},
            {"--port=abc", "entangle: --port: 'abc' is not a port (1-65535) (see --help)"},
            {"--port=99999", "entangle: --port: '99999' is not a port (1-65535) (see --help)"},
            {"--port=65530", "entangle: --port: '65530' is too high: a member may take any of the ten ports from it (1-65526) (see --help)"},
            {"stray", "entangle: unexpected argument \"stray\" (see --help)"},
            {"--nrepl-port=70000", "entangle: --nrepl-port: '70000' is not a port (0 for any free one, or 1-65535) (see --help)"},
        };
        for (String[] c : cases) {
            ReplProcess p = run(List.of(c[0]), Map.of());
            assertEquals(2, p.waitFor(), c[0]);
            assertEquals(List.of(c[1]), errLines(p), c[0]);
            assertEquals("", p.allOut(), c[0]);
        }
    }

    @Test
    void aMalformedValueCheckedByTheRuntimeGetsOneClearLine() throws Exception {
        ReplProcess p = run(List.of("--members", "127.0.0.1:abc", "--cluster", "x"), Map.of());
        assertEquals(2, p.waitFor());
        assertEquals(List.of("entangle: --members: member '127.0.0.1:abc' is not host, host:port or host:port-port"),
                     errLines(p));
        ReplProcess q = run(List.of("--cluster", "no spaces allowed"), Map.of());
        assertEquals(2, q.waitFor());
        assertEquals(List.of("entangle: --cluster: cluster name 'no spaces allowed' must be letters, digits, '.', '_' or '-'"),
                     errLines(q));
        ReplProcess r = run(List.of("--hazelcast-config", "no/such/hazelcast.yaml"), Map.of());
        assertEquals(2, r.waitFor());
        assertEquals(List.of("entangle: --hazelcast-config: Hazelcast configuration 'no/such/hazelcast.yaml' cannot be read"),
                     errLines(r));
    }

    @Test
    void aHazelcastConfigurationOfTheOtherKindIsNamedAsSuch() throws Exception {
        // Hazelcast's YAML loaders read nothing from a file of the other kind, and say nothing:
        // a member with Hazelcast's defaults, a client that looks for cluster dev for ever.
        Path client = Files.writeString(tmp.resolve("client.yaml"), "hazelcast-client:\n  cluster-name: shop\n");
        ReplProcess p = run(List.of("--hazelcast-config", client.toString()), Map.of());
        assertEquals(1, p.waitFor());
        assertEquals(List.of("entangle: Hazelcast configuration " + client + " is a client's (hazelcast-client), not a"
            + " member's (hazelcast): connect as a client with it (--client)"), errLines(p));
        Path member = Files.writeString(tmp.resolve("member.yaml"), "# the shop's\nhazelcast:\n  cluster-name: shop\n");
        ReplProcess q = run(List.of("--client", "--hazelcast-config", member.toString()), Map.of());
        assertEquals(1, q.waitFor());
        assertEquals(List.of("entangle: Hazelcast configuration " + member + " is a member's (hazelcast), not a"
            + " client's (hazelcast-client): without --client it configures this member"), errLines(q));
    }

    @Test
    void aClusterOrNetworkOptionTypedWithAHazelcastConfigurationIsRefused() throws Exception {
        // The file decides the cluster name and network: a --cluster taken silently beside it
        // would put the user in another cluster than the one they typed.
        int free = TestCluster.freePortBlock();
        String name = "file-" + free;
        // On loopback alone (Hazelcast's default binds every interface, which the member would
        // warn of, the cluster having no secret).
        Path file = Files.writeString(tmp.resolve("member-" + free + ".yaml"), "hazelcast:\n  cluster-name: " + name
            + "\n  properties:\n    hazelcast.socket.bind.any: false\n"
            + "  network:\n    port:\n      port: " + free + "\n    interfaces:\n      enabled: true\n      interfaces:\n"
            + "        - 127.0.0.1\n    join:\n      multicast:\n        enabled: false\n"
            + "      tcp-ip:\n        enabled: true\n        member-list:\n          - 127.0.0.1:" + free + "\n");
        ReplProcess typed = run(List.of("--cluster", "shop", "--members", "127.0.0.1", "--port", "5900",
                                        "--hazelcast-config", file.toString()), Map.of());
        assertEquals(2, typed.waitFor());
        assertEquals(List.of("entangle: --cluster, --port and --members cannot be given with --hazelcast-config: its file "
            + file + " decides the cluster name and network in their place; set them there, or leave out the file"),
                     errLines(typed));
        ReplProcess fromEnv = run(List.of("--bind", "127.0.0.1"), Map.of("ENTANGLE_HAZELCAST_CONFIG", file.toString()));
        assertEquals(2, fromEnv.waitFor());
        assertEquals(List.of("entangle: --bind cannot be given with ENTANGLE_HAZELCAST_CONFIG: its file " + file
            + " decides the cluster name and network in its place; set it there, or leave out the file"), errLines(fromEnv));
        // Variables are the environment's, which may set both for other processes: the file wins.
        ReplProcess p = run(List.of("--hazelcast-config", file.toString()),
                            Map.of("ENTANGLE_CLUSTER", "elsewhere", "ENTANGLE_PORT", "5900"));
        try {
            assertEquals("[\"" + name + "\" \"127.0.0.1:" + free + "\"]",
                         p.value("[(.cluster (entangle.core/member)) (first (entangle.core/members))]"));
            assertEquals(List.of(), errLines(p));
        } finally {
            p.close();
        }
    }

    @Test
    void aClientWhoseFileHasItWaitForItsClusterSaysSo() throws Exception {
        int free = TestCluster.freePortBlock();
        Path file = Files.writeString(tmp.resolve("waiting-client.yaml"),
            "hazelcast-client:\n  cluster-name: nowhere\n  network:\n    cluster-members:\n      - 127.0.0.1:" + free + "\n");
        ReplProcess p = ReplProcess.start("cli", List.of("-J-Dentangle.client.connect.timeout.ms=1000"),
                                          List.of("--client", "--hazelcast-config", file.toString()), Map.of());
        try {
            p.awaitErr("entangle: no member of the Hazelcast cluster nowhere has answered at 127.0.0.1:" + free
                + " in 1 s; this client goes on trying for as long as " + java.util.regex.Pattern.quote(file.toString())
                + " says \\(its cluster-connect-timeout-millis; by Hazelcast's default, without end\\)");
            assertTrue(p.alive(), "as the file says, it goes on trying");
            // It reads no input before its prompt; kill (or Ctrl-C) stops it at once.
            assertEquals(143, p.terminate(10));
        } finally {
            p.close();
        }
    }

    @Test
    void aBadEnvironmentVariableIsNamed() throws Exception {
        ReplProcess p = run(List.of(), Map.of("ENTANGLE_PORT", "seventy"));
        assertEquals(2, p.waitFor());
        assertEquals(List.of("entangle: ENTANGLE_PORT: 'seventy' is not a port (1-65535)"), errLines(p));
        ReplProcess q = run(List.of(), Map.of("ENTANGLE_CLIENT", "maybe"));
        assertEquals(2, q.waitFor());
        assertEquals(List.of("entangle: ENTANGLE_CLIENT: 'maybe' is not true or false"), errLines(q));
    }

    @Test
    void aValueCheckedByTheRuntimeIsNamedByTheVariableItCameFrom() throws Exception {
        String[][] cases = {
            {"ENTANGLE_MEMBERS", "foo:bar", "entangle: ENTANGLE_MEMBERS: member 'foo:bar' is not host, host:port or host:port-port"},
            {"ENTANGLE_HAZELCAST_CONFIG", "/missing",
             "entangle: ENTANGLE_HAZELCAST_CONFIG: Hazelcast configuration '/missing' must be a .xml, .yaml or .yml file"},
            {"ENTANGLE_BIND", "not a host", "entangle: ENTANGLE_BIND: bind address 'not a host' does not resolve"
             + " (give a host name or IP address of this machine)"},
        };
        for (String[] c : cases) {
            ReplProcess p = run(List.of("--cluster", "bad-env"), Map.of(c[0], c[1]));
            assertEquals(2, p.waitFor(), c[0]);
            assertEquals(List.of(c[2]), errLines(p), c[0]);
            assertEquals("", p.allOut(), c[0]);
        }
        // The flag wins over the variable, and names the value it gave.
        ReplProcess flag = run(List.of("--cluster", "bad-env", "--members", "foo:bar"), Map.of("ENTANGLE_MEMBERS", "127.0.0.1"));
        assertEquals(2, flag.waitFor());
        assertEquals(List.of("entangle: --members: member 'foo:bar' is not host, host:port or host:port-port"), errLines(flag));
        ReplProcess nrepl = run(List.of("--cluster", "bad-env", "--nrepl-port", "0"), Map.of("ENTANGLE_NREPL_BIND", "not a host"));
        assertEquals(2, nrepl.waitFor());
        assertEquals(List.of("entangle: ENTANGLE_NREPL_BIND: 'not a host' does not resolve"
            + " (give a host name or IP address of this machine)"), errLines(nrepl));
    }

    @Test
    void theDefaultLogIsInADirectoryOfTheUsersOwnAndReadableByThemAlone() throws Exception {
        // A log names the clients that connected, with their labels: a secret's proof among them.
        Path tmp = Files.createTempDirectory(CommandLineTest.tmp, "tmpdir");
        int port = TestCluster.freePortBlock();
        List<String> jvm = List.of("-J-Djava.io.tmpdir=" + tmp);
        List<String> args = List.of("--cluster", "log-" + port, "--port", String.valueOf(port),
                                    "--members", "127.0.0.1:" + port);
        Path dir = tmp.resolve("entangle-" + System.getProperty("user.name"));
        // What earlier members left there: the logs of 22 that ended (pids above Linux's
        // highest, so of no process), a killed one's lock file, a running process's log and
        // a file of the user's own.
        Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        long noProcess = 4_194_305;
        for (int i = 0; i < 22; i++) {
            Path old = Files.writeString(dir.resolve("old-cluster-" + (noProcess + i) + ".log"), "old " + i);
            Files.setLastModifiedTime(old, java.nio.file.attribute.FileTime.fromMillis(1_700_000_000_000L + i * 60_000L));
        }
        Files.writeString(dir.resolve("old-cluster-" + noProcess + ".log.lck"), "");
        Path running = Files.writeString(dir.resolve("other-" + ProcessHandle.current().pid() + ".log"), "running");
        Files.setLastModifiedTime(running, java.nio.file.attribute.FileTime.fromMillis(1_600_000_000_000L));
        Files.writeString(dir.resolve("notes.txt"), "mine");

        ReplProcess p = ReplProcess.start("cli", jvm, args, Map.of());
        assertEquals("3", p.value("(+ 1 2)"));
        assertEquals("rwx------", perms(dir));
        List<String> left;
        try (var files = Files.list(dir)) {
            left = files.map(f -> f.getFileName().toString()).filter(f -> !f.startsWith("log-")).sorted().toList();
        }
        List<String> expected = new java.util.ArrayList<>(List.of("notes.txt", running.getFileName().toString()));
        for (int i = 2; i < 22; i++) expected.add("old-cluster-" + (noProcess + i) + ".log");
        assertEquals(expected.stream().sorted().toList(), left);
        List<Path> logs;
        try (var files = Files.list(dir)) {
            logs = files.filter(f -> f.getFileName().toString().startsWith("log-") && f.toString().endsWith(".log")).toList();
        }
        assertEquals(1, logs.size(), logs.toString());
        assertTrue(logs.get(0).getFileName().toString().startsWith("log-" + port + "-"), logs.toString());
        assertEquals("rw-------", perms(logs.get(0)));
        assertTrue(Files.readString(logs.get(0)).contains("Hazelcast"));
        assertEquals(0, p.endInput());

        // A member whose configuration file names the cluster logs under that name, from the
        // file's reading on: Hazelcast warns of a variable the file uses and nothing sets.
        int filePort = TestCluster.freePortBlock();
        String fileCluster = "log-file-" + filePort;
        Path file = Files.writeString(tmp.resolve("member.yaml"), "hazelcast:\n  cluster-name: " + fileCluster
            + "\n  properties:\n    hazelcast.socket.bind.any: false\n    entangle.test.unset: ${entangle.no.such.variable}\n"
            + "  network:\n    port:\n      port: " + filePort + "\n    interfaces:\n      enabled: true\n      interfaces:\n"
            + "        - 127.0.0.1\n    join:\n      multicast:\n        enabled: false\n"
            + "      tcp-ip:\n        enabled: true\n        member-list:\n          - 127.0.0.1:" + filePort + "\n");
        ReplProcess f = ReplProcess.start("cli", jvm, List.of("--hazelcast-config", file.toString()), Map.of());
        assertEquals("\"" + fileCluster + "\"", f.value("(.cluster (entangle.core/member))"));
        assertEquals(0, f.endInput());
        assertEquals(List.of(), errLines(f));
        Path fileLog = dir.resolve(fileCluster + "-" + f.pid() + ".log");
        assertEquals("rw-------", perms(fileLog));
        assertTrue(Files.readString(fileLog).contains("Could not find a replacement for '${entangle.no.such.variable}'"),
                   Files.readString(fileLog));

        // One another user could have made, or could read, is not used.
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        ReplProcess q = ReplProcess.start("cli", jvm, args, Map.of());
        assertEquals(2, q.waitFor());
        List<String> err = errLines(q);
        assertEquals(1, err.size(), err.toString());
        assertTrue(err.get(0).startsWith("entangle: cannot write the log file " + dir + "/log-" + port + "-")
            && err.get(0).endsWith(".log: the directory " + dir + " is not this user's alone (" + System.getProperty("user.name")
                                   + ", rwxr-xr-x); remove it, or choose another log file"), err.get(0));

        // One that cannot be made says why, not only where.
        ReplProcess r = ReplProcess.start("cli", jvm, List.of("--cluster", "log-" + port, "--port", String.valueOf(port),
                                                            "--log-file", "/proc/entangle.log"), Map.of());
        assertEquals(2, r.waitFor());
        assertEquals(List.of("entangle: cannot write the log file /proc/entangle.log: it does not exist and cannot be"
            + " made there"), errLines(r));
    }

    private static String perms(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
    }

    @Test
    void portsAllInUseGetOneClearLine() throws Exception {
        int base = TestCluster.freePortBlock();
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int port = base; port < base + 10; port++) {
                held.add(new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1")));
            }
            ReplProcess p = run(List.of("--cluster", "busy-" + base, "--port", String.valueOf(base),
                                        "--members", "127.0.0.1:" + base), Map.of());
            assertEquals(1, p.waitFor());
            assertEquals(List.of("entangle: cannot bind a member to 127.0.0.1 ports " + base + "-" + (base + 9)
                + ": all are in use or the address is not this machine's (choose others with --port or --bind)"),
                errLines(p));
        } finally {
            for (ServerSocket s : held) s.close();
        }
    }

    @Test
    void anNreplPortInUseGetsOneClearLineBeforeJoining() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            int port = taken.getLocalPort();
            for (String alias : List.of("repl", "nrepl")) {
                ReplProcess p = ReplProcess.run("cli", List.of("clojure", "-M:" + alias, "--nrepl-port", String.valueOf(port),
                                                               "--cluster", "busy-nrepl"), entangle.testing.Projects.dir(),
                                                Map.of());
                assertEquals(1, p.waitFor(), alias);
                List<String> lines = errLines(p);
                assertEquals(1, lines.size(), alias + ": " + lines);
                assertTrue(lines.get(0).startsWith("entangle: cannot serve nREPL on 127.0.0.1:" + port + ": "), lines.get(0));
                assertTrue(lines.get(0).endsWith("(choose another port with --nrepl-port)"), lines.get(0));
                assertEquals("", p.allOut(), alias);
            }
        }
    }

    /**
     * A REPL that left its cluster joins the same one again with {@code (entangle.core/start!)},
     * with the options its command line gave (not the defaults: another cluster, or one of
     * someone else's), and has what the cluster defined meanwhile.
     */
    @Test
    void aReplThatLeftJoinsItsOwnClusterAgainWithStart() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            ReplProcess a = cluster.start("a");
            ReplProcess b = cluster.start("b");
            // What the evaluation that left defined before it left is shared as it leaves.
            assertEquals("nil", b.value("(do (def defined-before-b-left 1) (entangle.core/stop!)"
                + " (def defined-after-b-left 2) nil)"));
            assertEquals("[1 nil]", a.value("[defined-before-b-left (resolve 'defined-after-b-left)]"));
            a.value("(def defined-while-b-was-away 42)");
            String joined = b.value("(str (entangle.core/start!))");
            assertTrue(joined.endsWith(" of cluster " + cluster.name() + "\""), joined);
            assertEquals("[42 2]", b.value("[defined-while-b-was-away " + membersOnceSettledAt(2) + "]"));
        }
    }

    @Test
    void aBindAddressThatDoesNotResolveGetsOneClearLineBeforeJoining() throws Exception {
        ReplProcess p = run(List.of("--cluster", "bad-bind", "--bind", "not a host"), Map.of());
        assertEquals(2, p.waitFor());
        assertEquals(List.of("entangle: --bind: bind address 'not a host' does not resolve"
            + " (give a host name or IP address of this machine)"), errLines(p));
        assertEquals("", p.allOut());
        // nREPL's address is checked whatever its port, -M:nrepl's default 0 included, and
        // without one: a bad value, as --bind's.
        for (List<String> command : List.of(
                 List.of("clojure", "-M:repl", "--nrepl-port", "0", "--nrepl-bind", "not a host", "--cluster", "bad-bind"),
                 List.of("clojure", "-M:repl", "--nrepl-bind", "not a host", "--cluster", "bad-bind"),
                 List.of("clojure", "-M:nrepl", "--nrepl-bind", "not a host", "--cluster", "bad-bind"))) {
            ReplProcess q = ReplProcess.run("cli", command, entangle.testing.Projects.dir(), Map.of());
            assertEquals(2, q.waitFor(), command.toString());
            assertEquals(List.of("entangle: --nrepl-bind: 'not a host' does not resolve"
                + " (give a host name or IP address of this machine)"), errLines(q), command.toString());
            assertEquals("", q.allOut(), command.toString());
        }
    }

    @Test
    void theSameCommandInAnotherTerminalJoinsWhateverItsPortAndInterface() throws Exception {
        // No --members: a member looks at the ten ports from its --port at its --bind.
        int base = TestCluster.freePortBlock();
        String cluster = "same-command-" + base;
        List<ReplProcess> started = new ArrayList<>();
        java.util.function.BiFunction<String, List<String>, ReplProcess> start = (name, more) -> {
            List<String> args = new ArrayList<>(List.of("--cluster", cluster, "--port", String.valueOf(base),
                                                        "--log-file", ReplProcess.logFile(cluster, name).toString()));
            args.addAll(more);
            ReplProcess p = ReplProcess.start(name, args, Map.of());
            started.add(p);
            return p;
        };
        try {
            ReplProcess a = start.apply("a", List.of());
            a.value("(defn same-command [] :from-a)");
            ReplProcess b = start.apply("b", List.of());
            assertEquals("2", b.value(membersOnceSettledAt(2)));
            assertEquals(":from-a", b.value("(same-command)"));
            // Bound to every interface, a member is known to the others by an address they can
            // reach (loopback, where it looked for them), not by the wildcard; other machines
            // can reach it, which, with no secret, it says once.
            ReplProcess c = start.apply("c", List.of("--bind", "0.0.0.0"));
            ReplProcess.Result first = c.eval("(same-command)");
            assertEquals(":from-a", first.value());
            assertEquals("entangle: this member accepts connections on every interface (port " + (base + 2) + "), and the"
                + " cluster has no secret: anyone who can reach this machine and names the cluster " + cluster + " can join"
                + " it and run code here; give the cluster a secret (--secret-file)", first.err().strip());
            assertEquals(":from-a", c.value("(same-command)"));
            String self = c.value("(first (entangle.core/members))");
            assertTrue(self.startsWith("\"127.0.0.1:"), self);
            assertEquals("3", a.value(membersOnceSettledAt(3)));
            assertTrue(a.value("(entangle.core/members)").contains(self), a.value("(entangle.core/members)"));
        } finally {
            started.forEach(ReplProcess::close);
        }
    }

    @Test
    void environmentVariablesSetTheOptionsAndTheRunIsQuiet() throws Exception {
        int base = TestCluster.freePortBlock();
        String cluster = "env-" + base;
        Path log = ReplProcess.logFile(cluster, "env");
        Files.deleteIfExists(log);
        ReplProcess p = run(List.of(), Map.of(
            "ENTANGLE_CLUSTER", cluster, "ENTANGLE_PORT", String.valueOf(base),
            "ENTANGLE_MEMBERS", "127.0.0.1:" + base + "-" + (base + 9), "ENTANGLE_LOG_FILE", log.toString()));
        assertEquals("\"" + cluster + "\"", p.value("(.cluster (entangle.core/member))"));
        assertEquals("[\"127.0.0.1:" + base + "\"]", p.value("(entangle.core/members)"));
        p.value("(defn quiet [] :shh)");
        // An exception no Hazelcast thread catches (once: "Connecting to self!" from a
        // reconnection task, on a REPL's standard error) goes to the log too.
        p.value("(doto (Thread. #(throw (RuntimeException. \"Connecting to self! (a test's)\")) \"hz.env.cached.thread-9\") .start .join)");
        assertEquals(0, p.endInput());
        // Nothing from Hazelcast reached the terminal; it is all in the log file.
        String terminal = p.allOut() + p.allErr();
        assertEquals(List.of(), errLines(p));
        for (String noise : List.of("com.hazelcast", "INFO", "WARNING", "Members {", "Hazelcast")) {
            assertFalse(terminal.contains(noise), noise + " on the terminal:\n" + terminal);
        }
        String logged = Files.readString(log);
        assertTrue(logged.contains("Members {size:1"), logged);
        assertTrue(logged.contains("is SHUTDOWN"), logged);
        assertTrue(logged.contains("uncaught in thread hz.env.cached.thread-9"), logged);
        assertTrue(logged.contains("java.lang.RuntimeException: Connecting to self! (a test's)"), logged);
    }

    @Test
    void theReplIsQuietOnEveryJdkOfTheMachine() throws Exception {
        // JDK 24+ warns on standard error when a library calls sun.misc.Unsafe's memory methods
        // (Hazelcast does) unless the JVM is told to allow it.
        List<Path> jdks = Jdks.installed();
        org.junit.jupiter.api.Assumptions.assumeFalse(jdks.isEmpty(), "no JDK under /usr/lib/jvm");
        for (Path java : jdks) {
            int base = TestCluster.freePortBlock();
            ReplProcess p = run(List.of("--cluster", "jdk-" + base, "--port", String.valueOf(base),
                                        "--members", "127.0.0.1:" + base), Map.of("JAVA_CMD", java.toString()));
            try {
                assertEquals(":shh", p.value("(do (defn quiet [] :shh) (quiet))"), java.toString());
                assertEquals(0, p.endInput(), java.toString());
                assertEquals(List.of(), errLines(p), java + " wrote on the terminal");
            } finally {
                p.close();
            }
        }
    }

    @Test
    void endOfInputAndSystemExitLeaveTheClusterCleanly() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            ReplProcess a = cluster.start("a");
            ReplProcess b = cluster.start("b");
            ReplProcess c = cluster.start("c");
            assertEquals("3", a.value("(count (entangle.core/members))"));
            b.value("(defn from-b [] :b)");
            assertEquals(0, b.endInput());
            assertEquals("2", a.value(membersOnceSettledAt(2)));
            c.send("(System/exit 0)\n");
            assertEquals(0, c.waitFor());
            assertEquals("1", a.value(membersOnceSettledAt(1)));
            assertEquals(":b", a.value("(from-b)"));
            String logB = Files.readString(ReplProcess.logFile(cluster.name(), "b"));
            assertTrue(logB.contains("is SHUTDOWN"), logB);
        }
    }
}
