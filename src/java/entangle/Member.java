package entangle;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import java.util.logging.Level;

import com.hazelcast.core.HazelcastInstance;

import entangle.cluster.HazelcastCluster;
import entangle.cluster.HazelcastLogging;
import entangle.hook.CompilerHook;
import entangle.remote.RemoteExecution;
import entangle.sharing.ClusterAtoms;
import entangle.sharing.Provenance;
import entangle.sharing.PublishResult;
import entangle.sharing.ReadText;
import entangle.sharing.SharedVars;
import entangle.sharing.SharingPolicy;
import entangle.unit.UnitStore;
import entangle.unit.Units;

/**
 * This JVM as a member of an entangle cluster: the compiler hook, the embedded Hazelcast
 * member (or the Hazelcast client, for a member that connects to an existing cluster), the
 * class store, the shared vars and the fns it runs for others. A JVM is at most one member,
 * because Clojure's namespaces are one per JVM.
 *
 * <p>Java applications use {@link Entangle}, which is built on this class.
 *
 * <p>{@link #start} returns once the member has joined and applied every shared namespace
 * the cluster holds; after each evaluation, {@link #share} publishes what it defined.
 */
public final class Member implements AutoCloseable {
    // Read on every shared var's publish and every remote call; written under the class lock.
    private static volatile Member current;
    /** Why this JVM's last member left the cluster, while no member has joined since; else null. */
    private static volatile String left;

    private final MemberOptions options;
    private final HazelcastCluster cluster;
    private final SharedVars shared;
    private final ClusterAtoms atoms;
    private final RemoteExecution remote;
    private java.util.Map<String, Long> joinMillis = java.util.Map.of();
    private volatile String leftBecause;

    private Member(MemberOptions options, HazelcastCluster cluster, SharedVars shared, ClusterAtoms atoms,
                   RemoteExecution remote) {
        this.options = options;
        this.cluster = cluster;
        this.shared = shared;
        this.atoms = atoms;
        this.remote = remote;
    }

    /**
     * Joins the cluster {@code options} names and syncs with it. Messages about definitions
     * refused from the cluster go to {@code warnings} (entangle's REPL prints them on
     * standard error).
     *
     * @throws MemberStartException with a one-line message if the member cannot start
     */
    public static Member start(MemberOptions options, Consumer<String> warnings) {
        return start(options, warnings, null);
    }

