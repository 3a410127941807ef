package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;

import org.junit.jupiter.api.Test;

class MemberOptionsTest {
    /** Files the tests write, removed once the class has run. */
    @org.junit.jupiter.api.io.TempDir
    static java.nio.file.Path tmp;

    @Test
    void defaultsAreLoopbackAndTheFirstTenPorts() {
        MemberOptions o = new MemberOptions();
        assertEquals("entangle", o.cluster());
        assertEquals("127.0.0.1", o.bind());
        assertEquals(5701, o.port());
        assertEquals(10, o.members().size());
        assertEquals("127.0.0.1:5701", o.members().get(0));
        assertEquals("127.0.0.1:5710", o.members().get(9));
    }

    @Test
    void membersTakeHostsPortsAndRanges() {
        assertEquals(List.of("10.0.0.7:5701", "a.example:6000", "a.example:6001", "b:5701", "b:5702", "b:5703",
                             "b:5704", "b:5705", "b:5706", "b:5707", "b:5708", "b:5709", "b:5710"),
                     new MemberOptions().members(" 10.0.0.7:5701, a.example:6000-6001 ,b").members());
    }

    @Test
    void unlessToldTheMembersAreTheTenPortsFromThePortAtTheBindAddress() {
        assertEquals(List.of("127.0.0.1:6000", "127.0.0.1:6009"), ends(new MemberOptions().port(6000).members()));
        assertEquals(List.of("127.0.0.2:6000", "127.0.0.2:6009"),
                     ends(new MemberOptions().bind("127.0.0.2").port(6000).members()));
        assertEquals(List.of("[::1]:5701", "[::1]:5710"), ends(new MemberOptions().bind("::1").members()));
        // Every interface: the others are looked for on loopback, one of them.
        MemberOptions any = new MemberOptions().bind("0.0.0.0").port(6000);
        assertEquals(true, any.bindsEveryInterface());
        assertEquals(false, new MemberOptions().bindsEveryInterface());
        assertEquals(List.of("127.0.0.1:6000", "127.0.0.1:6009"), ends(any.members()));
        // A host alone stands for the ten ports from the port, set before or after it.
        assertEquals(List.of("b:6000", "b:6009"), ends(new MemberOptions().members("b").port(6000).members()));
        assertEquals(List.of("[fd00::2]:6000", "[fd00::2]:6009"),
                     ends(new MemberOptions().port(6000).members("[fd00::2]").members()));
        // Given members are kept whatever the port.
        assertEquals(List.of("10.0.0.7:5701"), new MemberOptions().members("10.0.0.7:5701").port(6000).members());
        assertEquals(new MemberOptions().members("127.0.0.1:6000-6009").port(6000), new MemberOptions().port(6000));
    }

    private static List<String> ends(List<String> members) {
        assertEquals(10, members.size(), members.toString());
        return List.of(members.get(0), members.get(9));
    }

