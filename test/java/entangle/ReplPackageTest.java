package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import entangle.testing.Projects;
import entangle.testing.ReplProcess;
import entangle.testing.TestCluster;

/**
 * What `clojure -M:repl` runs: the jar entangle.package builds (entangle's namespaces compiled
 * ahead of time) and the class-data archive made for it, so that a member's prompt comes
 * quickly; and a source tree that changed after the jar was built is refused, not run stale.
 */
class ReplPackageTest {
    /**
     * How long entangle.package may take (the namespaces compiled, a member started for the
     * archive): half a minute alone here, more than the minute a REPL is given beside another
     * test class's cluster on a slow stretch of the CI machine.
     */
    private static final long BUILD_SECONDS = 180;

    @Test
    void theReplRunsTheJarWithItsClassesFromTheArchive(@TempDir Path tmp) throws Exception {
        Path classLog = tmp.resolve("classes.log");
        try (TestCluster cluster = new TestCluster()) {
            // -Xshare:on: the JVM refuses to start at all if it cannot map the archive.
            ReplProcess p = cluster.start("archived", List.of("-J-Xshare:on", "-J-Xlog:class+load=info:file=" + classLog));
            assertEquals("3", p.value("(+ 1 2)"));
            assertEquals("\"jar\"", p.value("(.getProtocol (clojure.java.io/resource \"entangle/repl__init.class\"))"));
        }
        List<String> lines = Files.readAllLines(classLog);
        for (String c : List.of("com.hazelcast.instance.impl.Node", "clojure.tools.cli__init", "entangle.options__init",
                                "entangle.Member")) {
            String line = lines.stream().filter(l -> l.contains(" " + c + " ")).findFirst().orElse("not loaded: " + c);
            assertTrue(line.contains("source: shared objects file"), line);
        }
    }

    @Test
    void aSourceChangedAfterTheJarWasBuiltIsRefusedNamingIt(@TempDir Path tmp) throws Exception {
        Path project = Projects.dir();
        for (String part : List.of("deps.edn", "src", "target/repl/entangle.jar", "target/repl/entangle.jsa")) {
            copyKeepingTimes(project.resolve(part), tmp.resolve(part));
        }
        Path core = tmp.resolve("src/clj/entangle/core.clj");
        FileTime built = Files.getLastModifiedTime(tmp.resolve("target/repl/entangle.jar"));
        Files.setLastModifiedTime(core, FileTime.fromMillis(built.toMillis() + 10_000));
        ReplProcess p = ReplProcess.run("stale", List.of("clojure", "-M:repl", "--cluster", "stale-" + ProcessHandle.current().pid()),
                                        tmp, Map.of());
        assertEquals(1, p.waitFor(), p.transcript());
        assertEquals(List.of("entangle: src/clj/entangle/core.clj changed after target/repl/entangle.jar was built:"
                             + " rebuild it with mvn -q compile (in " + tmp.toRealPath() + "; .ci/setup runs it too)"),
                     errLines(p));
        assertEquals("", p.allOut());
    }

    @Test
    void aCheckoutNotBuiltYetSaysWhatToBuild(@TempDir Path tmp) throws Exception {
        // A fresh clone, before .ci/setup: no target/, so no jar for the aliases to run.
        for (String part : List.of("deps.edn", "src")) copyKeepingTimes(Projects.dir().resolve(part), tmp.resolve(part));
        for (String alias : List.of("repl", "nrepl")) {
            ReplProcess p = ReplProcess.run("unbuilt-" + alias, List.of("clojure", "-M:" + alias, "--cluster",
                                                                    "unbuilt-" + ProcessHandle.current().pid()),
                                            tmp, Map.of());
            assertEquals(1, p.waitFor(), p.transcript());
            assertEquals(List.of("entangle: target/repl/entangle.jar is not built: run .ci/setup once (or mvn -q compile) in "
                                 + tmp.toRealPath()), errLines(p), alias);
            assertEquals("", p.allOut(), alias);
        }
    }

    @Test
    void aProjectNamingACheckoutWhoseRuntimeIsNotBuiltIsToldWhatToBuild(@TempDir Path tmp) throws Exception {
        // examples/own-project, naming a checkout that was never built (no target/).
        Path checkout = tmp.resolve("entangle");
        for (String part : List.of("deps.edn", "src")) copyKeepingTimes(Projects.dir().resolve(part), checkout.resolve(part));
        Path project = tmp.resolve("project");
        copyKeepingTimes(Projects.dir().resolve("examples/own-project/src"), project.resolve("src"));
        Files.writeString(project.resolve("deps.edn"),
                          Files.readString(Projects.dir().resolve("examples/own-project/deps.edn"))
                              .replace("{:local/root \"../..\"}", "{:local/root \"" + checkout + "\"}"));
        ReplProcess p = ReplProcess.run("unbuilt", List.of("clojure", "-M:entangle", "--cluster", "unbuilt-" + ProcessHandle.current().pid()),
                                        project, Map.of());
        assertEquals(1, p.waitFor(), p.transcript());
        assertEquals(List.of("entangle: entangle's Java runtime is not compiled: run mvn -q compile (or .ci/setup) in "
                             + checkout.toRealPath()), errLines(p));
        assertEquals("", p.allOut());
    }

    @Test
    void anArchiveMadeByAnotherJvmIsMadeAgain(@TempDir Path tmp) throws Exception {
        Path project = Projects.dir();
        for (String part : List.of("deps.edn", "src", "target/classes", "target/repl/entangle.jar",
                                   "target/repl/entangle.jsa", "target/repl/entangle.jsa.jvm")) {
            copyKeepingTimes(project.resolve(part), tmp.resolve(part));
        }
        Path madeBy = tmp.resolve("target/repl/entangle.jsa.jvm");
        String thisJvm = Files.readString(madeBy);
        // As after a JDK upgrade: the jar is newer than every source, the archive newer than the jar.
        String older = "java.home=/usr/lib/jvm/an-older-jdk\njava.vm.vendor=Debian\njava.vm.version=17.0.1+12";
        Files.writeString(madeBy, older);
        Files.setLastModifiedTime(madeBy, Files.getLastModifiedTime(project.resolve("target/repl/entangle.jsa")));

        ReplProcess built = ReplProcess.run("package", List.of("clojure", "-M", "-m", "entangle.package"), tmp, Map.of());
        assertEquals(0, built.waitFor(BUILD_SECONDS), built.transcript());
        assertTrue(built.allOut().contains("entangle.package: built target/repl/entangle.jar and target/repl/entangle.jsa"),
                   built.transcript());
        assertEquals(thisJvm, Files.readString(madeBy));

        ReplProcess again = ReplProcess.run("package-again", List.of("clojure", "-M", "-m", "entangle.package"), tmp, Map.of());
        assertEquals(0, again.waitFor(BUILD_SECONDS), again.transcript());
        assertTrue(again.allOut().contains("entangle.package: target/repl/entangle.jar is current"), again.transcript());
    }

    private static List<String> errLines(ReplProcess p) {
        List<String> lines = new ArrayList<>();
        for (String l : p.allErr().split("\n")) {
            if (!l.isBlank() && !l.contains("S3TransporterFactory") && !l.matches("<<<.*>>>")) lines.add(l);
        }
        return lines;
    }

    private static void copyKeepingTimes(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path f : (Iterable<Path>) all::iterator) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(f, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }
}
