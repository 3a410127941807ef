package entangle;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import entangle.cluster.ClusterSecret;

/**
 * How a JVM joins the cluster as a member: the Hazelcast cluster name, the interface and
 * first port it binds, where it looks for the other members, the cluster's secret if it has
 * one, and where Hazelcast logs go.
 *
 * <p>A member is an embedded Hazelcast member unless {@link #client(boolean)} is set: then it
 * connects as a Hazelcast client to an existing cluster found at {@link #members()}, and holds
 * none of the cluster's data (the way to use a cluster of plain Hazelcast servers). A
 * {@linkplain #hazelcastConfig(Path) Hazelcast configuration file}, member or client as the
 * case may be, replaces the cluster name and network options.
 *
 * <p>Every setter validates its argument and throws {@link IllegalArgumentException} with a
 * message that names the option ("MemberOptions.port: port 70000 is not between 1 and
 * 65526", or as {@link #labels} set before names it) and what was wrong with it, so that the
 * REPL and a host application can show it as it is.
 */
public final class MemberOptions {
    /** The cluster a member joins unless told otherwise. */
    public static final String DEFAULT_CLUSTER = "entangle";
    /** The interface a member binds unless told otherwise: loopback, so nothing is exposed. */
    public static final String DEFAULT_BIND = "127.0.0.1";
    /** The first port a member tries; it takes the next free one of {@link #PORT_COUNT}. */
    public static final int DEFAULT_PORT = 5701;
    /** How many ports from the first one a member may bind. */
    public static final int PORT_COUNT = 10;
    /**
     * Where a member looks for the others unless told otherwise, with the default bind and
     * port: the ten ports from {@link #port()} at the host it binds (loopback if it binds every
     * interface), so that a second member started with the same options finds the first.
     */
    public static final String DEFAULT_MEMBERS = "127.0.0.1:5701-5710";

    private String cluster = DEFAULT_CLUSTER;
    private String bind = DEFAULT_BIND;
    private boolean bindsEveryInterface;
    private int port = DEFAULT_PORT;
    /** As given, expanded by {@link #members()} with the port then set; null: the default. */
    private String membersSpec;
    private Path logFile;
    private boolean client;
    private Path hazelcastConfig;
    private ClusterSecret secret;
    private Map<String, String> labels = Map.of();
    /**
     * The options set here that a {@linkplain #hazelcastConfig(Path) Hazelcast configuration
     * file} decides in their place (cluster, port, members, bind), in the order they were.
     */
    private final java.util.Set<String> networkSet = new java.util.LinkedHashSet<>();

    public MemberOptions cluster(String name) {
        if (name == null || name.isBlank() || !name.matches("[A-Za-z0-9._-]+")) {
            throw refused("cluster", "cluster name '" + name + "' must be letters, digits, '.', '_' or '-'");
        }
        this.cluster = name;
        networkSet.add("cluster");
        return this;
    }

    public MemberOptions bind(String host) {
        if (host == null || host.isBlank() || host.contains(":") && !host.contains("::")) {
            throw refused("bind", "bind address '" + host + "' is not a host name or IP address");
        }
        // Resolved now, not when Hazelcast binds: there the failure reads as a cluster that
        // refused the member.
        java.net.InetAddress address;
        try {
            address = java.net.InetAddress.getByName(host);
        } catch (java.net.UnknownHostException e) {
            throw refused("bind", "bind address '" + host + "' does not resolve (give a host name or IP address of"
                + " this machine)");
        }
        this.bind = host;
        this.bindsEveryInterface = address.isAnyLocalAddress();
        networkSet.add("bind");
        return this;
    }

    public MemberOptions port(int port) {
        // The member may take any of the PORT_COUNT ports from this one; the last is 65535.
        if (port < 1 || port > 65536 - PORT_COUNT) {
            throw refused("port", "port " + port + " is not between 1 and " + (65536 - PORT_COUNT));
        }
        this.port = port;
        networkSet.add("port");
        return this;
    }