    @Test
    void malformedValuesAreRefusedWithTheirText() {
        assertEquals("MemberOptions.members: member 'x:y' is not host, host:port or host:port-port",
                     assertThrows(IllegalArgumentException.class, () -> new MemberOptions().members("x:y")).getMessage());
        assertEquals("MemberOptions.members: member 'x:9-1' has an invalid port range",
                     assertThrows(IllegalArgumentException.class, () -> new MemberOptions().members("x:9-1")).getMessage());
        assertEquals("MemberOptions.members: members list is empty; give host:port,... such as 127.0.0.1:5701-5710",
                     assertThrows(IllegalArgumentException.class, () -> new MemberOptions().members(" ")).getMessage());
        assertEquals("MemberOptions.port: port 0 is not between 1 and 65526",
                     assertThrows(IllegalArgumentException.class, () -> new MemberOptions().port(0)).getMessage());
        assertEquals("MemberOptions.port: port 65527 is not between 1 and 65526",
                     assertThrows(IllegalArgumentException.class, () -> new MemberOptions().port(65527)).getMessage());
        assertEquals(65526, new MemberOptions().port(65526).port()); // its ten ports end at 65535
        assertEquals("MemberOptions.bind: bind address 'not a host' does not resolve (give a host name or IP address of this machine)",
                     assertThrows(IllegalArgumentException.class, () -> new MemberOptions().bind("not a host")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> new MemberOptions().cluster("a b"));
        assertThrows(IllegalArgumentException.class, () -> new MemberOptions().bind("host:1"));
    }

    /**
     * entangle.core/start! refuses a misspelt option or a value of another kind before anything
     * starts: {:clustr "shop"} joined the cluster "entangle", {:client "no"} connected as a
     * client, and {:port 5.5} bound port 5.
     */
    @Test
    void startRefusesAnOptionItDoesNotKnowOrAValueOfAnotherKindBeforeJoining() {
        clojure.lang.IFn require = clojure.java.api.Clojure.var("clojure.core", "require");
        require.invoke(clojure.java.api.Clojure.read("entangle.core"));
        clojure.lang.IFn start = clojure.java.api.Clojure.var("entangle.core", "start!");
        java.util.function.Function<String, String> refusal = options -> assertThrows(IllegalArgumentException.class,
            () -> start.invoke(clojure.java.api.Clojure.read(options))).getMessage();
        assertEquals("unknown option :clustr; the options are :bind, :client, :cluster, :hazelcast-config, :log-file,"
            + " :members, :port, :secret-file", refusal.apply("{:clustr \"shop\"}"));
        assertEquals(":port: must be a whole number, not 5.5", refusal.apply("{:cluster \"shop\" :port 5.5}"));
        assertEquals(":port: must be a whole number, not \"5701\"", refusal.apply("{:port \"5701\"}"));
        assertEquals(":client: must be true or false, not \"no\"", refusal.apply("{:client \"no\"}"));
        assertEquals(":members: must be a string (\"host:port-port,...\"), not 5", refusal.apply("{:members 5}"));
        assertEquals("the options must be a map, such as {:cluster \"shop\"}, or an entangle.MemberOptions, not 5701",
            refusal.apply("5701"));
        // What MemberOptions refuses is named by the key too, for a map given to start!.
        assertEquals(":port: port 70000 is not between 1 and 65526", refusal.apply("{:port 70000}"));
        assertEquals(null, clojure.java.api.Clojure.var("entangle.core", "member").invoke());
    }

    @Test
    void joinFromTheEnvironmentNamesTheVariableOfABadValue() {
        // Checked by MemberOptions, past the parsing of the variables: the name must travel there.
        try (entangle.testing.TestCluster none = new entangle.testing.TestCluster();
             entangle.testing.JavaHost host = entangle.testing.JavaHost.start(none, "bad-env",
                 java.util.Map.of("ENTANGLE_MEMBERS", "foo:bar"))) {
            assertEquals("!! java.lang.IllegalArgumentException: ENTANGLE_MEMBERS: member 'foo:bar' is not host,"
                + " host:port or host:port-port", host.ask("join"));
        }
    }

    @Test
    void aHazelcastConfigurationMustBeAReadableXmlOrYamlFile() throws Exception {
        assertEquals("MemberOptions.hazelcastConfig: Hazelcast configuration 'hz.properties' must be a .xml, .yaml or .yml file",
                     assertThrows(IllegalArgumentException.class,
                                  () -> new MemberOptions().hazelcastConfig(java.nio.file.Path.of("hz.properties"))).getMessage());
        assertEquals("MemberOptions.hazelcastConfig: Hazelcast configuration 'no/such/hazelcast.yaml' cannot be read",
                     assertThrows(IllegalArgumentException.class,
                                  () -> new MemberOptions().hazelcastConfig(java.nio.file.Path.of("no/such/hazelcast.yaml"))).getMessage());
        java.nio.file.Path yaml = java.nio.file.Files.createTempFile(tmp, "hazelcast", ".yaml");
        MemberOptions o = new MemberOptions().client(true).hazelcastConfig(yaml);
        assertEquals(yaml, o.hazelcastConfig());
        assertEquals(true, o.client());
        assertEquals("client, Hazelcast configuration " + yaml, o.toString());
    }

    @Test
    void aClusterOrNetworkOptionSetWithAHazelcastConfigurationIsRefusedBeforeJoining() throws Exception {
        java.nio.file.Path yaml = java.nio.file.Files.writeString(tmp.resolve("refusing.yaml"), "hazelcast:\n");
        new MemberOptions().hazelcastConfig(yaml).logFile(tmp.resolve("x.log")).client(false).check();
        assertEquals("MemberOptions.cluster and MemberOptions.bind cannot be given with MemberOptions.hazelcastConfig: its"
            + " file " + yaml + " decides the cluster name and network in their place; set them there, or leave out the file",
            assertThrows(IllegalArgumentException.class,
                         () -> Member.start(new MemberOptions().hazelcastConfig(yaml).cluster("shop").bind("127.0.0.1"),
                                            m -> { })).getMessage());
        clojure.lang.IFn require = clojure.java.api.Clojure.var("clojure.core", "require");
        require.invoke(clojure.java.api.Clojure.read("entangle.core"));
        clojure.lang.IFn start = clojure.java.api.Clojure.var("entangle.core", "start!");
        assertEquals(":port cannot be given with :hazelcast-config: its file " + yaml + " decides the cluster name and"
            + " network in its place; set it there, or leave out the file",
            assertThrows(IllegalArgumentException.class, () -> start.invoke(clojure.java.api.Clojure.read(
                "{:port 5900 :hazelcast-config \"" + yaml + "\"}"))).getMessage());
        assertEquals(null, Member.current());
    }

    @Test
    void nullOptionsAreRefusedRatherThanTakenAsTheDefaults() {
        assertEquals("options is null (new MemberOptions() for the defaults)",
                     assertThrows(NullPointerException.class, () -> Entangle.join(null)).getMessage());
        assertEquals("options is null (new MemberOptions().members(...) for a cluster's address)",
                     assertThrows(NullPointerException.class, () -> Entangle.connect(null)).getMessage());
        assertEquals(null, Member.current());
    }

    @Test
    void aSecretFileMustBeReadableByItsOwnerAloneAndHoldALine() throws Exception {
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory(tmp, "secrets");
        java.nio.file.Path file = dir.resolve("secret");
        java.nio.file.Files.writeString(file, "s3cret\n");
        java.nio.file.Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        assertEquals("MemberOptions.secretFile: secret file '" + file + "' can be read by users other than its owner (rw-r--r--); make it private:"
                     + " chmod 600 " + file,
                     assertThrows(IllegalArgumentException.class, () -> new MemberOptions().secretFile(file)).getMessage());
        java.nio.file.Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        MemberOptions o = new MemberOptions().secretFile(file);
        assertEquals(file, o.secret().file());
        // The line ending an editor leaves is not part of the secret; any other byte is.
        java.nio.file.Path same = dir.resolve("same");
        java.nio.file.Files.writeString(same, "s3cret");
        java.nio.file.Files.setPosixFilePermissions(same, java.nio.file.attribute.PosixFilePermissions.fromString("r--------"));
        assertEquals(o.secret().proof("member", "c"), new MemberOptions().secretFile(same).secret().proof("member", "c"));
        java.nio.file.Path other = dir.resolve("other");
        java.nio.file.Files.writeString(other, "s3cret ");
        java.nio.file.Files.setPosixFilePermissions(other, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertNotEquals(o.secret().proof("member", "c"), new MemberOptions().secretFile(other).secret().proof("member", "c"));
        // A proof is the secret's for one cluster and one kind of party.
        assertNotEquals(o.secret().proof("member", "c"), o.secret().proof("member", "d"));
        assertNotEquals(o.secret().proof("member", "c"), o.secret().proof("client", "c"));

        java.nio.file.Path empty = dir.resolve("empty");
        java.nio.file.Files.writeString(empty, "\n");
        java.nio.file.Files.setPosixFilePermissions(empty, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertEquals("MemberOptions.secretFile: secret file '" + empty + "' is empty",
                     assertThrows(IllegalArgumentException.class, () -> new MemberOptions().secretFile(empty)).getMessage());
        assertEquals("MemberOptions.secretFile: secret file '" + dir.resolve("missing") + "' cannot be read (no such file)",
                     assertThrows(IllegalArgumentException.class,
                                  () -> new MemberOptions().secretFile(dir.resolve("missing"))).getMessage());
        java.nio.file.Path big = dir.resolve("big");
        java.nio.file.Files.writeString(big, "x".repeat(5000));
        java.nio.file.Files.setPosixFilePermissions(big, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertEquals("MemberOptions.secretFile: secret file '" + big + "' is longer than 4096 bytes; a secret is one line",
                     assertThrows(IllegalArgumentException.class, () -> new MemberOptions().secretFile(big)).getMessage());
    }
}
