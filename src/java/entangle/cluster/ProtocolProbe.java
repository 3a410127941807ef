package entangle.cluster;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import com.hazelcast.internal.nio.Protocols;

/**
 * Asks an address which protocol it speaks, as Hazelcast's members ask each other first thing
 * on a connection: a member answers {@code HZC}. It tells a member that can answer from a port
 * that takes connections and stays silent (a member stopped with Ctrl-Z, a host that drops what
 * it is sent), on which Hazelcast's own connection would wait, a thread spinning, and from
 * another program on the port.
 */
final class ProtocolProbe {
    private static final byte[] PROTOCOL = Protocols.CLUSTER.getBytes(StandardCharsets.US_ASCII);

    /** What an address did when asked. */
    enum Reply {
        /** Answered as a Hazelcast member. */
        MEMBER,
        /** Refused the connection, or cannot be reached: nothing listens there. */
        REFUSED,
        /** Took no connection in the time. */
        NO_CONNECTION,
        /** Took a connection and answered nothing in the time. */
        SILENT,
        /** Took a connection and closed it without answering. */
        CLOSED,
        /** Took a connection and dropped it. */
        DROPPED,
        /** Answered, but not as a Hazelcast member. */
        OTHER
    }

    private ProtocolProbe() {}

    /** Asks {@code address}, within {@code timeoutMs} in all; {@code connected} runs once it took the connection. */
    static Reply ask(InetSocketAddress address, long timeoutMs, Runnable connected) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        boolean took = false;
        try (Socket s = new Socket()) {
            try {
                s.connect(address, (int) timeoutMs);
            } catch (SocketTimeoutException e) {
                return Reply.NO_CONNECTION;
            }
            took = true;
            connected.run();
            s.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            s.getOutputStream().write(PROTOCOL);
            s.getOutputStream().flush();
            byte[] answer = s.getInputStream().readNBytes(PROTOCOL.length);
            if (Arrays.equals(answer, PROTOCOL)) return Reply.MEMBER;
            return answer.length == 0 ? Reply.CLOSED : Reply.OTHER;
        } catch (SocketTimeoutException e) {
            return Reply.SILENT;
        } catch (IOException e) {
            return took ? Reply.DROPPED : Reply.REFUSED;
        }
    }
}
