package entangle.remote;

import static entangle.value.UnshareableValueException.withArticle;

import java.io.IOException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;

import com.hazelcast.cluster.Member;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.partition.Partition;

import clojure.lang.AFunction;
import clojure.lang.APersistentMap;
import clojure.lang.APersistentSet;
import clojure.lang.APersistentVector;
import clojure.lang.Compiler;
import clojure.lang.IExceptionInfo;
import clojure.lang.Keyword;
import clojure.lang.RestFn;
import clojure.lang.Symbol;
import clojure.lang.Var;
import entangle.RefusedException;
import entangle.cluster.HazelcastCluster;
import entangle.cluster.HazelcastLogging;
import entangle.unit.Units;
import entangle.value.UnshareableValueException;
import entangle.value.ValueReader;
import entangle.value.ValueWriter;

/**
 * Runs fns on other members: a fn (a closure defined at a REPL a moment ago, with its
 * captured values) travels as any shared value does, runs on the members chosen, and its
 * value or exception comes back in a {@link RemoteFuture}. Only embedded members run fns sent
 * to them (Hazelcast cannot send a task to a client); any member, client or not, can send.
 *
 * <p>Anything a fn sends is serialized by entangle's own value writer and read by its
 * filtered reader on both ends; an exception comes back as plain text (class, message, stack
 * trace), so nothing of the remote exception's classes is needed here.
 */
