package entangle.testing;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A clustered REPL in its own JVM, started as a user starts it ({@code clojure -M:repl ...})
 * and driven through its standard input as a user would type: each {@link #eval} sends forms
 * and returns what the REPL printed on standard output and standard error in reply.
 */
public final class ReplProcess implements AutoCloseable {
    private static final Duration EVAL_TIMEOUT = Duration.ofSeconds(90);
    // After an error nothing reaches stdout, so two prompts can share a line.
    private static final Pattern PROMPT = Pattern.compile("(?m)^(?:[^\\s=]+=> )+");

    private final String name;
    private final Process process;
    private final boolean readsInput;
    private final Writer in;
    /** The member's log file (its --log-file or ENTANGLE_LOG_FILE), or null. */
    private final Path log;
    private final StringBuilder out = new StringBuilder();
    private final StringBuilder err = new StringBuilder();
    private int outRead;
    private int errRead;
    private int markers;

    private ReplProcess(String name, Process process, boolean readsInput, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.readsInput = readsInput;
        this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
        pump(process.getInputStream(), out, name + "-out");
        pump(process.getErrorStream(), err, name + "-err");
    }

    /** Runs {@code clojure -M:repl args} in the project directory, with {@code env} added. */
    public static ReplProcess start(String name, List<String> args, Map<String, String> env) {
        return start(name, List.of(), args, env);
    }

    /** Runs {@code clojure cliOptions -M:repl args}: the Clojure CLI's own options come first. */
    public static ReplProcess start(String name, List<String> cliOptions, List<String> args, Map<String, String> env) {
        List<String> command = new ArrayList<>(List.of("clojure"));
        command.addAll(cliOptions);
        command.add("-M:repl");
        command.addAll(args);
        return run(name, command, Projects.dir(), env);
    }

    /** Runs any command (a Clojure CLI invocation) in {@code dir}, with {@code env} added. */
    public static ReplProcess run(String name, List<String> command, Path dir, Map<String, String> env) {
        return run(name, command, dir, env, true);
    }

    /**
     * Runs a program that does not read its input (a service, a worker): closing it stops it as
     * Ctrl-C or {@code kill} would, with its shutdown hooks.
     */
    public static ReplProcess service(String name, List<String> command, Path dir, Map<String, String> env) {
        return run(name, command, dir, env, false);
    }

    /**
     * The JVM options of the :repl alias, which the README points a Java host application to: the
     * compiler hook attaches without a helper process, and Hazelcast gets the JDK internals it
     * uses for its best performance (BuildFilesAgreeTest keeps this list equal to the alias's).
     */
    public static final List<String> JVM_OPTIONS = List.of(
        "-Djdk.attach.allowAttachSelf=true", "-XX:+IgnoreUnrecognizedVMOptions", "-XX:+EnableDynamicAgentLoading",
        "--sun-misc-unsafe-memory-access=allow",
        "--add-modules", "java.se", "--add-exports", "java.base/jdk.internal.ref=ALL-UNNAMED",
        "--add-opens", "java.base/java.lang=ALL-UNNAMED", "--add-opens", "java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-opens", "java.management/sun.management=ALL-UNNAMED",
        "--add-opens", "jdk.management/com.sun.management.internal=ALL-UNNAMED");

    /**
     * Runs a Java program the way the README shows a Java host application: the project's
     * classpath ({@code clojure -Spath}), the option that lets the compiler hook attach without a
     * helper process, and {@code main}: a source file (run by the java launcher) or a class name
     * (from {@code extraClasspath}).
     */
    public static List<String> javaCommand(String main, String extraClasspath, List<String> args) {
        return javaCommand(Path.of(System.getProperty("java.home"), "bin", "java"), JVM_OPTIONS, main, extraClasspath, args);
    }

    /** As {@link #javaCommand(String, String, List)}, with another JDK's {@code java} and other JVM options. */
    public static List<String> javaCommand(Path java, List<String> jvmOptions, String main, String extraClasspath,
                                           List<String> args) {
        String cp = Projects.classpath() + (extraClasspath == null ? "" : File.pathSeparator + extraClasspath);
        List<String> command = new ArrayList<>(List.of(java.toString()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", cp, main));
        command.addAll(args);
        return command;
    }

    private static ReplProcess run(String name, List<String> command, Path dir, Map<String, String> env, boolean readsInput) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
        pb.environment().putAll(env);
        try {
            int logOption = command.indexOf("--log-file");
            String log = logOption >= 0 && logOption + 1 < command.size() ? command.get(logOption + 1)
                : env.get("ENTANGLE_LOG_FILE");
            return new ReplProcess(name, pb.start(), readsInput, log == null ? null : Path.of(log));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command.get(0) + "; run .ci/setup first", e);
        }
    }

    private static void pump(InputStream s, StringBuilder into, String thread) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = s.read(buf)) > 0) {
                    synchronized (into) {
                        into.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                        into.notifyAll();
                    }
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, thread);
        t.setDaemon(true);
        t.start();
    }

    /** What one evaluation printed: standard output without prompts, and standard error. */
    public record Result(String out, String err) {
        /** The last line printed on standard output: the printed value of the last form. */
        public String value() {
            String[] lines = out.strip().split("\n");
            return lines[lines.length - 1].strip();
        }
    }

    /**
     * Sends {@code forms} (one or more, as typed) and waits until the REPL has evaluated and
     * printed them all; returns what was printed meanwhile.
     */
    public synchronized Result eval(String forms) {
        int m = ++markers;
        String marker = "<<<" + name + "-" + m + ">>>";
        send(forms + "\n(do (.println System/err \"" + marker + "\") (.flush System/err) '" + marker + ")\n");
        String o = awaitMarker(out, marker, true);
        String e = awaitMarker(err, marker, false);
        return new Result(PROMPT.matcher(o).replaceAll("").strip(), e.strip());
    }

    /** The printed value of the last form in {@code forms}. */
    public String value(String forms) {
        return value(forms, line -> false);
    }

    /** The printed value of the last form in {@code forms}; standard error may hold only lines {@code said}. */
    private String value(String forms, java.util.function.Predicate<String> said) {
        Result r = eval(forms);
        if (r.err().lines().anyMatch(said.negate())) {
            throw new AssertionError(name + " printed on stderr for " + forms + ":\n" + r.err() + "\nstdout:\n" + r.out());
        }
        return r.value();
    }

    /** What an evaluation says while a member is slow to apply what it defined (AwaitedMembers). */
    private static final Pattern WAITING = Pattern.compile("entangle: waiting for member \\S+ to apply these"
        + " definitions \\(\\d+ s so far\\): the evaluation goes on without it after 15 s at most, and it reads them"
        + " from the cluster's maps");

    /**
     * What a member tells when a definition made there was replaced by one another member
     * made without seeing it (Overwritten): group 1 names the vars, group 2 that member.
     */
    public static final Pattern REPLACED = Pattern.compile("entangle: (#'[^ ,:]+(?:, #'[^ ,:]+)*(?: and #'[^ ,:]+)?"
        + "(?: and \\d+ more)?): the definitions? made here (?:was|were) replaced by member (\\S+)'s, made without"
        + " seeing (?:it|them) \\(at the same moment, or while the two members were apart\\); evaluate (?:it|them)"
        + " again to make (?:it|them) the cluster's\\.");

    /** This member's address ("host:port"): the first that entangle.core/members lists. */
    public String memberAddress() {
        return valueThoughItSays("(first (entangle.core/members))", REPLACED).replace("\"", "");
    }

    /**
     * The vars this member told were replaced (see {@link #REPLACED}) on standard error from
     * character {@code errFrom} on, each with the member whose definition replaced it, once
     * what it gathers is told (a second after the first); fails on any other line printed there.
     * Of a line that names some vars and counts the rest, only those it names. Call it between
     * evaluations: what it read, the next evaluation's standard error leaves out.
     */
    public java.util.Map<String, String> replacedSince(int errFrom) throws InterruptedException {
        Thread.sleep(1_500);
        java.util.Map<String, String> told = new java.util.TreeMap<>();
        String printed;
        synchronized (err) {
            printed = err.substring(errFrom);
            errRead = err.length(); // told of here: the next evaluation's standard error does not hold them
        }
        for (String line : printed.lines().map(String::strip).toList()) {
            if (line.isEmpty() || line.matches("<<<" + Pattern.quote(name) + "-\\d+>>>")) continue;
            Matcher m = REPLACED.matcher(line);
            if (!m.matches()) throw new AssertionError(name + " printed on stderr: " + line + "\n" + transcript());
            // Those a long line counts ("and 93 more") are left out.
            for (String var : m.group(1).replaceFirst(" and \\d+ more$", "").split(", | and ")) told.put(var, m.group(2));
        }
        return told;
    }

    /**
     * As {@link #value}, but standard error may also say that the evaluation waits for a member
     * to apply it: said after a few seconds, which applying thousands of definitions can take
     * beside other test classes on a loaded machine.
     */
    public String valueThoughItWaits(String forms) {
        return value(forms, line -> WAITING.matcher(line.strip()).matches());
    }

    /**
     * As {@link #value}, but standard error may also hold whole lines that match {@code said}:
     * what a member tells of, from another thread, while it evaluates.
     */
    public String valueThoughItSays(String forms, Pattern said) {
        return value(forms, line -> said.matcher(line.strip()).matches());
    }

    /** Sends text to the REPL's standard input without waiting for anything. */
    public synchronized void send(String text) {
        try {
            in.write(text);
            in.flush();
        } catch (IOException e) {
            throw new IllegalStateException(name + " is not reading its input (exited?)\n" + transcript(), e);
        }
    }

    private String awaitMarker(StringBuilder buf, String marker, boolean stdout) {
        long deadline = System.nanoTime() + EVAL_TIMEOUT.toNanos();
        synchronized (buf) {
            while (true) {
                int from = stdout ? outRead : errRead;
                int at = buf.indexOf(marker, from);
                if (at >= 0) {
                    String text = buf.substring(from, at);
                    int next = at + marker.length();
                    if (stdout) outRead = next; else errRead = next;
                    return text.replaceAll("(?m)^(?:[^\\s=]+=> )+$", "");
                }
                long wait = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (wait <= 0 || (!process.isAlive() && buf.indexOf(marker, from) < 0 && waitedForExit())) {
                    throw new AssertionError(name + ": no reply (alive: " + process.isAlive() + ")\n" + transcript());
                }
                try {
                    buf.wait(Math.min(wait, 200));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted");
                }
            }
        }
    }

    private boolean waitedForExit() {
        try {
            Thread.sleep(300); // let the pumps drain what the process printed last
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return true;
    }

    /** Takes everything printed so far as read: the next {@link #eval} returns only what follows. */
    public synchronized void discardPrinted() {
        synchronized (out) {
            outRead = out.length();
        }
        synchronized (err) {
            errRead = err.length();
        }
    }

    /**
     * Everything printed so far, for failure messages; of a process that has ended, the end of
     * its log too, which holds what its standard error summed up in one line (the exception).
     */
    public String transcript() {
        String printed;
        synchronized (out) {
            synchronized (err) {
                printed = "--- " + name + " stdout:\n" + out + "\n--- " + name + " stderr:\n" + err;
            }
        }
        return process.isAlive() ? printed : printed + logTail(60);
    }

    private String logTail(int lines) {
        if (log == null || !Files.isReadable(log)) return "";
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            return "\n--- " + name + " log " + log + " (its last " + lines + " lines):\n"
                + String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size())) + "\n";
        } catch (IOException | java.io.UncheckedIOException e) {
            return "\n--- " + name + " log " + log + ": " + e + "\n";
        }
    }

    /** Everything printed on standard output so far. */
    public String allOut() {
        synchronized (out) {
            return out.toString();
        }
    }

    /** Everything printed on standard error so far. */
    public String allErr() {
        synchronized (err) {
            return err.toString();
        }
    }

    public String name() { return name; }

    public boolean alive() { return process.isAlive(); }

    public long pid() { return process.pid(); }

    /** Kills the JVM as {@code kill -9} does: no shutdown hook, no goodbye to the cluster. */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /**
     * Stops the JVM as {@code kill} does (SIGTERM: its shutdown hooks run, as on Ctrl-C) and
     * waits up to {@code seconds} for the exit code.
     */
    public int terminate(long seconds) throws InterruptedException {
        process.destroy();
        return waitFor(seconds);
    }

    /** Closes standard input (end of input) and waits for the exit code. */
    public int endInput() throws InterruptedException {
        try {
            in.close();
        } catch (IOException ignored) {
            // already gone
        }
        return waitFor();
    }

    /** Waits for the process to end by itself and returns its exit code. */
    public int waitFor() throws InterruptedException {
        return waitFor(60);
    }

    /** Waits up to {@code seconds} for the process to end by itself and returns its exit code. */
    public int waitFor(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            throw new AssertionError(name + " did not exit\n" + transcript());
        }
        Thread.sleep(200); // the pumps read what was printed last
        return process.exitValue();
    }

    /**
     * The next whole line printed on standard output after what was read so far, waiting for it
     * (for programs that answer each line of input with one line).
     */
    public String readLine() {
        long deadline = System.nanoTime() + EVAL_TIMEOUT.toNanos();
        synchronized (out) {
            while (true) {
                int nl = out.indexOf("\n", outRead);
                if (nl >= 0) {
                    String line = out.substring(outRead, nl);
                    outRead = nl + 1;
                    return line.strip();
                }
                long wait = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (wait <= 0 || !process.isAlive() && out.indexOf("\n", outRead) < 0 && waitedForExit()) {
                    throw new AssertionError(name + ": no line (alive: " + process.isAlive() + ")\n" + transcript());
                }
                try {
                    out.wait(Math.min(wait, 200));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new AssertionError("interrupted");
                }
            }
        }
    }

    /** Evaluates {@code form} until it prints {@code expected}, for up to 30 seconds; fails with the last value otherwise. */
    public void awaitValue(String form, String expected) throws InterruptedException {
        awaitValue(form, expected, Duration.ofSeconds(30));
    }

    /** As {@link #awaitValue(String, String)}, for as long as {@code within}. */
    public void awaitValue(String form, String expected, Duration within) throws InterruptedException {
        long deadline = System.nanoTime() + within.toNanos();
        String last;
        do {
            last = value(form);
            if (last.equals(expected)) return;
            Thread.sleep(100);
        } while (System.nanoTime() < deadline);
        throw new AssertionError(name + ": " + form + " printed " + last + ", not " + expected);
    }

    /**
     * Sends {@code (defn name [] value)} in user to this REPL while {@code holder} holds the lock
     * of the var's entry: this member's write waits on the entry's partition while its hand-off
     * goes ahead. Returns once {@code holder} has the definition, this REPL's evaluation still
     * waiting; the entry's form, to unlock or read it from {@code holder}.
     */
    public String defineWhileTheWriteWaits(ReplProcess holder, String name, String value) throws InterruptedException {
        String entry = "(.getMap (entangle.core/hazelcast) \"entangle.vars\") \"user/" + name + "\"";
        holder.value("(.lock " + entry + ")");
        send("(defn " + name + " [] " + value + ")\n");
        // Bound too: a var being defined is unbound for a moment, here as in plain Clojure.
        holder.awaitValue("(when-let [v (resolve '" + name + ")] (when (bound? v) (@v)))", value);
        return entry;
    }

    /** The first line of standard output that matches {@code regex}, waiting for it. */
    public Matcher awaitOut(String regex) throws InterruptedException {
        return await(this::allOut, regex);
    }

    /** The first line of standard error that matches {@code regex}, waiting for it. */
    public Matcher awaitErr(String regex) throws InterruptedException {
        return await(this::allErr, regex);
    }

    private Matcher await(java.util.function.Supplier<String> printed, String regex) throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + EVAL_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            Matcher m = p.matcher(printed.get());
            if (m.find()) return m;
            if (!process.isAlive()) break;
            Thread.sleep(50);
        }
        throw new AssertionError(name + ": nothing matched " + regex + "\n" + transcript());
    }

    /**
     * Ends the process as its user would: a REPL by the end of its input (terminated, as by
     * {@code kill}, if it has not exited 10 s later: one not at its prompt does not read it),
     * a service by {@code kill}; then, 20 s later, as {@code kill -9} does.
     */
    @Override
    public void close() {
        if (!process.isAlive()) return;
        try {
            if (!readsInput) process.destroy();
            in.close();
            // A REPL not at its prompt (still starting, or evaluating) reads no end of input.
            if (readsInput && !process.waitFor(10, TimeUnit.SECONDS)) {
                System.err.println(name + " had not exited 10 s after the end of its input: terminated");
                process.destroy();
            }
            if (!process.waitFor(20, TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (IOException | InterruptedException e) {
            process.destroyForcibly();
        }
    }

    /** The log file this member writes, as {@link TestCluster} asks for it. */
    public static Path logFile(String cluster, String name) {
        return Projects.dir().resolve("target/test-logs/" + cluster + "-" + name + ".log");
    }
}
