package entangle.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A cluster of real member processes on loopback, with a name unique to this run and a block
 * of ten ports of its own, so that test classes and parallel runs never meet.
 */
public final class TestCluster implements AutoCloseable {
    private final String name = "entangle-test-" + UUID.randomUUID().toString().substring(0, 8);
    private final int port = freePortBlock();
    private final List<ReplProcess> members = new ArrayList<>();

    public String name() { return name; }

    /** The first port of the cluster's block. */
    public int port() { return port; }

    /** The options that put a REPL in this cluster. */
    public List<String> args(String member) {
        return List.of("--cluster", name, "--port", String.valueOf(port),
                       "--members", "127.0.0.1:" + port + "-" + (port + 9),
                       "--log-file", ReplProcess.logFile(name, member).toString());
    }

    /** Starts a member and returns once its prompt is up (it has joined and synced). */
    public ReplProcess start(String member) {
        ReplProcess p = startNoWait(member);
        p.eval("nil");
        return p;
    }

    /** Starts a member with Clojure CLI options (such as -Sdeps) and waits for its prompt. */
    public ReplProcess start(String member, List<String> cliOptions) {
        return start(member, cliOptions, List.of());
    }

    /**
     * The options that put a REPL in this cluster followed by {@code moreArgs}; with a
     * {@code --hazelcast-config} among them, only the log file's, since the file names the
     * cluster and its network in their place (and the REPL refuses both).
     */
    private List<String> args(String member, List<String> moreArgs) {
        List<String> args = new ArrayList<>(moreArgs.contains("--hazelcast-config")
            ? List.of("--log-file", ReplProcess.logFile(name, member).toString())
            : args(member));
        args.addAll(moreArgs);
        return args;
    }

    /** Starts a member with Clojure CLI options and more REPL options, and waits for its prompt. */
    public ReplProcess start(String member, List<String> cliOptions, List<String> moreArgs) {
        ReplProcess p = ReplProcess.start(member, cliOptions, args(member, moreArgs), Map.of());
        synchronized (members) {
            members.add(p);
        }
        p.eval("nil");
        return p;
    }

    /** The ENTANGLE_* environment that puts any entangle process (one not started with options) in this cluster. */
    public Map<String, String> environment(String member) {
        return Map.of("ENTANGLE_CLUSTER", name, "ENTANGLE_PORT", String.valueOf(port),
                      "ENTANGLE_MEMBERS", "127.0.0.1:" + port + "-" + (port + 9),
                      "ENTANGLE_LOG_FILE", ReplProcess.logFile(name, member).toString());
    }

    /** Keeps a process started otherwise (with {@link ReplProcess#run}) to close with the cluster. */
    public ReplProcess adopt(ReplProcess p) {
        synchronized (members) {
            members.add(p);
        }
        return p;
    }

    /** Starts a member without waiting for its prompt. */
    public ReplProcess startNoWait(String member) {
        return startNoWait(member, List.of());
    }

    /** Starts a member with more REPL options, without waiting for its prompt. */
    public ReplProcess startNoWait(String member, List<String> moreArgs) {
        ReplProcess p = ReplProcess.start(member, args(member, moreArgs), Map.of());
        synchronized (members) {
            members.add(p);
        }
        return p;
    }

    @Override
    public void close() {
        List<ReplProcess> all;
        synchronized (members) {
            all = new ArrayList<>(members);
        }
        all.parallelStream().forEach(ReplProcess::close);
    }

    /**
     * A block of ten consecutive free loopback ports, at a random place so parallel runs differ,
     * below Linux's ephemeral ports (32768 and up), which servers on port 0 (nREPL's) and
     * outgoing connections take: in a CI run, the first port of a block found free was taken
     * by another listener before the class's plain Hazelcast server started, which bound the
     * block's second port, and its clients, looking at the first, never found it. No block is
     * given twice in a run: a block is free when it is given, not when its first member starts,
     * and a class running beside the others could be given it in between and hold its ten ports
     * for a test of ports in use. That is the likeliest cause of a CI failure: SpecsTest's first
     * member found all ten of its ports in use.
     */
    public static int freePortBlock() {
        for (int attempt = 0; attempt < 200; attempt++) {
            int base = 20_000 + ThreadLocalRandom.current().nextInt(1_270) * 10;
            if (allFree(base, 10) && GIVEN.add(base)) return base;
        }
        throw new IllegalStateException("no block of ten free ports on loopback");
    }

    private static final java.util.Set<Integer> GIVEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private static boolean allFree(int base, int count) {
        for (int p = base; p < base + count; p++) {
            try (ServerSocket s = new ServerSocket(p, 1, InetAddress.getLoopbackAddress())) {
                s.setReuseAddress(true);
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }
}
