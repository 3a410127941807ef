package entangle.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.logging.FileHandler;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
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
    /** What Hazelcast logged before the log's file was known (see {@link #hold}). */
    private static Held held;
    /** Where the handler writes: a file, or "-" for standard error. */
    private static Path file;

    private HazelcastLogging() {}

    /**
     * The file this JVM's Hazelcast logs to ("-": standard error), or null before any member
     * started: the first member's, for every member the JVM starts after it.
     */
    public static synchronized Path file() {
        return file;
    }

    /**
     * Keeps what Hazelcast logs until {@link #to} names the file, rather than letting it reach
     * standard error: the default file is named after the cluster, which a configuration file
     * names, and Hazelcast logs as it reads one.
     */
    public static synchronized void hold() {
        System.setProperty("hazelcast.logging.type", "jdk");
        if (handler != null || held != null) return;
        held = new Held();
        HAZELCAST.setUseParentHandlers(false);
        HAZELCAST.addHandler(held);
        HAZELCAST.setLevel(Level.INFO);
    }

    /**
     * Logs to {@code file}, or to standard error if {@code file} is "-", with what was held
     * until then. A log names the members and clients that connected, with their labels (a
     * secret's proof among them), so a file it creates is its owner's alone; in a {@code
     * directoryOfItsOwn} (the default one, in the temporary directory every user shares) the
     * directory is too, and one another user made is refused.
     */
    public static synchronized void to(Path file, boolean directoryOfItsOwn) {
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
                Path absolute = file.toAbsolutePath();
                boolean posix = absolute.getFileSystem().supportedFileAttributeViews().contains("posix");
                Path parent = absolute.getParent();
                if (parent != null && !Files.isDirectory(parent)) {
                    if (posix) Files.createDirectories(parent, PosixFilePermissions.asFileAttribute(PRIVATE_DIRECTORY));
                    else Files.createDirectories(parent);
                } else if (parent != null && directoryOfItsOwn && posix) {
                    checkOwn(parent);
                }
                if (parent != null && directoryOfItsOwn) removeEndedLogs(parent, KEPT_ENDED_LOGS);
                // Made private before anything is written: a reader that opened it earlier would keep reading.
                if (posix && !Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createFile(absolute, PosixFilePermissions.asFileAttribute(PRIVATE_FILE));
                }
                handler = new FileHandler(absolute.toString().replace("%", "%%"), true);
                handler.setFormatter(new SimpleFormatter());
            }
            HazelcastLogging.file = file.toString().equals("-") ? file : file.toAbsolutePath();
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write the log file " + file + ": " + reason(e), e);
        }
        for (Logger l : new Logger[] {HAZELCAST, ENTANGLE}) {
            l.setUseParentHandlers(false);
            l.addHandler(handler);
            l.setLevel(Level.INFO);
        }
        if (held != null) {
            HAZELCAST.removeHandler(held);
            held.records.forEach(handler::publish);
            held = null;
        }
        // An exception no Hazelcast thread catches went to standard error, as the JVM prints
        // one, the only Hazelcast output the log did not take (seen: "Exception in thread
        // \"hz.entangle-....cached.thread-1\" java.lang.RuntimeException: Connecting to self!"
        // at a REPL, from a reconnection task). An application's own handler is left alone.
        if (Thread.getDefaultUncaughtExceptionHandler() == null) {
            Thread.setDefaultUncaughtExceptionHandler(HazelcastLogging::uncaught);
        }
    }

    /** Why {@code e} failed, in words: a file system exception's message is often the path alone. */
    static String reason(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) return "permission denied";
        if (e instanceof java.nio.file.NoSuchFileException) return "it does not exist and cannot be made there";
        if (e instanceof java.nio.file.FileSystemException f && f.getReason() != null) return f.getReason();
        return e.getMessage() == null ? e.getClass().getName() : e.getMessage();
    }

    /**
     * How many logs of members that have ended the default directory keeps: the newest, for a
     * look at what a member that crashed or was refused logged; older ones are removed as a
     * member starts, as the directory would otherwise grow by a file at every start.
     */
    public static final int KEPT_ENDED_LOGS = Integer.getInteger("entangle.log.kept", 20);

    private static final java.util.regex.Pattern LOG_NAME = java.util.regex.Pattern.compile(".*-(\\d{1,18})\\.log(\\.lck)?");

    /**
     * Removes from {@code dir} the logs ({@code <cluster>-<pid>.log}) of processes no longer
     * running but the {@code kept} newest, and their lock files ({@code .log.lck}), which a JVM
     * killed leaves. Another file there, or one of a running process, is left as it is.
     */
    public static void removeEndedLogs(Path dir, int kept) {
        List<Path> ended = new ArrayList<>();
        try (var files = Files.list(dir)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                java.util.regex.Matcher m = LOG_NAME.matcher(f.getFileName().toString());
                if (!m.matches() || !Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) continue;
                if (ProcessHandle.of(Long.parseLong(m.group(1))).map(ProcessHandle::isAlive).orElse(false)) continue;
                if (m.group(2) != null) Files.deleteIfExists(f);
                else ended.add(f);
            }
            ended.sort(java.util.Comparator.comparing(HazelcastLogging::modified).reversed());
            for (Path f : ended.subList(Math.min(Math.max(kept, 0), ended.size()), ended.size())) Files.deleteIfExists(f);
        } catch (IOException | UncheckedIOException e) {
            // Only tidying: a member that cannot tidy its logs still starts.
            ENTANGLE.log(Level.FINE, "could not remove old logs from " + dir, e);
        }
    }

    private static java.nio.file.attribute.FileTime modified(Path f) {
        try {
            return Files.getLastModifiedTime(f, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException e) {
            return java.nio.file.attribute.FileTime.fromMillis(0);
        }
    }

    private static void uncaught(Thread t, Throwable e) {
        if (t.getName().startsWith("hz.")) {
            HAZELCAST.log(Level.WARNING, "uncaught in thread " + t.getName(), e);
        } else if (!(e instanceof ThreadDeath)) {
            // As the JVM prints it without a handler.
            System.err.print("Exception in thread \"" + t.getName() + "\" ");
            e.printStackTrace(System.err);
        }
    }

    private static final Set<PosixFilePermission> PRIVATE_DIRECTORY = PosixFilePermissions.fromString("rwx------");
    private static final Set<PosixFilePermission> PRIVATE_FILE = PosixFilePermissions.fromString("rw-------");

    private static void checkOwn(Path dir) throws IOException {
        PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        if (!a.isDirectory() || !a.owner().getName().equals(System.getProperty("user.name"))
            || !PRIVATE_DIRECTORY.containsAll(a.permissions())) {
            throw new IOException("the directory " + dir + " is not this user's alone (" + a.owner().getName() + ", "
                + PosixFilePermissions.toString(a.permissions()) + "); remove it, or choose another log file");
        }
    }

    private static final class Held extends Handler {
        final java.util.List<LogRecord> records = new java.util.ArrayList<>();

        @Override
        public synchronized void publish(LogRecord r) {
            records.add(r);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
    }

    /** entangle's own log: what it refused, repaired or waited for. */
    public static Logger entangle() {
        return ENTANGLE;
    }
}
