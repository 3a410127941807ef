package entangle;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import com.hazelcast.core.HazelcastInstance;

import clojure.java.api.Clojure;
import clojure.lang.IFn;
import clojure.lang.Symbol;
import entangle.remote.RemoteFuture;

/**
 * entangle for a Java application: join the cluster, call the fns its members define, and
 * have them pick up new definitions while the application runs, with no restart.
 *
 * <p>Join as an embedded member (or, with {@link #connect}, as a Hazelcast client of an
 * existing cluster), and call a shared var; each call runs its newest definition:
 *
 * <pre>{@code
 * try (Entangle cluster = Entangle.join(new MemberOptions().cluster("shop"))) {
 *     IFn handler = cluster.var("shop.http", "handler");
 *     Object response = handler.invoke(request);
 * }
 * }</pre>
 *
 * Evaluate Clojure as a REPL would: what it defines is shared with every member.
 *
 * <pre>{@code
 * cluster.eval("(ns shop.prices) (defn with-tax [p] (* p 1.2M))");
 * cluster.loadFile(Path.of("src/shop/rules.clj"));
 * }</pre>
 *
 * Run a fn on the members that can run it (embedded members), and read what each returned:
 *
 * <pre>{@code
 * IFn work = (IFn) cluster.eval("(let [n 7] (fn [] (* n (count (shop.orders/open)))))");
 * for (Map.Entry<String, RemoteFuture> e : cluster.submitToMembers(work).entrySet()) {
 *     System.out.println(e.getKey() + " -> " + e.getValue().get(5, TimeUnit.SECONDS));
 * }
 * }</pre>
 *
 * <p>A JVM is one member at most: {@link #join} fails if this JVM is already one. The methods
 * may be called from any thread. {@link #close} leaves the cluster; the definitions stay with
 * the other members. The compiler hook needs a JDK (not a JRE); start the JVM with
 * {@code -Djdk.attach.allowAttachSelf=true} so that it attaches without a helper process, and
 * {@code -XX:+EnableDynamicAgentLoading} so that JDK 21+ does not warn as it does.
 */
public final class Entangle implements AutoCloseable {
    private final Member member;
    private volatile boolean closed;

    private Entangle(Member member) {
        this.member = member;
    }

    /**
     * Joins the cluster with the options of the {@code ENTANGLE_*} environment variables, as
     * {@code clojure -M:repl} reads them ({@code ENTANGLE_CLUSTER}, {@code ENTANGLE_MEMBERS},
     * {@code ENTANGLE_CLIENT}...), and the defaults where they are unset: cluster "entangle"
     * on 127.0.0.1, ports 5701 to 5710.
     *
     * @throws IllegalArgumentException naming a variable whose value is not valid
     * @throws MemberStartException with a one-line message if it cannot join
     */
    public static Entangle join() {
        return new Entangle((Member) core("start-from-environment!").invoke());
    }

    /**
     * Joins the cluster as {@code options} say (an embedded member unless
     * {@link MemberOptions#client(boolean)} is set) and returns once this JVM holds every
     * shared namespace.
     *
     * @throws MemberStartException with a one-line message if it cannot join
     * @throws IllegalArgumentException before anything starts, for options that contradict
     *     each other (a cluster name or network option beside a Hazelcast configuration file)
     */
    public static Entangle join(MemberOptions options) {
        // start! takes nil as no options: a null here would join the default cluster unsaid.
        Objects.requireNonNull(options, "options is null (new MemberOptions() for the defaults)");
        return new Entangle((Member) core("start!").invoke(options));
    }

    private static IFn core(String name) {
        Clojure.var("clojure.core", "require").invoke(Symbol.intern("entangle.core"));
        return Clojure.var("entangle.core", name);
    }

    /**
     * Connects to an existing Hazelcast cluster as a client (the cluster's servers need not run
     * entangle) at {@link MemberOptions#members()}, or as the Hazelcast client configuration
     * file {@link MemberOptions#hazelcastConfig(Path)} says. Sets {@code options.client(true)}.
     * Without a file, a client whose cluster goes away tries to reconnect for as long as it
     * runs (with one, as the file says); meanwhile what needs the cluster throws a
     * {@link ClusterUnreachableException} at once, whatever the reconnect mode, and calls of
     * shared fns run what this JVM has. A client whose file says not to reconnect is no longer
     * in the cluster once its connection is lost: the methods that need the cluster then throw
     * an {@link IllegalStateException} that says so.
     */
    public static Entangle connect(MemberOptions options) {
        Objects.requireNonNull(options, "options is null (new MemberOptions().members(...) for a cluster's address)");
        return join(options.client(true));
    }

    /**
     * The shared var {@code ns/name}, as a fn: each call runs the var's current definition,
     * the newest in the cluster, with no round trip. It is a {@code clojure.lang.IDeref} too, as
     * a var is, for a var that holds data: {@code ((IDeref) cluster.var("shop.config",
     * "rates")).deref()} reads its current value. Looking it up creates nothing; calling or
     * reading it before any member defined it throws an {@link UndefinedVarException}.
     */
    public IFn var(String ns, String name) {
        open();
        return new SharedVarFn(Objects.requireNonNull(ns, "ns is null"), Objects.requireNonNull(name, "name is null"));
    }

