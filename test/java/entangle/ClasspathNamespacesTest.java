package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import entangle.testing.ReplProcess;
import entangle.testing.TestCluster;

/**
 * Requiring a namespace from the classpath is shared as the fact of the require: every member
 * loads it from its own classpath, and one that lacks it says so and keeps working.
 */
class ClasspathNamespacesTest {

    private static Path library(String version) throws Exception {
        Path dir = Files.createTempDirectory("entangle-lib");
        Files.createDirectories(dir.resolve("extra"));
        Files.writeString(dir.resolve("extra/greeter.clj"),
            "(ns extra.greeter)\n(defn version [] \"" + version + "\")\n");
        return dir;
    }

    private static List<String> withPath(Path dir) {
        return List.of("-Sdeps", "{:paths [\"src/clj\" \"target/classes\" \"" + dir + "\"]}");
    }

    @Test
    void eachMemberRequiresFromItsOwnClasspathAndOneThatCannotSaysWhy() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            ReplProcess a = cluster.start("a", withPath(library("copy on a")));
            ReplProcess b = cluster.start("b", withPath(library("copy on b")));
            ReplProcess c = cluster.start("c");
            String addressOfA = a.value("(first (entangle.core/members))").replace("\"", "");

            a.value("(require 'extra.greeter)");
            assertEquals("\"copy on a\"", a.value("(extra.greeter/version)"));
            assertEquals("\"copy on b\"", b.value("(extra.greeter/version)"));
            String refusal = "entangle: namespace extra.greeter (required on member " + addressOfA + ") cannot be"
                + " loaded from this member's classpath: Could not locate extra/greeter__init.class,"
                + " extra/greeter.clj or extra/greeter.cljc on classpath.; shared definitions that use it will fail here.";
            assertTrue(c.allErr().contains(refusal), c.allErr());
            assertEquals("3", c.eval("(+ 1 2)").value());

            // A shared fn that uses it runs with each member's copy.
            a.value("(defn which-greeter [] (extra.greeter/version))");
            assertEquals("\"copy on b\"", b.value("(which-greeter)"));

            // What evaluation changes in it is shared like any definition.
            a.eval("(in-ns 'extra.greeter)");
            a.value("(defn version [] \"redefined at a's REPL\")");
            a.value("(in-ns 'user)");
            assertEquals("\"redefined at a's REPL\"", b.value("(which-greeter)"));

            ReplProcess d = cluster.start("d", withPath(library("copy on d")));
            assertEquals("[true \"redefined at a's REPL\"]",
                d.value("[(contains? (loaded-libs) 'extra.greeter) (which-greeter)]"));
        }
    }

    @Test
    void whatTheCompilerLoadsForItselfIsNotShared() throws Exception {
        String specsLoaded = "(some? (find-ns 'clojure.core.specs.alpha))";
        try (TestCluster cluster = new TestCluster()) {
            ReplProcess a = cluster.start("a");
            // The first macro a compiler expands makes it load the specs it checks macro calls with.
            a.value("(defn spec-checked [x] (inc x))");
            assertEquals("true", a.value(specsLoaded));

            ReplProcess b = cluster.start("b");
            assertEquals("[false 2]", b.value("[" + specsLoaded + " (spec-checked 1)]"));
            // b's compiler loads them when it needs them, and checks macro calls as before.
            assertTrue(b.eval("(defn 1 [])").err().contains("spec: :clojure.core.specs.alpha/defn-args"));
            assertEquals("true", b.value(specsLoaded));
        }
    }
}
