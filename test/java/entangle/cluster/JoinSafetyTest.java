package entangle.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Path;
import java.util.UUID;

import org.junit.jupiter.api.Test;

import com.hazelcast.map.IMap;

import entangle.MemberOptions;
import entangle.sharing.VarRecord;
import entangle.testing.Projects;
import entangle.testing.TestCluster;

/**
 * Two real members in this JVM: a member that has joined holds a copy of every entry once
 * {@link HazelcastCluster#awaitSafe} returns, so the crash of the member that held them all
 * loses nothing.
 */
class JoinSafetyTest {

    @Test
    void afterTheWaitTheJoinerHoldsEveryEntryTheCrashedMemberHad() {
        String name = "entangle-test-" + UUID.randomUUID().toString().substring(0, 8);
        int port = TestCluster.freePortBlock();
        Path log = Projects.dir().resolve("target/test-logs/" + name + ".log");
        MemberOptions options = new MemberOptions().cluster(name).port(port)
            .members("127.0.0.1:" + port + "-" + (port + 9)).logFile(log);
        HazelcastCluster a = HazelcastCluster.start(options);
        HazelcastCluster b = null;
        try {
            IMap<String, byte[]> written = a.map(VarRecord.MAP);
            for (int i = 0; i < 500; i++) written.set("user/v" + i, new byte[] {(byte) i});

            b = HazelcastCluster.start(options); // the next free port of the block
            // Right after the join, A still holds the only copy of every partition.
            assertFalse(b.hazelcast().getPartitionService().isClusterSafe(), "safe before any migration");
            b.awaitSafe(60_000);
            a.hazelcast().getLifecycleService().terminate(); // a crash: no hand-over of partitions

            assertEquals(500, b.map(VarRecord.MAP).size());
        } finally {
            if (a.hazelcast().getLifecycleService().isRunning()) a.hazelcast().getLifecycleService().terminate();
            if (b != null) b.hazelcast().getLifecycleService().terminate();
        }
    }
}
