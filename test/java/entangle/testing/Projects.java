package entangle.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the project is, so that member processes start in it as a user's would. */
public final class Projects {
    private Projects() {}

    public static Path dir() {
        String d = System.getProperty("entangle.project.dir");
        Path p = d != null ? Path.of(d) : Path.of("").toAbsolutePath();
        if (!Files.isRegularFile(p.resolve("deps.edn"))) {
            throw new IllegalStateException("not the entangle project directory: " + p);
        }
        return p;
    }
}
