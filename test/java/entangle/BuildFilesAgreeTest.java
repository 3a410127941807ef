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
        Matcher repl = ALIAS.matcher(deps);
        Matcher nrepl = Pattern.compile(":nrepl " + ALIAS.pattern().substring(":repl ".length())).matcher(deps);
        assertTrue(repl.find() && nrepl.find(), "no :repl or :nrepl alias with :replace-paths and :jvm-opts");
        assertEquals(repl.group(1), nrepl.group(1), "the aliases run different classpaths");
        assertEquals(repl.group(2).replaceAll("\\s+", " "), nrepl.group(2).replaceAll("\\s+", " "));
        List<String> options = new ArrayList<>();
        for (Matcher m = Pattern.compile("\"([^\"]*)\"").matcher(repl.group(2)); m.find(); ) {
            options.add(m.group(1));
        }
        // The class-data archive is made for the aliases' classpath (the jar entangle.package
        // builds); a Java host runs the project's own (clojure -Spath), for which it is not.
        List<String> runtime = options.stream()
            .filter(o -> !o.startsWith("-XX:SharedArchiveFile=") && !o.startsWith("-Xlog:cds")).toList();
        assertEquals(List.of("-XX:SharedArchiveFile=target/repl/entangle.jsa", "-Xlog:cds=off", "-Xlog:cds+dynamic=off"),
                     options.subList(0, 3), "the aliases name the archive and keep the JVM quiet when it cannot be used");
        assertEquals(runtime, ReplProcess.JVM_OPTIONS, "the tests' Java hosts start a JVM unlike :repl's");
    }

    @Test
    void aProjectOfYourOwnStartsTheJvmTheReplAliasStarts() throws Exception {
        String deps = Files.readString(Projects.dir().resolve("examples/own-project/deps.edn"));
        for (String name : List.of(":entangle", ":entangle-nrepl")) {
            Matcher alias = Pattern.compile(name + " \\{[^\\[]*:jvm-opts \\[([^\\]]*)\\]").matcher(deps);
            assertTrue(alias.find(), "no " + name + " alias with :jvm-opts in examples/own-project/deps.edn");
            List<String> options = new ArrayList<>();
            for (Matcher m = Pattern.compile("\"([^\"]*)\"").matcher(alias.group(1)); m.find(); ) options.add(m.group(1));
            assertEquals(ReplProcess.JVM_OPTIONS, options, name + " starts a JVM unlike :repl's (its archive aside)");
        }
    }

    /** The :repl alias: its classpath and its JVM options. */
    private static final Pattern ALIAS =
        Pattern.compile(":repl \\{:replace-paths \\[([^\\]]*)\\]\\s+:jvm-opts \\[([^\\]]*)\\]");
}