    /**
     * {@code host[:port[-port]],...}, for example {@code 127.0.0.1:5701-5710,10.0.0.7:5701}; a
     * host alone stands for the ten ports from {@link #port()} there.
     */
    public MemberOptions members(String spec) {
        try {
            parseMembers(spec, port);
        } catch (IllegalArgumentException e) {
            throw refused("members", e.getMessage());
        }
        this.membersSpec = spec;
        networkSet.add("members");
        return this;
    }

    public MemberOptions logFile(Path file) {
        this.logFile = file;
        return this;
    }

    /** Connects as a Hazelcast client of the cluster at {@link #members()} instead of embedding a member. */
    public MemberOptions client(boolean client) {
        this.client = client;
        return this;
    }

    /**
     * A Hazelcast configuration file (XML or YAML; a client configuration if {@link #client()})
     * that decides the cluster name and network settings in place of these options: a member
     * started with one of them set too is refused ({@link #check}). entangle adds its own
     * settings (its maps, executors and serialization) to what the file says.
     */
    public MemberOptions hazelcastConfig(Path file) {
        if (file != null) {
            String name = file.getFileName() == null ? "" : file.getFileName().toString();
            if (!name.matches(".*\\.(xml|yaml|yml)")) {
                throw refused("hazelcastConfig", "Hazelcast configuration '" + file + "' must be a .xml, .yaml or .yml file");
            }
            if (!java.nio.file.Files.isReadable(file)) {
                throw refused("hazelcastConfig", "Hazelcast configuration '" + file + "' cannot be read");
            }
        }
        this.hazelcastConfig = file;
        return this;
    }

    /**
     * The file that holds the cluster's secret: a cluster started with one lets in only the
     * members and clients that hold it too, and one started without lets in only those that
     * hold none. The file must be readable by its owner alone ({@code chmod 600}); it is read
     * here, once. Null: no secret.
     */
    public MemberOptions secretFile(Path file) {
        try {
            this.secret = file == null ? null : ClusterSecret.read(file);
        } catch (IllegalArgumentException e) {
            throw refused("secretFile", e.getMessage());
        }
        return this;
    }

    /** A refusal of {@code option}'s value, named as {@link #label} names it: "MemberOptions.port: ...". */
    private IllegalArgumentException refused(String option, String why) {
        return new IllegalArgumentException(label(option) + ": " + why);
    }

    /**
     * Names the options in messages (refusals and hints) as the user set them, by option ("cluster",
     * "port", "members", "bind", "client", "hazelcastConfig", "secretFile"): "--port" for a
     * command line, "ENTANGLE_PORT" for an environment. Not part of what the options are
     * ({@link #equals}). Unnamed options are named by their method here
     * ("MemberOptions.port"; "client" by {@code Entangle.connect}).
     */
    public MemberOptions labels(Map<String, String> labels) {
        this.labels = Map.copyOf(labels);
        return this;
    }

    /**
     * Throws IllegalArgumentException, naming them, for options that contradict each other: a
     * cluster name or network option set together with a Hazelcast configuration file, which
     * decides them in its place. Taking one and leaving the other without a word would join
     * another cluster than the one the user named.
     */
    public void check() {
        if (hazelcastConfig == null || networkSet.isEmpty()) return;
        List<String> given = networkSet.stream().map(this::label).toList();
        int last = given.size() - 1;
        String named = last == 0 ? given.get(0)
            : String.join(", ", given.subList(0, last)) + " and " + given.get(last);
        throw new IllegalArgumentException(named + " cannot be given with " + label("hazelcastConfig")
            + ": its file " + hazelcastConfig + " decides the cluster name and network in "
            + (last == 0 ? "its" : "their") + " place; set " + (last == 0 ? "it" : "them")
            + " there, or leave out the file");
    }

    /** What messages call {@code option} (see {@link #labels}). */
    public String label(String option) {
        String l = labels.get(option);
        if (l != null) return l;
        return "client".equals(option) ? "Entangle.connect" : "MemberOptions." + option;
    }

