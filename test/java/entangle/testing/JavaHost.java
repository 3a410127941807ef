package entangle.testing;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A Java host application in its own JVM ({@link FacadeHost}, which uses the Java API as an
 * application would), driven one command at a time.
 */
public final class JavaHost implements AutoCloseable {
    private final ReplProcess process;

    private JavaHost(ReplProcess process) {
        this.process = process;
    }

    /** Starts a host whose ENTANGLE_* environment puts it in {@code cluster}, plus {@code env}; it has not joined yet. */
    public static JavaHost start(TestCluster cluster, String name, Map<String, String> env) {
        return start(cluster, name, env, ReplProcess.javaCommand(FacadeHost.class.getName(), testClasses().toString(), List.of()));
    }

    /** As {@link #start(TestCluster, String, Map)}, run by the JDK of {@code java} with {@code jvmOptions} alone. */
    public static JavaHost start(TestCluster cluster, String name, Map<String, String> env, Path java,
                                 List<String> jvmOptions) {
        return start(cluster, name, env, ReplProcess.javaCommand(java, jvmOptions, FacadeHost.class.getName(),
                                                                 testClasses().toString(), List.of()));
    }

    private static JavaHost start(TestCluster cluster, String name, Map<String, String> env, List<String> command) {
        Map<String, String> all = new HashMap<>(cluster.environment(name));
        all.putAll(env);
        return new JavaHost(cluster.adopt(ReplProcess.run(name, command, Projects.dir(), all)));
    }

    /** Sends a command and returns its answer line: "=> value" or "!! exception". */
    public String ask(String command) {
        process.send(command + "\n");
        while (true) {
            String line = process.readLine();
            if (line.startsWith("=> ") || line.startsWith("!! ")) return line;
        }
    }

    /** The printed value a command returned; fails with the host's transcript if it threw. */
    public String value(String command) {
        String answer = ask(command);
        if (!answer.startsWith("=> ")) throw new AssertionError(command + " -> " + answer + "\n" + process.transcript());
        return answer.substring(3);
    }

    public ReplProcess process() { return process; }

    public static Path testClasses() {
        return Projects.dir().resolve("target/test-classes");
    }

    @Override
    public void close() {
        process.close();
    }
}
