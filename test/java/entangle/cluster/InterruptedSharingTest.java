package entangle.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import com.hazelcast.core.HazelcastException;

/**
 * What "could not be shared with the cluster (...)" says of an interrupted evaluation. A Java
 * application connected as a client, interrupted while a member was stopped, read
 * "(java.lang.InterruptedException)": Hazelcast's client calls end on an interrupt with a
 * HazelcastException named after it.
 */
class InterruptedSharingTest {
    @Test
    void hazelcastsWordOfAnInterruptIsSaidInASentence() {
        assertEquals("interrupted while waiting for the cluster",
                     HazelcastCluster.said(new HazelcastException(new InterruptedException())));
    }

    @Test
    void entanglesOwnWordsOfAnInterruptAndOtherFailuresStandAsTheyAre() {
        assertEquals("interrupted while writing user/x",
                     HazelcastCluster.said(new IllegalStateException("interrupted while writing user/x",
                                                                     new InterruptedException())));
        assertEquals("writing user/x failed: boom",
                     HazelcastCluster.said(new IllegalStateException("writing user/x failed: boom")));
    }
}
