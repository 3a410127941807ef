package entangle.cluster;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.hazelcast.cluster.Address;
import com.hazelcast.config.ConfigAccessor;
import com.hazelcast.instance.impl.Node;
import com.hazelcast.internal.cluster.impl.TcpIpJoiner;
import com.hazelcast.internal.nio.Protocols;

/**
 * Hazelcast's search for the members at the addresses of the members list, except that it does
 * not wait for an address that takes a connection and never answers: a member stopped with
 * Ctrl-Z, another program on one of the ten ports, a machine that drops what is sent to it.
 * Hazelcast waits for such an address as long as a join may take (5 minutes), a thread of the
 * member spinning on the connection all the while, and then stops the member; a member that
 * joined others through another address spins on that connection for as long as it runs.
 *
 * <p>So each address is asked first, as Hazelcast's members ask each other first thing on a
 * connection, which protocol it speaks. At the start, one that has not answered within the
 * list's connection timeout (5 s unless a file says otherwise), or within a second of another
 * member's answer, is left out of the join, and the start names it ({@link #unanswered()}); a
 * refused connection is Hazelcast's to handle, at once, as before. The search for another
 * cluster to merge with (Hazelcast's, every few minutes) asks only the addresses that answered
 * as members: Hazelcast would wait five seconds for each of the others, one after another.
 */
final class MemberSearch extends TcpIpJoiner {
    private static final byte[] PROTOCOL = Protocols.CLUSTER.getBytes(StandardCharsets.US_ASCII);
    /** How long the other addresses are waited for once one answered as a member. */
    private static final long GRACE_MS = 1_000;

    private final long timeoutMs;
    private final Map<Address, String> unanswered = new ConcurrentHashMap<>();

    MemberSearch(Node node) {
        super(node);
        this.timeoutMs = TimeUnit.SECONDS.toMillis(ConfigAccessor.getActiveMemberNetworkConfig(node.getConfig())
                                                       .getJoin().getTcpIpConfig().getConnectionTimeoutSeconds());
    }

    /** Each address this member did not wait for as it joined, with what it did instead of answering. */
    Map<Address, String> unanswered() { return Map.copyOf(unanswered); }

    @Override
    protected Collection<Address> getPossibleAddressesForInitialJoin() {
        Collection<Address> addresses = super.getPossibleAddressesForInitialJoin();
        ask(addresses).forEach((address, answer) -> {
            if (answer.silence() == null) return;
            unanswered.put(address, answer.silence());
            HazelcastLogging.entangle().warning("did not wait for " + address + " of the members list: " + answer.silence());
            // Blacklisted for this join only: Hazelcast neither connects to it nor waits for its
            // vote, and a member at that address that answers later may still join this one.
            blacklist(address, false);
        });
        return addresses;
    }

    @Override
    public Collection<Address> getFilteredPossibleAddresses() {
        List<Address> members = new ArrayList<>();
        ask(super.getFilteredPossibleAddresses()).forEach((address, answer) -> {
            if (answer.member()) members.add(address);
        });
        return members;
    }

    /** What an address did: answered as a Hazelcast member; or else, if it was waited for in vain, how. */
    private record Answer(boolean member, String silence) {
        static final Answer MEMBER = new Answer(true, null);
        /** Refused, closed, or answered otherwise: Hazelcast knows at once. */
        static final Answer OTHER = new Answer(false, null);
    }

    /** What each address did, asked all at once. */
    private Map<Address, Answer> ask(Collection<Address> addresses) {
        Map<Address, Probe> probes = new LinkedHashMap<>();
        for (Address address : addresses) probes.put(address, new Probe(address));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        boolean answered = false;
        while (true) {
            List<CompletableFuture<Answer>> pending = new ArrayList<>();
            long until = deadline;
            for (Probe p : probes.values()) {
                if (!p.answer.isDone()) pending.add(p.answer);
                if (p.answeredAt != 0) {
                    answered = true;
                    until = Math.min(until, p.answeredAt + TimeUnit.MILLISECONDS.toNanos(GRACE_MS));
                }
            }
            long left = until - System.nanoTime();
            if (pending.isEmpty() || left <= 0) break;
            try {
                CompletableFuture.anyOf(pending.toArray(new CompletableFuture<?>[0])).get(left, TimeUnit.NANOSECONDS);
            } catch (TimeoutException | ExecutionException e) {
                // the next round sees which are done
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        Map<Address, Answer> answers = new LinkedHashMap<>();
        String when = answered ? "when the others had" : "in " + seconds();
        probes.forEach((address, p) -> answers.put(address, p.answer.getNow(
            new Answer(false, p.connected ? tookButSilent(when) : "no answer to a connection " + when))));
        return answers;
    }

    /** One address asked which protocol it speaks, on a thread of its own. */
    private final class Probe {
        final CompletableFuture<Answer> answer = new CompletableFuture<>();
        volatile boolean connected;
        /** When it answered as a Hazelcast member (System.nanoTime), or 0. */
        volatile long answeredAt;

        Probe(Address address) {
            Thread t = new Thread(() -> answer.complete(ask(address)), "entangle-member-search");
            t.setDaemon(true);
            t.start();
        }

        private Answer ask(Address address) {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            try (Socket s = new Socket()) {
                try {
                    s.connect(address.getInetSocketAddress(), (int) timeoutMs);
                } catch (SocketTimeoutException e) {
                    return new Answer(false, "no answer to a connection in " + seconds());
                }
                connected = true;
                s.setSoTimeout((int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
                s.getOutputStream().write(PROTOCOL);
                s.getOutputStream().flush();
                if (!Arrays.equals(s.getInputStream().readNBytes(PROTOCOL.length), PROTOCOL)) return Answer.OTHER;
                answeredAt = System.nanoTime();
                return Answer.MEMBER;
            } catch (SocketTimeoutException e) {
                return new Answer(false, tookButSilent("in " + seconds()));
            } catch (IOException e) {
                return Answer.OTHER;
            }
        }
    }

    private static String tookButSilent(String when) {
        return "it took a connection and did not answer as a Hazelcast member " + when
            + " (a member stopped with Ctrl-Z, or another program on that port)";
    }

    private String seconds() {
        return timeoutMs % 1000 == 0 ? timeoutMs / 1000 + " s" : timeoutMs + " ms";
    }
}