public final class RemoteExecution {
    // Results are read off Hazelcast's response threads: reading one may load units from the
    // cluster, which must never wait on the thread that would deliver them.
    private static final ExecutorService READERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "entangle-remote-results");
        t.setDaemon(true);
        return t;
    });

    private final HazelcastCluster cluster;
    private final Units units;
    private final IExecutorService executor;

    public RemoteExecution(HazelcastCluster cluster, Units units) {
        this.cluster = cluster;
        this.units = units;
        this.executor = cluster.hazelcast().getExecutorService(HazelcastCluster.REMOTE_EXECUTOR);
    }

    /** Runs {@code fn} on one member, chosen at random among those that can run it. */
    public RemoteFuture submit(Object fn) {
        List<Member> runners = cluster.runners();
        if (runners.isEmpty()) throw new IllegalStateException(cluster.noRunners());
        byte[] sent = prepare(fn);
        return send(sent, runners.get(ThreadLocalRandom.current().nextInt(runners.size())));
    }

    /** Runs {@code fn} on the member at {@code address} (host:port). */
    public RemoteFuture submitToMember(String address, Object fn) {
        if (address == null) throw new IllegalArgumentException(notAnAddress("nil"));
        Member target = cluster.runner(address);
        return send(prepare(fn), target);
    }

    /** Why {@code printed}, given where a member's address belongs, names no member. */
    public static String notAnAddress(String printed) {
        return "the member is " + printed + ", not an address (host:port) as entangle.core/members lists them";
    }

    /** Runs {@code fn} on every member that can run it; the futures by member address. */
    public Map<String, RemoteFuture> submitToMembers(Object fn) {
        List<Member> runners = cluster.runners();
        if (runners.isEmpty()) throw new IllegalStateException(cluster.noRunners());
        byte[] sent = prepare(fn);
        Map<String, RemoteFuture> out = new LinkedHashMap<>();
        for (Member m : runners) out.put(address(m), send(sent, m));
        return out;
    }

    /**
     * Runs {@code fn} on the member that owns {@code key}: the one that holds the key's entry
     * in any Hazelcast map, so that the fn works on local data.
     */
    public RemoteFuture submitToKeyOwner(Object key, Object fn) {
        if (key == null) throw new IllegalArgumentException("the key is nil");
        HazelcastInstance h = cluster.hazelcast();
        Partition p = h.getPartitionService().getPartition(key);
        Member owner = p.getOwner();
        if (owner == null) throw new IllegalStateException("partition " + p.getPartitionId() + " of key " + key + " has no owner yet");
        if (owner.getAttribute(HazelcastCluster.ENTANGLE_ATTRIBUTE) == null) {
            throw new IllegalStateException("member " + address(owner) + ", which owns key " + key
                + ", does not run entangle and cannot run fns");
        }
        return send(prepare(fn), owner);
    }

    /** Serializes a value for a Hazelcast structure of the user's (a queue of work): its units are stored first. */
    public byte[] serialize(Object value) {
        try {
            ValueWriter.Written w = ValueWriter.write(value, units);
            cluster.reaching(() -> {
                units.store().storeAll(w.units());
                return null;
            });
            return w.bytes();
        } catch (UnshareableValueException e) {
            // No cause: the REPL reports an exception's root cause, and this message says it all.
            throw new IllegalArgumentException("the value cannot travel to other members: it holds "
                + withArticle(e.getMessage()));
        }
    }

    /** Reads what {@link #serialize} wrote, on any member; refuses what a shared value may not contain. */
    public Object deserialize(byte[] bytes) {
        try {
            return ValueReader.read(bytes, units);
        } catch (RefusedException e) {
            throw new IllegalArgumentException("the value was refused: " + e.getMessage());
        }
    }

    private byte[] prepare(Object fn) {
        // Clojure's keywords, symbols and collections are fns of one or two arguments (a record
        // is not one of these: it may implement IFn with no arguments).
        if (!(fn instanceof Callable) || fn instanceof Keyword || fn instanceof Symbol
                || fn instanceof APersistentMap || fn instanceof APersistentSet || fn instanceof APersistentVector) {
            throw new IllegalArgumentException("only a fn of no arguments can run on other members, not "
                + (fn == null ? "nil" : fn.getClass().getName()));
        }
        Object root = fn instanceof Var v ? v.getRawRoot() : fn;
        String arities = aritiesWithoutNone(root);
        if (arities != null) {
            // Refused before it leaves: sent, it would fail only as its future is deref'd.
            throw new IllegalArgumentException("only a fn of no arguments can run on other members; "
                + (fn instanceof Var ? fn : Compiler.demunge(root.getClass().getName())) + " takes " + arities);
        }
        try {
            ValueWriter.Written w = ValueWriter.write(fn, units);
            cluster.reaching(() -> {
                units.store().storeAll(w.units());
                return null;
            });
            return w.bytes();
        } catch (UnshareableValueException e) {
            throw new IllegalArgumentException("the fn cannot be sent to other members: it holds "
                + withArticle(e.getMessage())
                + (fn.getClass().isSynthetic() || fn.getClass().getName().contains("$$Lambda")
                   ? "; send a Clojure fn (from eval, or a shared var), not a Java lambda"
                   : "; make such a value inside the fn, on the member that runs it"));
        }
    }

    /**
     * The arities of a compiled Clojure fn that cannot be called with no arguments ("1 argument",
     * "1 or 2 arguments", "2 or more arguments"), or null: it can, or it is not a compiled fn,
     * whose arities its class would show.
     */
    static String aritiesWithoutNone(Object fn) {
        if (!(fn instanceof AFunction)) return null;
        TreeSet<Integer> fixed = new TreeSet<>();
        for (Method m : fn.getClass().getDeclaredMethods()) {
            if (m.getName().equals("invoke") && !m.isBridge()) fixed.add(m.getParameterCount());
        }
        int rest = fn instanceof RestFn r ? r.getRequiredArity() : -1;
        if (fixed.contains(0) || rest == 0 || (fixed.isEmpty() && rest < 0)) return null;
        List<String> counts = new ArrayList<>();
        for (int n : fixed) if (rest < 0 || n < rest) counts.add(String.valueOf(n));
        if (rest > 0) counts.add(rest + " or more");
        String last = counts.remove(counts.size() - 1);
        String all = counts.isEmpty() ? last : String.join(", ", counts) + " or " + last;
        return all + (all.equals("1") ? " argument" : " arguments");
    }

    private RemoteFuture send(byte[] fn, Member target) {
        String where = address(target);
        RemoteFuture result = new RemoteFuture(where);
        Future<byte[]> call = executor.submitToMember(new RemoteCall(fn), target);
        result.runningAs(call);
        ((CompletableFuture<byte[]>) call).whenCompleteAsync((bytes, failure) -> {
            if (result.isDone()) return;
            if (failure != null) {
                result.completeExceptionally(failure(where, failure));
                return;
            }
            try {
                result.complete(outcome(bytes));
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        }, READERS);
        return result;
    }

    private Object outcome(byte[] bytes) {
        Outcome.Decoded d;
        try {
            d = Outcome.decode(bytes);
        } catch (IOException e) {
            throw new IllegalStateException("the result could not be read: " + e.getMessage());
        }
        if (!d.failed()) return readResult(d.value());
        Object data = null;
        if (d.data() != null) {
            try {
                data = ValueReader.read(d.data(), units);
            } catch (RefusedException e) {
                data = null; // the message and trace still say what happened
            }
        }
        throw new RemoteException(d.member(), d.chain(), data);
    }

    private Object readResult(byte[] value) {
        try {
            return ValueReader.read(value, units);
        } catch (RefusedException e) {
            throw new IllegalStateException("the result was refused: " + e.getMessage());
        }
    }

    private Throwable failure(String where, Throwable failure) {
        Throwable unreachable = cluster.unreachable(failure);
        if (unreachable != null) return unreachable;
        HazelcastCluster.Left left = HazelcastCluster.whoLeft(failure);
        if (left == HazelcastCluster.Left.THAT_MEMBER) {
            return new IllegalStateException("member " + where + " left the cluster before the fn finished"
                + " (it may have run in part)");
        }
        if (left == HazelcastCluster.Left.THIS_MEMBER) {
            return new IllegalStateException("this member left the cluster before member " + where + " answered");
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof java.util.concurrent.CancellationException) return t;
        }
        HazelcastLogging.entangle().log(java.util.logging.Level.WARNING, "a call to member " + where + " failed", failure);
        Throwable c = failure;
        while ((c instanceof ExecutionException || c instanceof java.util.concurrent.CompletionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return new IllegalStateException("the fn could not be run on member " + where + ": " + c);
    }

    /**
     * Runs a fn sent to this member and returns its {@link Outcome}; never throws, so that
     * what went wrong reaches the caller with this member's name.
     */
    byte[] runHere(byte[] fn, String self) {
        Object f;
        try {
            f = ValueReader.read(fn, units);
        } catch (RefusedException e) {
            return Outcome.thrown(self, new RefusedException("the fn was refused here: " + e.getMessage()), null);
        }
        Object v;
        try {
            v = ((Callable<?>) f).call();
        } catch (Throwable t) {
            if (t instanceof InterruptedException) Thread.currentThread().interrupt();
            return Outcome.thrown(self, t, exData(t));
        }
        try {
            ValueWriter.Written w = ValueWriter.write(v, units);
            units.store().storeAll(w.units());
            return Outcome.value(w.bytes());
        } catch (UnshareableValueException e) {
            return Outcome.thrown(self, new IllegalStateException("the fn's result cannot travel back: it holds "
                + withArticle(e.getMessage())), null);
        } catch (RuntimeException e) {
            return Outcome.thrown(self, e, null);
        }
    }

    private byte[] exData(Throwable t) {
        if (!(t instanceof IExceptionInfo info) || info.getData() == null) return null;
        try {
            ValueWriter.Written w = ValueWriter.write(info.getData(), units);
            units.store().storeAll(w.units());
            return w.bytes();
        } catch (UnshareableValueException | RuntimeException e) {
            return null;
        }
    }

    private static String address(Member m) {
        return m.getAddress().getHost() + ":" + m.getAddress().getPort();
    }
}
