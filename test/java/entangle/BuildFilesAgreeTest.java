package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import entangle.testing.Projects;
import entangle.testing.ReplProcess;

/** deps.edn (the Clojure CLI's) and pom.xml (Maven's) name the same dependency versions. */
class BuildFilesAgreeTest {
    @Test
    void versionsAgree() throws Exception {
        String pom = Files.readString(Projects.dir().resolve("pom.xml"));
        String deps = Files.readString(Projects.dir().resolve("deps.edn"));
        Map<String, String> properties = Map.of(
            "org.clojure/clojure", "clojure.version", "com.hazelcast/hazelcast", "hazelcast.version",
            "net.bytebuddy/byte-buddy-agent", "bytebuddy.version",
            "org.clojure/tools.cli", "tools.cli.version", "nrepl/nrepl", "nrepl.version");
        for (Map.Entry<String, String> e : properties.entrySet()) {
            Matcher inPom = Pattern.compile("<" + Pattern.quote(e.getValue()) + ">([^<]+)<").matcher(pom);
            Matcher inDeps = Pattern.compile(Pattern.quote(e.getKey()) + "\\s+\\{:mvn/version \"([^\"]+)\"").matcher(deps);
            assertTrue(inPom.find(), e.getValue() + " not in pom.xml");
            assertTrue(inDeps.find(), e.getKey() + " not in deps.edn");
            assertEquals(inPom.group(1), inDeps.group(1), e.getKey());
        }
    }

    @Test
    void theReplAndNreplAliasesStartTheSameJvm() throws Exception {
        String deps = Files.readString(Projects.dir().resolve("deps.edn"));
        Matcher repl = Pattern.compile(":repl \\{:jvm-opts \\[([^\\]]*)\\]").matcher(deps);
        Matcher nrepl = Pattern.compile(":nrepl \\{:jvm-opts \\[([^\\]]*)\\]").matcher(deps);
        assertTrue(repl.find() && nrepl.find(), "no :repl or :nrepl alias with :jvm-opts");
        assertEquals(repl.group(1).replaceAll("\\s+", " "), nrepl.group(1).replaceAll("\\s+", " "));
        List<String> options = new ArrayList<>();
        for (Matcher m = Pattern.compile("\"([^\"]*)\"").matcher(repl.group(1)); m.find(); ) {
            options.add(m.group(1));
        }
        assertEquals(options, ReplProcess.JVM_OPTIONS, "the tests' Java hosts start a JVM unlike :repl's");
    }
}
