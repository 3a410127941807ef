package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import entangle.testing.Projects;
import entangle.testing.ReplProcess;
import entangle.testing.TestCluster;

/**
 * The walkthroughs in the README and in examples/, run as written: `clojure -M:repl` in each
 * terminal (kept apart from other runs by the ENTANGLE_* variables only), every line after a
 * prompt typed in, and what the REPL prints compared with the lines shown under it. The
 * documents show the default ports (127.0.0.1:5701 for the first terminal...); the test puts
 * the members' real addresses in their place, in what it types and in what it expects.
 */
class WalkthroughTest {
    private static final Pattern PROMPT = Pattern.compile("^[\\w.\\-]+=> (.*)$");
    private static final Pattern TERMINAL = Pattern.compile("(?i)terminal (\\d)|(third) terminal");

    /** One form typed into one terminal, and the lines it must print. */
    record Step(int terminal, String input, List<String> expected, int line) {}

    static List<Step> steps(Path doc, String fromHeading) throws Exception {
        List<String> lines = Files.readAllLines(doc);
        List<Step> steps = new ArrayList<>();
        boolean started = fromHeading == null;
        boolean inBlock = false;
        int terminal = 0;
        StringBuilder prose = new StringBuilder(); // the last paragraph before a block
        boolean paragraphEnded = false;
        Step current = null;
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (!started) {
                started = l.startsWith(fromHeading);
                continue;
            }
            if (!inBlock && l.startsWith("## ") && fromHeading != null && !l.startsWith(fromHeading)) break;
            if (l.startsWith("```")) {
                if (!inBlock && l.equals("```clojure")) {
                    Matcher m = TERMINAL.matcher(prose);
                    assertTrue(m.find(), doc + ":" + (i + 1) + ": no terminal named before this block");
                    terminal = m.group(1) != null ? Integer.parseInt(m.group(1)) : 3;
                    inBlock = true;
                } else if (inBlock) {
                    inBlock = false;
                    current = null;
                    prose.setLength(0);
                }
                continue;
            }
            if (!inBlock) {
                if (l.isBlank()) {
                    paragraphEnded = true;
                } else {
                    if (paragraphEnded) prose.setLength(0);
                    paragraphEnded = false;
                    prose.append(l).append(' ');
                }
                continue;
            }
            Matcher p = PROMPT.matcher(l);
            if (p.matches()) {
                current = new Step(terminal, p.group(1), new ArrayList<>(), i + 1);
                steps.add(current);
            } else if (current != null) {
                current.expected().add(l);
            }
        }
        assertTrue(steps.size() > 3, doc + " has no walkthrough");
        return steps;
    }

    static boolean matches(String expected, String actual) {
        String regex = Pattern.quote(expected).replace("...", "\\E.*\\Q");
        return actual.matches(regex);
    }

    @ParameterizedTest
    @ValueSource(strings = {"examples/walkthrough.md", "README.md"})
    void runsAsWritten(String file) throws Exception {
        Path doc = Projects.dir().resolve(file);
        List<Step> steps = steps(doc, file.equals("README.md") ? "## Walkthrough" : null);
        int port = TestCluster.freePortBlock();
        String cluster = "walkthrough-" + port;
        Map<String, String> env = Map.of(
            "ENTANGLE_CLUSTER", cluster, "ENTANGLE_PORT", String.valueOf(port),
            "ENTANGLE_MEMBERS", "127.0.0.1:" + port + "-" + (port + 9));
        Map<Integer, ReplProcess> terminals = new HashMap<>();
        Map<String, String> addresses = new HashMap<>();
        try {
            for (Step step : steps) {
                ReplProcess t = terminals.get(step.terminal());
                if (t == null) {
                    String name = "t" + step.terminal();
                    Map<String, String> e = new HashMap<>(env);
                    e.put("ENTANGLE_LOG_FILE", ReplProcess.logFile(cluster, name).toString());
                    t = ReplProcess.start(name, List.of(), e);
                    terminals.put(step.terminal(), t);
                    Matcher banner = t.awaitOut("Clojure [\\d.]+, entangle member (127\\.0\\.0\\.1:\\d+) of cluster "
                        + Pattern.quote(cluster) + " \\(");
                    // The document shows the default ports, in the order the terminals start.
                    addresses.put("127.0.0.1:" + (5700 + terminals.size()), banner.group(1));
                    t.discardPrinted();
                }
                String where = file + ":" + step.line() + " (terminal " + step.terminal() + ") ";
                if (step.input().contains("(System/exit 0)")) {
                    t.send(step.input() + "\n");
                    assertEquals(0, t.waitFor(), where + "exit code");
                    continue;
                }
                String input = step.input();
                for (Map.Entry<String, String> a : addresses.entrySet()) input = input.replace(a.getKey(), a.getValue());
                ReplProcess.Result r = t.eval(input);
                List<String> actual = new ArrayList<>();
                for (String l : (r.err() + "\n" + r.out()).split("\n")) {
                    if (!l.isBlank() && !l.matches("<<<.*>>>")) actual.add(l);
                }
                List<String> expected = new ArrayList<>();
                for (String l : step.expected()) {
                    String e = l;
                    for (Map.Entry<String, String> a : addresses.entrySet()) e = e.replace(a.getKey(), a.getValue());
                    expected.add(e);
                }
                assertEquals(expected.size(), actual.size(), where + step.input() + "\nexpected " + expected
                    + "\nprinted  " + actual);
                for (int i = 0; i < expected.size(); i++) {
                    assertTrue(matches(expected.get(i), actual.get(i)), where + step.input() + "\nexpected "
                        + expected.get(i) + "\nprinted  " + actual.get(i));
                }
            }
        } finally {
            terminals.values().forEach(ReplProcess::close);
        }
    }
}
