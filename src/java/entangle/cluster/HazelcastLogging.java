package entangle.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.FileHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.logging.StreamHandler;

/**
 * Sends Hazelcast's logging (and entangle's own record of what it did) to a file, so that a
 * clustered REPL is as quiet as a plain one; or to standard error when asked for.
 */
public final class HazelcastLogging {
    // java.util.logging holds loggers weakly; these keep the configured ones alive.
    private static final Logger HAZELCAST = Logger.getLogger("com.hazelcast");
    private static final Logger ENTANGLE = Logger.getLogger("entangle");
    private static Handler handler;

    private HazelcastLogging() {}

    /** Logs to {@code file}, or to standard error if {@code file} is "-". */
    public static synchronized void to(Path file) {
        System.setProperty("hazelcast.logging.type", "jdk");
        if (handler != null) return;
        try {
            if (file.toString().equals("-")) {
                handler = new StreamHandler(System.err, new SimpleFormatter()) {
                    @Override
                    public synchronized void publish(java.util.logging.LogRecord r) {
                        super.publish(r);
                        flush();
                    }
                };
            } else {
                Path parent = file.toAbsolutePath().getParent();
                if (parent != null) Files.createDirectories(parent);
                handler = new FileHandler(file.toAbsolutePath().toString().replace("%", "%%"), true);
                handler.setFormatter(new SimpleFormatter());
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write the log file " + file + ": " + e.getMessage(), e);
        }
        for (Logger l : new Logger[] {HAZELCAST, ENTANGLE}) {
            l.setUseParentHandlers(false);
            l.addHandler(handler);
            l.setLevel(Level.INFO);
        }
    }

    /** entangle's own log: what it refused, repaired or waited for. */
    public static Logger entangle() {
        return ENTANGLE;
    }
}
