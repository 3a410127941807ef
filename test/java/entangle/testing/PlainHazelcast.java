package entangle.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A plain Hazelcast server, as an existing cluster has them: Hazelcast's own member starter,
 * with Hazelcast alone on its classpath (no entangle, no Clojure), in the test cluster's name
 * and ports.
 */
public final class PlainHazelcast {
    private PlainHazelcast() {}

    /** Starts a server of {@code cluster} and returns once it accepts connections. */
    public static ReplProcess start(TestCluster cluster, String name) throws IOException, InterruptedException {
        Path config = Projects.dir().resolve("target/test-logs/" + cluster.name() + "-" + name + ".yaml");
        Files.createDirectories(config.getParent());
        Files.writeString(config, String.join("\n",
            "hazelcast:",
            "  cluster-name: " + cluster.name(),
            "  properties:",
            "    hazelcast.phone.home.enabled: false",
            "  network:",
            "    port:",
            "      port: " + cluster.port(),
            "      auto-increment: true",
            "      port-count: 10",
            "    join:",
            "      auto-detection:",
            "        enabled: false",
            "      multicast:",
            "        enabled: false",
            "      tcp-ip:",
            "        enabled: true",
            "        member-list:",
            "          - 127.0.0.1:" + cluster.port(),
            "    interfaces:",
            "      enabled: true",
            "      interfaces:",
            "        - 127.0.0.1",
            ""));
        String jar = Path.of(com.hazelcast.core.Hazelcast.class.getProtectionDomain().getCodeSource().getLocation().getPath())
            .toString();
        ReplProcess server = cluster.adopt(ReplProcess.service(name, List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Dhazelcast.config=" + config, "-cp", jar, "com.hazelcast.core.server.HazelcastMemberStarter"),
            Projects.dir(), Map.of()));
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline && server.alive()) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", cluster.port()), 500);
                return server;
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
        throw new AssertionError("the Hazelcast server did not start\n" + server.transcript());
    }
}
