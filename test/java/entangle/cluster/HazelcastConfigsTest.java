package entangle.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.hazelcast.config.Config;

import entangle.MemberOptions;

/**
 * What entangle decides in an embedded member's Hazelcast configuration, and what it leaves
 * to a configuration file.
 */
class HazelcastConfigsTest {
    @Test
    void withoutAFileTheMemberCollectsNoMetricsAndMovesAPartitionInOnePiece() {
        Config c = HazelcastConfigs.member(new MemberOptions().cluster("configs-test"));
        assertFalse(c.getMetricsConfig().isEnabled());
        assertEquals("false", c.getProperty("hazelcast.partition.migration.fragments.enabled"));
        assertEquals("23", c.getProperty("hazelcast.partition.count"));
        assertEquals("configs-test", c.getClusterName());
    }

    @Test
    void aFileKeepsHazelcastsMetricsAndMigrationButGetsEntanglesPartitionCount(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("hazelcast.yaml");
        Files.writeString(file, "hazelcast:\n  cluster-name: from-file\n");
        Config c = HazelcastConfigs.member(new MemberOptions().hazelcastConfig(file));
        assertTrue(c.getMetricsConfig().isEnabled());
        assertNull(c.getProperty("hazelcast.partition.migration.fragments.enabled"));
        // Every entangle member must agree on the count; a file changes it only by saying so.
        assertEquals("23", c.getProperty("hazelcast.partition.count"));
        assertEquals("from-file", c.getClusterName());
    }

    @Test
    void theKindOfAFileIsItsRoot(@TempDir Path dir) throws Exception {
        Path yaml = Files.writeString(dir.resolve("a.yaml"), "---\n# shop\nhazelcast-client:\n  cluster-name: shop\n");
        assertEquals("hazelcast-client", HazelcastConfigs.rootOf(yaml));
        Path xml = Files.writeString(dir.resolve("a.xml"), "<?xml version=\"1.0\"?>\n<!-- shop -->\n"
            + "<hazelcast xmlns=\"http://www.hazelcast.com/schema/config\"><cluster-name>x</cluster-name></hazelcast>\n");
        assertEquals("hazelcast", HazelcastConfigs.rootOf(xml));
        // What cannot be told is left to Hazelcast's loaders, which say what is wrong.
        assertNull(HazelcastConfigs.rootOf(Files.writeString(dir.resolve("b.yaml"), "foo: bar\n")));
        assertNull(HazelcastConfigs.rootOf(Files.writeString(dir.resolve("b.xml"), "<hazelcast")));
    }
}
