package entangle.cluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The members an evaluation's sharing (or a cluster atom's operation) waits for, and the line
 * that names them once the wait grows long. An evaluation returns only once every member has
 * its definitions, so a member stopped with Ctrl-Z, paused at a breakpoint or gone with its
 * machine's network holds every evaluation in the cluster until the cluster leaves it out
 * (embedded members: Hazelcast's heartbeat timeout; client members: their listing's lease):
 * without a word, that looks like a REPL that hung.
 *
 * <p>A member is silent when it has not been heard from (a heartbeat; a client's renewal of its
 * listing) for longer than its interval allows; it is slow when it has been heard from since
 * its answer was first awaited but has not answered. A member of neither kind yet is looked at
 * again a second later. A client JVM hears no heartbeats: an embedded member it waits for is
 * named as one that has not answered, stopped or slow.
 */
final class AwaitedMembers implements AutoCloseable {
    /**
     * How long an evaluation waits before it names anyone: a well member on a loaded machine
     * can take a second or two, and miss a heartbeat as long.
     */
    static final long NOTICE_AFTER_MS = 3_000;
    /**
     * A member that is heard from is named once the wait has lasted NOTICE_AFTER_MS and this
     * much a record more: a large file's records take a well member seconds to apply (10,000
     * one-line defns about half a second, after their writes' 1.7 s, here).
     */
    private static final double SLOW_MS_PER_RECORD = 0.5;
    private static final long CHECK_EVERY_MS = 1_000;
    private static final ScheduledThreadPoolExecutor TIMER = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "entangle-wait-notice");
        t.setDaemon(true);
        return t;
    });
    static {
        TIMER.setRemoveOnCancelPolicy(true); // one timer an evaluation, nearly all cancelled
    }

    /**
     * How the cluster treats members that do not answer: how long without a heartbeat makes an
     * embedded member silent (three intervals); and, for the lines, after how long the cluster
     * leaves one out, and how long a member that is heard from is waited for. A client member
     * is silent after two missed renewals of its listing, and left out when its lease ends
     * ({@link ClientMembers}).
     */
    record Limits(long memberSilentAfterMs, long noHeartbeatSeconds, long handOffTimeoutMs) {}

    /**
     * One member awaited: {@code silentMs} is how long it has not been heard from, or -1 if
     * this JVM cannot know; {@code silentOnly}: named only if silent (what waits for it may be
     * waiting for another member).
     */
    private record Awaited(BooleanSupplier answered, LongSupplier silentMs, boolean client, boolean silentOnly,
                           long since) {
        Awaited(BooleanSupplier answered, LongSupplier silentMs, boolean client, boolean silentOnly) {
            this(answered, silentMs, client, silentOnly, System.nanoTime());
        }

        /** How long its answer has been awaited: a member handed records after the units were stored, since then. */
        long awaitedMs(long now) {
            return TimeUnit.NANOSECONDS.toMillis(now - since);
        }
    }

    private final Map<String, Awaited> awaited = new ConcurrentHashMap<>();
    private final Set<String> told = ConcurrentHashMap.newKeySet();
    private final Consumer<String> notices;
    private final Limits limits;
    /** Of a cluster atom's operation, its var ("#'user/counter"); null for a sharing. */
    private final String atom;
    private final long slowAfterMs;
    private volatile boolean over;
    private volatile ScheduledFuture<?> next;

    /**
     * Starts the wait's clock for the sharing of {@code records} records; {@code notices} gets
     * the lines (null: nobody is told).
     */
    AwaitedMembers(Consumer<String> notices, int records, Limits limits) {
        this(notices, limits, null, NOTICE_AFTER_MS + (long) (records * SLOW_MS_PER_RECORD));
    }

    private AwaitedMembers(Consumer<String> notices, Limits limits, String atom, long slowAfterMs) {
        this.notices = notices;
        this.limits = limits;
        this.atom = atom;
        this.slowAfterMs = slowAfterMs;
        if (notices != null) next = TIMER.schedule(this::check, NOTICE_AFTER_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * Starts the wait's clock for an operation on the cluster atom {@code atom} (its var): it
     * waits for the members that hold its copies, which a member cannot tell from the others
     * ({@link #member(String, LongSupplier)}); a client, for the entry's owner, to which it
     * sends the operation ({@link #unheard(String)}).
     */
    static AwaitedMembers ofAtom(String atom, Consumer<String> notices, Limits limits) {
        return new AwaitedMembers(notices, limits, atom, NOTICE_AFTER_MS);
    }

    /** The embedded member at {@code address} is awaited until {@code answer} is done. */
    void member(String address, Future<?> answer, LongSupplier silentMs) {
        awaited.put(address, new Awaited(answer::isDone, silentMs, false, false));
    }

    /**
     * The embedded member at {@code address} may be what the wait waits for (it cannot be told
     * from the others): it is named if it is silent, until an answer of its own is awaited.
     */
    void member(String address, LongSupplier silentMs) {
        awaited.put(address, new Awaited(() -> false, silentMs, false, true));
    }

    /**
     * The wait is for the embedded member at {@code address}, whose heartbeats this JVM does not
     * hear (a client's operation on an atom's entry, sent to the entry's owner): named once the
     * wait is long.
     */
    void unheard(String address) {
        awaited.put(address, new Awaited(() -> false, () -> -1, false, false));
    }

    /** The client member at {@code address} is awaited for as long as {@code waiting} holds its id. */
    void client(String address, String id, Set<String> waiting, LongSupplier silentMs) {
        awaited.put(address + " (a client)", new Awaited(() -> !waiting.contains(id), silentMs, true, false));
    }

    /** Names, once each, the members that are silent or slow; looks again a second later, while the wait lasts. */
    private void check() {
        if (over) return;
        long now = System.nanoTime();
        List<String> silentMembers = new ArrayList<>();
        List<String> silentClients = new ArrayList<>();
        List<String> slow = new ArrayList<>();
        List<String> unheard = new ArrayList<>(); // whose heartbeats this JVM does not hear (a client's)
        long[] longestSilence = new long[2]; // of members, of clients
        long[] longestWait = new long[2]; // of the slow, of the unheard
        for (Map.Entry<String, Awaited> e : awaited.entrySet()) {
            Awaited a = e.getValue();
            if (told.contains(e.getKey()) || a.answered().getAsBoolean()) continue;
            long silence = a.silentMs().getAsLong();
            long waited = a.awaitedMs(now);
            if (silence >= 0 && silence > (a.client() ? 2 * ClientMembers.RENEW_EVERY_MS : limits.memberSilentAfterMs())) {
                (a.client() ? silentClients : silentMembers).add(e.getKey());
                int kind = a.client() ? 1 : 0;
                longestSilence[kind] = Math.max(longestSilence[kind], silence);
            } else if (a.silentOnly()) {
                continue; // looked at again a second later
            } else if (silence < 0 && waited >= slowAfterMs) {
                unheard.add(e.getKey());
                longestWait[1] = Math.max(longestWait[1], waited);
            } else if (silence < waited && waited >= slowAfterMs) {
                slow.add(e.getKey());
                longestWait[0] = Math.max(longestWait[0], waited);
            }
        }
        if (!silentMembers.isEmpty()) tellSilent(silentMembers, longestSilence[0], limits.noHeartbeatSeconds());
        if (!silentClients.isEmpty()) tellSilent(silentClients, longestSilence[1], TimeUnit.MILLISECONDS.toSeconds(ClientMembers.LEASE_MS));
        if (!slow.isEmpty()) {
            tellNotAnswered(slow, " to apply these definitions (" + TimeUnit.MILLISECONDS.toSeconds(longestWait[0])
                + " s so far)");
        }
        if (!unheard.isEmpty() && atom != null) {
            notices.accept(atom + " (a cluster atom) waits for " + named(unheard) + ", which holds its entry and has not"
                + " answered in " + TimeUnit.MILLISECONDS.toSeconds(longestWait[1]) + " s (stopped with Ctrl-Z, paused,"
                + " or cut off): if so, the cluster leaves it out once its members stop hearing from it, and the"
                + " atom's backup copy takes its place");
        } else if (!unheard.isEmpty()) {
            tellNotAnswered(unheard, ", which " + (unheard.size() == 1 ? "has" : "have") + " not answered in "
                + TimeUnit.MILLISECONDS.toSeconds(longestWait[1])
                + " s (stopped with Ctrl-Z, paused, cut off, or slow to apply these definitions)");
        }
        told.addAll(silentMembers);
        told.addAll(silentClients);
        told.addAll(slow);
        told.addAll(unheard);
        if (!over) next = TIMER.schedule(this::check, CHECK_EVERY_MS, TimeUnit.MILLISECONDS);
    }

    private void tellNotAnswered(List<String> members, String what) {
        boolean one = members.size() == 1;
        notices.accept("waiting for " + named(members) + what
            + ": the evaluation goes on without " + (one ? "it" : "them") + " after "
            + TimeUnit.MILLISECONDS.toSeconds(limits.handOffTimeoutMs()) + " s at most, and "
            + (one ? "it reads" : "they read") + " them from the cluster's maps");
    }

    private void tellSilent(List<String> silent, long silenceMs, long leftOutAfterSeconds) {
        boolean one = silent.size() == 1;
        notices.accept((atom == null ? "waiting for " : atom + " (a cluster atom) waits for ")
            + named(silent) + ", silent for " + TimeUnit.MILLISECONDS.toSeconds(silenceMs)
            + " s (stopped with Ctrl-Z, paused, or cut off): the cluster leaves " + (one ? "it" : "them") + " out after "
            + leftOutAfterSeconds + " s of silence, and "
            + (atom == null ? (one ? "it takes" : "they take") + " these definitions once back"
                            : "the atom's backup copy takes " + (one ? "its" : "their") + " place"));
    }

    /** "member a", "members a and b", "members a, b and c", in order. */
    private static String named(List<String> addresses) {
        java.util.Collections.sort(addresses);
        if (addresses.size() == 1) return "member " + addresses.get(0);
        int last = addresses.size() - 1;
        return "members " + String.join(", ", addresses.subList(0, last)) + " and " + addresses.get(last);
    }

    /**
     * The evaluation was interrupted once the records were written: names the members that
     * had not applied them, which read them from the cluster's maps.
     */
    void interrupted() {
        List<String> unanswered = new ArrayList<>();
        for (Map.Entry<String, Awaited> e : awaited.entrySet()) {
            if (!e.getValue().answered().getAsBoolean()) unanswered.add(e.getKey());
        }
        close();
        if (notices == null || unanswered.isEmpty()) return;
        boolean one = unanswered.size() == 1;
        notices.accept("interrupted while waiting for " + named(unanswered)
            + " to apply these definitions: they are in the cluster's maps, where " + (one ? "it reads" : "they read")
            + " them");
    }

    /** The wait is over: nothing more is said. */
    @Override
    public void close() {
        over = true;
        ScheduledFuture<?> n = next;
        if (n != null) n.cancel(false);
    }
}
