package entangle.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

import com.hazelcast.core.HazelcastException;

/**
 * What "could not be shared with the cluster (...)" says when Hazelcast's own words would not
 * do. A Java application connected as a client, interrupted while a member was stopped, read
 * "(java.lang.InterruptedException)": Hazelcast's client calls end on an interrupt with a
 * HazelcastException named after it.
 */
class CouldNotBeSharedTest {
    @Test
    void hazelcastsWordOfAnInterruptIsSaidInASentence() {
        assertEquals("interrupted while waiting for the cluster",
                     HazelcastCluster.said(new HazelcastException(new InterruptedException())));
    }

    /**
     * A client configured to route through one member, that member stopped: the evaluation
     * waited for Hazelcast's invocation timeout (120 s), and the line held the request's dump
     * (the exception as the client's compare-and-set threw it), or a cause of what entangle threw.
     */
    @Test
    void hazelcastsInvocationTimeoutIsSaidInASentence() {
        String sentence = "no member answered within Hazelcast's invocation timeout (a member stopped, paused or cut"
            + " off, or, for a client, the only member it reaches the cluster through)";
        RuntimeException asThrown = new com.hazelcast.core.OperationTimeoutException("ClientInvocation{clientMessage"
            + " = ...} timed out because exception occurred after client invocation timeout 120000 ms.");
        assertEquals(sentence, HazelcastCluster.said(asThrown));
        assertEquals(sentence, HazelcastCluster.said(new IllegalStateException("writing user/x failed", asThrown)));
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
