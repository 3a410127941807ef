package entangle.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the project is, so that member processes start in it as a user's would. */
public final class Projects {
    private Projects() {}

    private static String classpath;

    /** The classpath of the project as {@code clojure -Spath} prints it, what a Java host application uses. */
    public static synchronized String classpath() {
        if (classpath == null) {
            try {
                Process p = new ProcessBuilder("clojure", "-Spath").directory(dir().toFile())
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
                if (p.waitFor() != 0 || out.isEmpty()) throw new IllegalStateException("clojure -Spath failed: " + out);
                classpath = out;
            } catch (java.io.IOException e) {
                throw new IllegalStateException("cannot run clojure -Spath; run .ci/setup first", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return classpath;
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
