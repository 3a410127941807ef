package entangle.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.BindException;
import java.net.SocketException;

import org.junit.jupiter.api.Test;

import com.hazelcast.core.HazelcastException;

import entangle.MemberOptions;

/**
 * What a member that could not open its server socket is told, for the failures Hazelcast
 * reports alike ("Cannot bind to a given address", as its ServerSocketHelper words them): ports
 * in use are the user's to change; a socket the system refused is not, and is said so.
 * (CommandLineTest and JavaHostTest hold the ports of a real member to see the first.)
 */
class StartFailureTest {
    private final MemberOptions options = new MemberOptions().cluster("start-failure").port(29190);

    private static HazelcastException hazelcasts(Exception cause) {
        return new HazelcastException("Cannot bind to a given address: /127.0.0.1. Hazelcast cannot start."
            + " Config-port: 29190, latest-port: 29199", cause);
    }

    @Test
    void portsInUseAskForOthers() {
        assertEquals("cannot bind a member to 127.0.0.1 ports 29190-29199: all are in use or the address is not this"
            + " machine's (choose others with MemberOptions.port or MemberOptions.bind)",
            MemberStart.startFailure(options, "start-failure", hazelcasts(new BindException("Address already in use")))
                .getMessage());
    }

    @Test
    void aSocketTheSystemRefusedIsNotCalledAPortInUse() {
        String m = MemberStart.startFailure(options, "start-failure",
            hazelcasts(new SocketException("No buffer space available"))).getMessage();
        // Which log says more depends on what this JVM's members were started with before.
        assertEquals("cannot open a socket for a member on 127.0.0.1 ports 29190-29199: the system refused it"
            + " (java.net.SocketException: No buffer space available); ", m.substring(0, m.indexOf("; ") + 2));
        assertTrue(m.endsWith(" says more"), m);
    }
}