    /** The shared var named {@code "ns/name"}; see {@link #var(String, String)}. */
    public IFn var(String qualifiedName) {
        Objects.requireNonNull(qualifiedName, "qualifiedName is null");
        int slash = qualifiedName.indexOf('/');
        if (slash <= 0 || slash == qualifiedName.length() - 1) {
            throw new IllegalArgumentException("'" + qualifiedName + "' is not a qualified var name such as shop.http/handler");
        }
        return var(qualifiedName.substring(0, slash), qualifiedName.substring(slash + 1));
    }

    /**
     * Evaluates every form in {@code code} in namespace {@code user}, as the clustered REPL
     * does: what it defines is shared, and every member has it when this returns. Returns the
     * value of the last form; throws what evaluation threw. A client that has lost its
     * connection keeps what it defines, says on standard error that it could not share it, and
     * shares it once it reconnects.
     */
    public Object eval(String code) {
        return eval("user", code);
    }

    /**
     * As {@link #eval(String)}, starting in namespace {@code ns}, which must exist (to make one,
     * start {@code code} with an {@code ns} form).
     */
    public Object eval(String ns, String code) {
        open();
        return core("eval-code").invoke(Objects.requireNonNull(code, "code is null"), Objects.requireNonNull(ns, "ns is null"));
    }

    /** Loads a Clojure source file, as {@code load-file} at the clustered REPL does: its namespace is shared. */
    public Object loadFile(Path file) {
        String path = Objects.requireNonNull(file, "file is null").toAbsolutePath().toString();
        return eval("(clojure.core/load-file " + Clojure.var("clojure.core", "pr-str").invoke(path) + ")");
    }

    /** The addresses (host:port) of the members of the cluster, this one first; members connected as clients too. */
    public List<String> members() {
        open();
        return member.members();
    }

    /** This member's address (host:port). */
    public String address() {
        return member.address();
    }

    /** Runs the fn of no arguments {@code fn} (a Clojure fn, or a shared var) on one member, chosen at random. */
    public RemoteFuture submit(IFn fn) {
        return member.remote().submit(sendable(fn));
    }

    /** Runs {@code fn} on the member at {@code address} (host:port). */
    public RemoteFuture submitToMember(String address, IFn fn) {
        return member.remote().submitToMember(address, sendable(fn));
    }

    /** Runs {@code fn} on every member that can run it (the embedded members); the futures by member address. */
    public Map<String, RemoteFuture> submitToMembers(IFn fn) {
        return member.remote().submitToMembers(sendable(fn));
    }

    /** Runs {@code fn} on the member that owns {@code key} in Hazelcast's partitioning (where a map keeps its entry). */
    public RemoteFuture submitToKeyOwner(Object key, IFn fn) {
        return member.remote().submitToKeyOwner(key, sendable(fn));
    }

    /**
     * Serializes a value (a fn with its captured values, data) for a Hazelcast structure of
     * your own, such as a queue of work; any member reads it with {@link #deserialize}.
     */
    public byte[] serialize(Object value) {
        return member.remote().serialize(sendable(value));
    }

    /** Reads what {@link #serialize} wrote on any member; refuses what a shared value may not contain. */
    public Object deserialize(byte[] bytes) {
        open();
        return member.remote().deserialize(Objects.requireNonNull(bytes, "bytes is null"));
    }

    /** The Hazelcast instance (member or client) under this member, for what entangle does not cover. */
    public HazelcastInstance hazelcast() {
        open();
        return member.hazelcast();
    }

    /**
     * Leaves the cluster; the definitions stay with the other members. Later calls of close do
     * nothing; any other method then throws an {@link IllegalStateException} (a fn that
     * {@link #var} returned before keeps calling this JVM's last definition).
     */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        member.close("this JVM left the cluster (Entangle.close)");
    }

    /** Nothing this member evaluates after it left would be shared: refused instead of kept here unsaid. */
    private void open() {
        if (closed) {
            throw new IllegalStateException("this entangle member (" + member.address() + ") has left the cluster"
                + " (closed); join again with Entangle.join");
        }
        String left = member.leftBecause();
        if (left != null) {
            // Left without close: the Clojure side's stop!, or a client Hazelcast stopped.
            throw new IllegalStateException("this entangle member (" + member.address() + ") is no longer in the"
                + " cluster: " + left + "; join again with Entangle.join");
        }
    }

    /**
     * A var held as a {@link SharedVarFn} travels as the var (each member calls its own
     * definition of it), and what this member defined so far is shared before the fn leaves.
     */
    private Object sendable(Object fn) {
        open();
        member.share(null);
        return fn instanceof SharedVarFn s ? s.var() : fn;
    }
}
