package entangle.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Where the project is, so that member processes start in it as a user's would. */
public final class Projects {
    private Projects() {}

    private static String classpath;
    private static String replClasspath;

    /** The classpath of the project as {@code clojure -Spath} prints it, what a Java host application uses. */
    public static synchronized String classpath() {
        if (classpath == null) classpath = path("-Spath");
        return classpath;
    }

    /**
     * The Clojure CLI's options that start {@code -M:repl} with {@code dir} on its classpath after
     * the REPL's own, as a user adds a folder of code with {@code -Scp}. The REPL's classpath stays
     * a prefix, so the JVM still maps the REPL's class-data archive; and the CLI computes nothing
     * (a {@code -Sdeps} naming a folder of the run's own is a new classpath each run, 6 s of the
     * CLI's resolving each start).
     */
    public static List<String> replWith(Path dir) {
        synchronized (Projects.class) {
            if (replClasspath == null) replClasspath = path("-Spath", "-M:repl");
        }
        return List.of("-Scp", replClasspath + java.io.File.pathSeparator + dir);
    }

    private static String path(String... options) {
        List<String> command = new java.util.ArrayList<>(List.of("clojure"));
        command.addAll(List.of(options));
        try {
            Process p = new ProcessBuilder(command).directory(dir().toFile())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
            if (p.waitFor() != 0 || out.isEmpty()) throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
            return out;
        } catch (java.io.IOException e) {
            throw new IllegalStateException("cannot run clojure; run .ci/setup first", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public static Path dir() {
        String d = System.getProperty("entangle.project.dir");
        Path p = d != null ? Path.of(d) : Path.of("").toAbsolutePath();
        if (!Files.isRegularFile(p.resolve("deps.edn"))) {
            throw new IllegalStateException("not the entangle project directory: " + p);
        }
        return p;
    }
}