    public String cluster() { return cluster; }
    public String bind() { return bind; }
    public int port() { return port; }
    /**
     * The member addresses to try, each {@code host:port}, port ranges expanded: those given, or
     * else the ten ports from {@link #port()} at the host this member binds, or at loopback if
     * it binds every interface.
     */
    public List<String> members() {
        if (membersSpec != null) return parseMembers(membersSpec, port);
        String host = bindsEveryInterface ? "127.0.0.1" : bind.contains(":") ? "[" + bind + "]" : bind;
        return parseMembers(host, port);
    }

    /** True if {@link #bind()} is the wildcard address (0.0.0.0 or ::): every interface of this machine. */
    public boolean bindsEveryInterface() { return bindsEveryInterface; }
    /** The file Hazelcast logs to; {@code null} means the default one, see {@link #effectiveLogFile(String)}. */
    public Path logFile() { return logFile; }
    /** True if this member connects as a Hazelcast client rather than embedding a member. */
    public boolean client() { return client; }
    /** The Hazelcast configuration file, or null. */
    public Path hazelcastConfig() { return hazelcastConfig; }
    /** The cluster's secret, or null. */
    public ClusterSecret secret() { return secret; }

    /**
     * The log file of a member of {@code cluster} (this options' cluster, or the one its
     * Hazelcast configuration file names): the one set, or
     * {@code <tmpdir>/entangle-<user>/<cluster>-<pid>.log}, a directory of each user's own,
     * since a temporary directory is every user's.
     */
    public Path effectiveLogFile(String cluster) {
        if (logFile != null) return logFile;
        String user = System.getProperty("user.name", "").replaceAll("[^A-Za-z0-9._-]", "_");
        return Path.of(System.getProperty("java.io.tmpdir"), user.isEmpty() ? "entangle" : "entangle-" + user,
                       cluster + "-" + ProcessHandle.current().pid() + ".log");
    }

    static List<String> parseMembers(String spec, int port) {
        if (spec == null || spec.isBlank()) {
            throw new IllegalArgumentException("members list is empty; give host:port,... such as " + DEFAULT_MEMBERS);
        }
        List<String> out = new ArrayList<>();
        for (String raw : spec.split(",")) {
            String item = raw.trim();
            if (item.isEmpty()) continue;
            // An IPv6 address is written in brackets, [fd00::2]:5701, or alone, [fd00::2].
            int colon = item.endsWith("]") ? -1 : item.lastIndexOf(':');
            String host = colon < 0 ? item : item.substring(0, colon);
            String ports = colon < 0 ? port + "-" + (port + PORT_COUNT - 1) : item.substring(colon + 1);
            if (host.isEmpty() || !ports.matches("\\d{1,5}(-\\d{1,5})?")) {
                throw new IllegalArgumentException("member '" + item + "' is not host, host:port or host:port-port");
            }
            String[] range = ports.split("-");
            int from = Integer.parseInt(range[0]);
            int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
            if (from < 1 || to > 65535 || to < from || to - from > 100) {
                throw new IllegalArgumentException("member '" + item + "' has an invalid port range");
            }
            for (int p = from; p <= to; p++) out.add(host + ":" + p);
        }
        if (out.isEmpty()) throw new IllegalArgumentException("members list '" + spec + "' names no member");
        return List.copyOf(out);
    }

    @Override
    public String toString() {
        if (hazelcastConfig != null) return (client ? "client, " : "") + "Hazelcast configuration " + hazelcastConfig;
        return (client ? "client of cluster " + cluster : "cluster " + cluster + ", bind " + bind + ":" + port + "-"
            + (port + PORT_COUNT - 1)) + ", members " + members().size() + " addresses";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MemberOptions m && cluster.equals(m.cluster) && bind.equals(m.bind)
            && port == m.port && members().equals(m.members()) && Objects.equals(logFile, m.logFile)
            && client == m.client && Objects.equals(hazelcastConfig, m.hazelcastConfig)
            && Objects.equals(secretFile(), m.secretFile());
    }

    @Override
    public int hashCode() { return Objects.hash(cluster, bind, port, members(), logFile, client, hazelcastConfig, secretFile()); }

    private Path secretFile() { return secret == null ? null : secret.file(); }
}
