package entangle.bench;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import clojure.lang.IFn;
import clojure.lang.RT;
import clojure.lang.Var;
import entangle.Entangle;
import entangle.MemberOptions;

/**
 * P1: the call path. The JMH fork is member B of a cluster in which another JVM, member A,
 * defined {@code bench.p1/f}; B defines the same source in a namespace of its own that is
 * never shared. Calling either goes through its var, as Clojure code calls a fn: the question
 * is whether a shared fn costs anything more per call than a local one.
 *
 * <p>The cluster comes from the system properties {@code entangle.bench.cluster},
 * {@code entangle.bench.port} and {@code entangle.bench.log}, which the harness passes.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CallPathBenchmark {
    /** The source both fns are made of. */
    static final String SOURCE = "(defn f [x] (* 3 (inc x)))";
    /** A loop compiled on B that calls f 1000 times, as code that uses a shared fn does. */
    static final String CALLER = "(defn call-f [n] (loop [i 0 acc 0] (if (< i n) (recur (inc i) (+ acc (f i))) acc)))";

    private Entangle cluster;
    private Var shared;
    private Var local;
    private IFn sharedCaller;
    private IFn localCaller;
    private Object arg;

    @Setup(Level.Trial)
    public void join() {
        int port = Integer.getInteger("entangle.bench.port");
        cluster = Entangle.join(new MemberOptions()
            .cluster(System.getProperty("entangle.bench.cluster"))
            .port(port)
            .members("127.0.0.1:" + port + "-" + (port + 9))
            .logFile(Path.of(System.getProperty("entangle.bench.log"))));
        cluster.eval("(ns ^:entangle/local bench.p1-local) " + SOURCE + " " + CALLER);
        // The caller on the shared side is compiled here too, in a local namespace: only f is A's.
        cluster.eval("(ns ^:entangle/local bench.p1-caller) " + CALLER.replace("(f i)", "(bench.p1/f i)"));
        shared = RT.var("bench.p1", "f");
        local = RT.var("bench.p1-local", "f");
        sharedCaller = RT.var("bench.p1-caller", "call-f");
        localCaller = RT.var("bench.p1-local", "call-f");
        if (!shared.isBound() || shared.getRawRoot().getClass().getClassLoader() == local.getRawRoot().getClass().getClassLoader()) {
            throw new IllegalStateException("bench.p1/f is not member A's definition here");
        }
        arg = 1000L;
    }

    @TearDown(Level.Trial)
    public void leave() {
        cluster.close();
    }

    @Benchmark
    public Object sharedFn() {
        return shared.invoke(arg);
    }

    @Benchmark
    public Object localFn() {
        return local.invoke(arg);
    }

    @Benchmark
    @org.openjdk.jmh.annotations.OperationsPerInvocation(1000)
    public Object sharedFnFromCompiledCode() {
        return sharedCaller.invoke(1000L);
    }

    @Benchmark
    @org.openjdk.jmh.annotations.OperationsPerInvocation(1000)
    public Object localFnFromCompiledCode() {
        return localCaller.invoke(1000L);
    }
}
