package entangle.cluster;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

import com.hazelcast.config.TcpIpConfig;
import com.hazelcast.internal.util.AddressUtil;

/**
 * The members list, checked before the join: an address that takes a connection and does not
 * answer as a Hazelcast member is left out of it. One that never answers (a member stopped with
 * Ctrl-Z, a machine that drops what is sent to it), or another program on one of the ten ports:
 * Hazelcast waits for it as long as a join may take (5 minutes), connecting again and again or a
 * thread spinning on the silent connection, and then stops the member; a member that joined
 * others through another address spins on a silent connection for as long as it runs.
 *
 * <p>Each {@code host:port} of the list is asked, as Hazelcast's members ask each other first
 * thing on a connection, which protocol it speaks ({@link ProtocolProbe}). One that answers
 * otherwise, or has not answered within the list's connection timeout (5 s unless a file says
 * otherwise) or a second after another member answered, is taken off the list, and the start
 * names it ({@link #leftOut()}); a refused connection is Hazelcast's to handle, at once, as
 * before, and entries of other forms (a host alone, a range, a wildcard, in a file) are left to
 * it. After the join, an address left out is asked again every {@link #RECHECK_MS} and put back
 * on the list once it answers as a member (the stopped member resumed), and handed to the
 * {@link SplitSearch}, which asks it which side of the split merges into the other. Hazelcast's
 * joiner itself is not replaced: its cluster code treats only its own class as the TCP/IP
 * joiner it keeps addresses in.
 */
final class MembersListCheck {
    private static final String ANOTHER = " (another program on that port)";
    /** How long the other addresses are waited for once one answered as a member. */
    private static final long GRACE_MS = 1_000;
    /** How often an address left out is asked again after the join. */
    private static final long RECHECK_MS = 10_000;

    private final TcpIpConfig list;
    private final long timeoutMs;
    private final Map<String, String> leftOut = new ConcurrentHashMap<>();
    private final Set<String> stillOut = ConcurrentHashMap.newKeySet();
    private final Set<String> answered = ConcurrentHashMap.newKeySet();

    MembersListCheck(TcpIpConfig list) {
        this.list = list;
        this.timeoutMs = TimeUnit.SECONDS.toMillis(list.getConnectionTimeoutSeconds());
    }

    /** Each entry of the list this member left out as it joined, with what it did instead of answering as a member. */
    Map<String, String> leftOut() { return Map.copyOf(leftOut); }

    /** The entries of the list that answered as Hazelcast members before the join. */
    Set<String> answered() { return Set.copyOf(answered); }

    /**
     * Asks every {@code host:port} of the list but this member's own ({@code self}, null if
     * unknown), and takes off it those that do not answer as members.
     */
    void beforeJoin(InetSocketAddress self) {
        Map<String, InetSocketAddress> asked = new LinkedHashMap<>();
        for (String entry : list.getMembers()) {
            InetSocketAddress address = socketAddress(entry);
            if (address != null && !address.equals(self)) asked.put(entry, address);
        }
        ask(asked).forEach((entry, answer) -> {
            if (answer.member()) answered.add(entry);
            if (answer.leftOut() == null) return;
            leftOut.put(entry, answer.leftOut());
            stillOut.add(entry);
            list.getMembers().remove(entry);
            HazelcastLogging.entangle().warning("left " + entry + " out of the members list: " + answer.leftOut());
        });
    }

    /**
     * Puts each address left out back on the list once it answers as a member, asking every
     * RECHECK_MS while {@code running}, and hands it to {@code answers} (another cluster's
     * member, this one's other side).
     */
    void afterJoin(BooleanSupplier running, Consumer<InetSocketAddress> answers) {
        if (stillOut.isEmpty()) return;
        Thread t = new Thread(() -> {
            while (!stillOut.isEmpty() && running.getAsBoolean()) {
                try {
                    Thread.sleep(RECHECK_MS);
                } catch (InterruptedException e) {
                    return;
                }
                Map<String, InetSocketAddress> asked = new LinkedHashMap<>();
                for (String entry : stillOut) asked.put(entry, socketAddress(entry));
                ask(asked).forEach((entry, answer) -> {
                    if (!answer.member() || !running.getAsBoolean()) return;
                    stillOut.remove(entry);
                    list.addMember(entry);
                    HazelcastLogging.entangle().info("put " + entry + " back on the members list: it answers as a member");
                    answers.accept(asked.get(entry));
                });
            }
        }, "entangle-members-list-check");
        t.setDaemon(true);
        t.start();
    }

    /** The address of a {@code host:port} entry, or null for the list's other forms. */
    private static InetSocketAddress socketAddress(String entry) {
        try {
            AddressUtil.AddressHolder h = AddressUtil.getAddressHolder(entry);
            if (h.getPort() <= 0 || h.getAddress().contains("*")) return null;
            return new InetSocketAddress(h.getAddress(), h.getPort());
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** What an address did: answered as a Hazelcast member; or else, if it is left out of the list, why. */
    private record Answer(boolean member, String leftOut) {
        static final Answer MEMBER = new Answer(true, null);
        /** Refused or unreachable: Hazelcast knows at once. */
        static final Answer REFUSED = new Answer(false, null);
    }

    /** What each address did, asked all at once. */
    private Map<String, Answer> ask(Map<String, InetSocketAddress> addresses) {
        Map<String, Probe> probes = new LinkedHashMap<>();
        addresses.forEach((entry, address) -> probes.put(entry, new Probe(address)));
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        boolean anyAnswered = false;
        while (true) {
            List<CompletableFuture<Answer>> pending = new ArrayList<>();
            long until = deadline;
            for (Probe p : probes.values()) {
                if (!p.answer.isDone()) pending.add(p.answer);
                if (p.answeredAt != 0) {
                    anyAnswered = true;
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
        Map<String, Answer> answers = new LinkedHashMap<>();
        String when = anyAnswered ? "when the others had" : "in " + seconds();
        probes.forEach((entry, p) -> answers.put(entry, p.answer.getNow(
            new Answer(false, p.connected ? tookButSilent(when) : "no answer to a connection " + when))));
        return answers;
    }

    /** One address asked which protocol it speaks, on a thread of its own. */
    private final class Probe {
        final CompletableFuture<Answer> answer = new CompletableFuture<>();
        volatile boolean connected;
        /** When it answered as a Hazelcast member (System.nanoTime), or 0. */
        volatile long answeredAt;

        Probe(InetSocketAddress address) {
            Thread t = new Thread(() -> answer.complete(ask(address)), "entangle-members-list-check");
            t.setDaemon(true);
            t.start();
        }

        private Answer ask(InetSocketAddress address) {
            ProtocolProbe.Reply reply = ProtocolProbe.ask(address, timeoutMs, () -> connected = true);
            return switch (reply) {
                case MEMBER -> {
                    answeredAt = System.nanoTime();
                    yield Answer.MEMBER;
                }
                case REFUSED -> Answer.REFUSED;
                case NO_CONNECTION -> new Answer(false, "no answer to a connection in " + seconds());
                case SILENT -> new Answer(false, tookButSilent("in " + seconds()));
                case CLOSED -> new Answer(false, "it took a connection and closed it without answering" + ANOTHER);
                case DROPPED -> new Answer(false, "it took a connection and dropped it" + ANOTHER);
                case OTHER -> new Answer(false, "it answered, but not as a Hazelcast member" + ANOTHER);
            };
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
