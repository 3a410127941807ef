package entangle.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The JDKs of this machine (under /usr/lib/jvm), for tests that run entangle on each. */
public final class Jdks {
    private Jdks() {}

    /**
     * The java of each JDK installed under Debian's /usr/lib/jvm (a fresh machine here has
     * OpenJDK 17, the default, and Temurin's), each once however many names it has there, in
     * the order of their directories. Empty where there is no /usr/lib/jvm.
     */
    public static List<Path> installed() throws IOException {
        Path root = Path.of("/usr/lib/jvm");
        List<Path> jdks = new ArrayList<>();
        if (!Files.isDirectory(root)) return jdks;
        try (var dirs = Files.list(root)) {
            for (Path d : dirs.sorted().toList()) {
                Path java = d.resolve("bin/java");
                if (!Files.isExecutable(java)) continue;
                Path real = java.toRealPath();
                if (!jdks.contains(real)) jdks.add(real);
            }
        }
        return jdks;
    }

    /** The feature version (17, 25) of the JDK whose java is {@code java}, from its release file. */
    public static int featureVersion(Path java) throws IOException {
        Path release = java.getParent().getParent().resolve("release");
        Matcher m = Pattern.compile("(?m)^JAVA_VERSION=\"(\\d+)").matcher(Files.readString(release));
        if (!m.find()) throw new IllegalStateException(release + " names no JAVA_VERSION");
        return Integer.parseInt(m.group(1));
    }
}
