package entangle.testing;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import clojure.java.api.Clojure;
import clojure.lang.IDeref;
import clojure.lang.IFn;
import clojure.lang.ISeq;
import clojure.lang.RT;
import entangle.Entangle;
import entangle.MemberOptions;
import entangle.remote.RemoteFuture;

/**
 * A Java host application for the tests: it joins the cluster through {@link Entangle} (the
 * ENTANGLE_* environment says where) and answers each line of its input, a command, with one
 * line: {@code => } and the printed result, or {@code !! } and the exception.
 *
 * <pre>
 * join                         Entangle.join()
 * join-at port                 Entangle.join(MemberOptions), the environment's cluster and members, bound from port
 * hold ns/name                 keeps Entangle.var(ns, name), the IFn a host holds
 * call ns/name [args...]       calls the held IFn (looked up now if not held)
 * deref ns/name                reads the value of the held var (looked up now if not held)
 * eval code                    Entangle.eval
 * eval-interrupted ms code     Entangle.eval on a thread of its own, interrupted after ms: prints
 *                              [value-or-exception interrupt-flag-after ms-from-interrupt-to-return]
 * load path                    Entangle.loadFile
 * members                      Entangle.members
 * submit-to-members code       evaluates code (a fn), runs it on every member, prints {member value}
 * close                        Entangle.close
 * </pre>
 */
public final class FacadeHost {
    private static final IFn PR_STR = Clojure.var("clojure.core", "pr-str");
    private static final IFn READ_STRING = Clojure.var("clojure.core", "read-string");

    private FacadeHost() {}

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        Entangle cluster = null;
        Map<String, IFn> held = new HashMap<>();
        for (String line; (line = in.readLine()) != null; ) {
            int space = line.indexOf(' ');
            String command = space < 0 ? line : line.substring(0, space);
            String arg = space < 0 ? "" : line.substring(space + 1);
            try {
                Object result = switch (command) {
                    case "join" -> {
                        cluster = Entangle.join();
                        yield cluster.address();
                    }
                    case "join-at" -> {
                        cluster = Entangle.join(new MemberOptions().cluster(System.getenv("ENTANGLE_CLUSTER"))
                            .members(System.getenv("ENTANGLE_MEMBERS")).port(Integer.parseInt(arg)));
                        yield cluster.address();
                    }
                    case "hold" -> {
                        held.put(arg, cluster.var(arg));
                        yield arg;
                    }
                    case "call" -> {
                        int s = arg.indexOf(' ');
                        String name = s < 0 ? arg : arg.substring(0, s);
                        IFn fn = held.containsKey(name) ? held.get(name) : cluster.var(name);
                        Object fnArgs = s < 0 ? null : READ_STRING.invoke(arg.substring(s + 1));
                        yield fn.applyTo((ISeq) RT.seq(fnArgs));
                    }
                    case "deref" -> ((IDeref) (held.containsKey(arg) ? held.get(arg) : cluster.var(arg))).deref();
                    case "eval" -> cluster.eval(arg);
                    case "eval-interrupted" -> evalInterrupted(cluster, arg);
                    case "load" -> cluster.loadFile(Path.of(arg));
                    case "members" -> RT.vector(cluster.members().toArray());
                    case "submit-to-members" -> {
                        Map<String, Object> values = new TreeMap<>();
                        for (Map.Entry<String, RemoteFuture> e : cluster.submitToMembers((IFn) cluster.eval(arg)).entrySet()) {
                            values.put(e.getKey(), e.getValue().get(60, TimeUnit.SECONDS));
                        }
                        yield RT.map(values.entrySet().stream().flatMap(e -> java.util.stream.Stream.of(e.getKey(), e.getValue()))
                                         .toArray());
                    }
                    case "close" -> {
                        cluster.close();
                        yield "closed";
                    }
                    default -> throw new IllegalArgumentException("unknown command " + command);
                };
                System.out.println("=> " + PR_STR.invoke(result));
            } catch (Throwable t) {
                Throwable c = t instanceof java.util.concurrent.ExecutionException && t.getCause() != null ? t.getCause() : t;
                System.out.println("!! " + c.getClass().getName() + ": " + String.valueOf(c.getMessage()).replace('\n', ' '));
            }
            System.out.flush();
        }
        if (cluster != null) cluster.close();
        System.exit(0);
    }

    private static Object evalInterrupted(Entangle cluster, String arg) throws InterruptedException {
        int s = arg.indexOf(' ');
        long after = Long.parseLong(arg.substring(0, s));
        Object[] outcome = new Object[2];
        Thread evaluating = new Thread(() -> {
            try {
                outcome[0] = cluster.eval(arg.substring(s + 1));
            } catch (Throwable t) {
                outcome[0] = t.toString();
            }
            outcome[1] = Thread.currentThread().isInterrupted();
        }, "eval-interrupted");
        evaluating.start();
        Thread.sleep(after);
        long interrupted = System.nanoTime();
        evaluating.interrupt();
        evaluating.join(60_000);
        long returned = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - interrupted);
        return RT.vector(outcome[0], outcome[1], evaluating.isAlive() ? "still waiting" : returned);
    }
}
