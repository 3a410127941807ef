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
}