    /**
     * As {@link #start(MemberOptions, Consumer)}, running {@code alongside} (may be null), on
     * this thread, while the cluster moves partitions to the new member: work of this JVM's
     * own that need not come before the join, such as the REPL loading its tools (doc, source,
     * pprint). What it loads or defines is this member's own, as what was loaded before start
     * is.
     *
     * @throws MemberStartException if the member cannot start, or {@code alongside} threw
     * @throws IllegalArgumentException before anything starts, for options that contradict
     *     each other ({@link MemberOptions#check})
     */
    public static synchronized Member start(MemberOptions options, Consumer<String> warnings, Runnable alongside) {
        options.check();
        if (current != null) {
            throw new MemberStartException("this JVM is already member " + current.address() + " of cluster "
                + current.cluster());
        }
        java.util.Map<String, Long> took = new java.util.LinkedHashMap<>();
        long begin = System.nanoTime();
        // Patching the compiler and starting Hazelcast each take a second or more, mostly class
        // loading; nothing evaluates until start returns, so they run side by side.
        java.util.concurrent.CompletableFuture<Long> hook = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            CompilerHook.install();
            return java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);
        }, runnable -> {
            Thread t = new Thread(runnable, "entangle-hook-install");
            t.setDaemon(true);
            t.start();
        });
        HazelcastCluster cluster = HazelcastCluster.start(options, warnings);
        long mark = lap(took, "hazelcast", begin);
        try {
            took.put("hook", hook.join());
        } catch (java.util.concurrent.CompletionException e) {
            cluster.shutdown();
            Throwable cause = e.getCause();
            throw new MemberStartException(cause.getMessage(), cause);
        }
        mark = lap(took, "hook wait", mark);
        try {
            Consumer<String> warn = message -> {
                HazelcastLogging.entangle().warning(message);
                warnings.accept(message);
            };
            Units units = new Units(new UnitStore(cluster.map(UnitStore.MAP),
                                                  m -> HazelcastLogging.entangle().warning(m)));
            ClusterAtoms atoms = new ClusterAtoms(cluster, units, warn);
            SharedVars shared = new SharedVars(new SharingPolicy(), units, cluster, atoms, warn);
            if (alongside != null) {
                // A joining member now waits while the cluster moves partitions to it
                // (awaitSafe): alongside and the baseline take that time, not their own.
                try {
                    alongside.run();
                } catch (Exception | LinkageError e) {
                    // Clojure throws checked exceptions unchecked, and a class of the REPL's tools
                    // that will not load is an Error: either way this start failed.
                    throw new MemberStartException("what ran alongside the member's start failed: " + e, e);
                }
                mark = lap(took, "alongside", mark);
            }
            // After alongside: what it loaded is this member's own.
            shared.baseline();
            cluster.awaitSafe(60_000);
            mark = lap(took, "safe", mark);
            cluster.connect(shared, warn);
            cluster.startNotes().forEach(warn);
            cluster.clojureVersionWarnings().forEach(warn);
            took.put("sync maps", java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(shared.sync()));
            lap(took, "sync", mark);
            took.put("total", java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
            Member member = new Member(options, cluster, shared, atoms, new RemoteExecution(cluster, units));
            member.joinMillis = java.util.Collections.unmodifiableMap(took);
            current = member;
            left = null;
            // Hazelcast may stop under the member: a client's when its file says not to
            // reconnect, any when the user's code stops it.
            cluster.whenGone(why -> member.gone(why, warn));
            HazelcastLogging.entangle().info((cluster.client() ? "client member " : "member ") + cluster.address()
                + " joined cluster " + member.cluster() + " in " + took + " ms");
            return member;
        } catch (RuntimeException e) {
            HazelcastLogging.entangle().log(Level.SEVERE, "start failed", e);
            cluster.shutdown();
            if (e instanceof MemberStartException m) throw m;
            throw new MemberStartException("the member could not sync with the cluster: " + e.getMessage(), e);
        } catch (Error e) {
            // Hazelcast's threads must not keep up a JVM whose start failed.
            cluster.shutdown();
            throw e;
        }
    }

    private static long lap(java.util.Map<String, Long> took, String phase, long since) {
        long now = System.nanoTime();
        took.put(phase, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(now - since));
        return now;
    }

    /**
     * How long joining took, in milliseconds, by phase: "hazelcast" (starting the member or
     * client and joining), "hook" (patching the compiler, beside that), "hook wait" (how much
     * longer the hook took than Hazelcast), "alongside" (the work given to start, if any),
     * "safe" (the rest of the wait until every partition has its backup), "sync" (reading and
     * applying every shared namespace), "sync maps" (of which reading the cluster's maps),
     * "total".
     */
    public java.util.Map<String, Long> joinMillis() {
        return joinMillis;
    }

    /** This JVM's member, or null if it has not joined a cluster. */
    public static Member current() {
        return current;
    }

    /**
     * Why this JVM's member left the cluster ({@code "this JVM left the cluster
     * (entangle.core/stop!)"}, or why its Hazelcast stopped), if no member has joined since;
     * else null. Code that joins on demand (nREPL's middleware) does not join again after a
     * member left: the user left, or the configuration said not to come back.
     */
    public static String left() {
        return left;
    }

    /**
     * Why this member cannot reach the cluster now (a client that has lost its connection and
     * is trying to reconnect), in a sentence; else null.
     */
    public String unreachableNow() {
        return cluster.unreachableNow();
    }

    /** Why this member left the cluster, in a sentence, once it has; else null. */
    public String leftBecause() {
        return leftBecause;
    }

    /**
     * Marks an evaluation of {@code formText} (read from {@code read}; either may be null)
     * running on this thread, until the returned action runs (after the evaluation's {@link
     * #share}): a client that reconnects meanwhile leaves the sharing of what it could not share
     * to that evaluation rather than share it half done, and what another evaluation shares of
     * it meanwhile (another nREPL session's) takes its source from its text.
     */
    public Runnable evaluating(String formText, ReadText read) {
        return shared.evaluating(formText, read);
    }

    /**
     * Publishes what evaluation changed in shared namespaces since the last call, and returns
     * once every member has applied it. {@code formText} is the text of the form evaluated (its
     * vars' source); it may be null.
     */
    public PublishResult share(String formText) {
        return shared.publish(formText, null, null);
    }

    /**
     * As {@link #share(String)}, for an evaluation whose forms were read from {@code read} (a
     * loaded file's text, or the code an editor sent from a file): each var it defined takes
     * its source from there, by its :line, rather than from its file on disk. {@code notices},
     * if not null, is told at once, from another thread, when the wait for a member that does
     * not answer grows long: a line for the user (without "entangle: "), who would otherwise
     * see an evaluation that hangs.
     */
    public PublishResult share(String formText, ReadText read, java.util.function.Consumer<String> notices) {
        return shared.publish(formText, read, notices);
    }

    /** Where the current definition of {@code ns/name} came from, or null if it was never shared. */
    public Provenance provenance(String ns, String name) {
        return shared.provenance(ns, name);
    }

    public SharingPolicy policy() {
        return shared.policy();
    }

    /** The name of the Hazelcast cluster this member is in. */
    public String cluster() {
        return cluster.clusterName();
    }

    /** True if this member is a Hazelcast client of the cluster rather than an embedded member. */
    public boolean isClient() {
        return cluster.client();
    }

    /** Runs fns on other members. */
    public RemoteExecution remote() {
        return remote;
    }

    /** This member's address, host:port. */
    public String address() {
        return cluster.address();
    }

    /** The addresses of every entangle member, this one first. */
    public List<String> members() {
        return cluster.members();
    }

    /**
     * The entangle members, this one first: each a map with "address", "id", "self" and, if
     * it serves nREPL, "nrepl" (its nrepl:// URI).
     */
    public List<java.util.Map<String, String>> memberInfo() {
        return cluster.memberInfo();
    }

    /** Tells the cluster this member serves nREPL at {@code uri} (null: no longer). */
    public void advertiseNrepl(String uri) {
        cluster.advertise(uri);
    }

    /**
     * Evaluates {@code code} in namespace {@code ns} (null: user) on the member at
     * {@code address} (host:port), or on every member if it is "all", as that member's REPL
     * would. Returns each member's result by address, in the order they came: "value" and
     * "out" and "err", or "ex". A member with no result after {@code timeoutMs}, or when this
     * thread is interrupted, has its evaluation cancelled (its thread interrupted there), and
     * its result says so; after an interrupt, the thread's interrupt flag is set again. With
     * "all", each member connected as a client, which runs no code sent to it, has a result
     * that says so ("ex" java.lang.UnsupportedOperationException), first.
     */
    public java.util.Map<String, java.util.Map<String, String>> evalOn(String address, String code, String ns,
                                                                      long timeoutMs) {
        return evalOn(address, code, ns, timeoutMs, (a, r) -> { });
    }

    /** As {@link #evalOn(String, String, String, long)}, giving each result to {@code each} as it comes, on this thread. */
    public java.util.Map<String, java.util.Map<String, String>> evalOn(
            String address, String code, String ns, long timeoutMs,
            java.util.function.BiConsumer<String, java.util.Map<String, String>> each) {
        return evalOn(address, code, ns, timeoutMs, each, null);
    }

    /**
     * As {@link #evalOn(String, String, String, long, java.util.function.BiConsumer)}; once
     * {@code stop} completes, the evaluations still running are cancelled and reported as
     * interrupted, as an interrupt of this thread does, without one: a caller that must report
     * them before it lets its thread be interrupted (nREPL's interrupt) completes it.
     */
    public java.util.Map<String, java.util.Map<String, String>> evalOn(
            String address, String code, String ns, long timeoutMs,
            java.util.function.BiConsumer<String, java.util.Map<String, String>> each,
            java.util.concurrent.CompletionStage<?> stop) {
        return cluster.evalOn(address, code, ns, timeoutMs, each, stop);
    }

    /**
     * The file Hazelcast logs to ("-": standard error): the one of the JVM's first member, since
     * Hazelcast's logging is set once a JVM.
     */
    public Path logFile() {
        return HazelcastLogging.file();
    }

    public HazelcastInstance hazelcast() {
        return cluster.hazelcast();
    }

    /** What a REPL prints for the value of start!: "entangle member 127.0.0.1:5701 of cluster shop". */
    @Override
    public String toString() {
        String why = leftBecause;
        return "entangle " + (isClient() ? "client member " : "member ") + address() + " of cluster " + cluster()
            + (why == null ? "" : " (left: " + why + ")");
    }

    /** Leaves the cluster cleanly; the definitions stay with the other members. */
    @Override
    public void close() {
        close("this JVM left the cluster (entangle.core/stop!)");
    }

    /** As {@link #close()}; {@code why} is what operations on its cluster atoms say from now on. */
    void close(String why) {
        if (!leave(why)) return;
        try {
            cluster.advertise(null);
        } catch (RuntimeException e) {
            // leaving anyway; the entry goes when the cluster sees this member gone
        }
        cluster.shutdown();
    }

    /** Hazelcast stopped by itself: this JVM goes on alone, as after {@link #close}, and says so once. */
    private void gone(String why, Consumer<String> warn) {
        if (!leave(why)) return;
        cluster.shutdown();
        warn.accept(why + ": this JVM goes on alone, as after (entangle.core/stop!); what it defines from now on"
            + " stays here, and (entangle.core/start!) joins again");
    }

    /** This member is no longer the JVM's; false if it had left already. */
    private boolean leave(String why) {
        synchronized (Member.class) {
            if (current != this) return false;
            current = null;
            left = why;
            leftBecause = why;
        }
        atoms.close(why);
        return true;
    }
}
