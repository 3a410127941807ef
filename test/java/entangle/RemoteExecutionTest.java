package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import entangle.testing.ReplProcess;
import entangle.testing.TestCluster;

/**
 * Closures written at one member's REPL run on the others (entangle.remote): three real
 * members; each keeps a local var naming itself, so a result shows where it was computed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RemoteExecutionTest {
    private TestCluster cluster;
    private ReplProcess a;
    private ReplProcess b;
    private ReplProcess c;
    private String addrA;
    private String addrB;
    private String addrC;

    @BeforeAll
    void start() {
        cluster = new TestCluster();
        a = cluster.start("a");
        b = cluster.start("b");
        c = cluster.start("c");
        for (ReplProcess p : new ReplProcess[] {a, b, c}) {
            p.value("(require '[entangle.remote :as remote])");
            p.value("(def ^:entangle/local whoami " + ":" + p.name() + ")");
        }
        addrA = a.memberAddress();
        addrB = b.memberAddress();
        addrC = c.memberAddress();
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    @Test
    @Order(1)
    void aClosureDefinedOnARunsOnEveryMemberWithItsCapturedValues() {
        // The fn and the var it calls are defined in the same evaluation that sends it.
        a.value("(defn scaled [x] (* 10 x))");
        assertEquals("{\"" + addrA + "\" [\"abc\" 420 :a], \"" + addrB + "\" [\"abc\" 420 :b], \""
                         + addrC + "\" [\"abc\" 420 :c]}",
            a.value("(let [label \"abc\" factor 42]"
                + " (into (sorted-map) (map (fn [[m f]] [m @f]))"
                + "  (remote/submit-to-members (fn [] [label (scaled factor) whoami]))))"));
        assertEquals("[:b 7]", a.value("(let [n 7] @(remote/submit-to-member \"" + addrB + "\" (fn [] [whoami n])))"));
        assertEquals("[:c [1 2 3]]", b.value("(let [xs [1 2 3]] @(remote/submit-to-member \"" + addrC + "\" #(vector whoami xs)))"));
        String any = a.value("@(remote/submit (fn [] whoami))");
        assertTrue(any.matches(":[abc]"), any);
    }

    /** What a fn prints goes to the output of the member it runs on, not its caller's (README). */
    @Test
    @Order(2)
    void whatARemoteFnPrintsIsPrintedWhereItRuns() throws Exception {
        ReplProcess.Result sent = a.eval("@(remote/submit-to-member \"" + addrB + "\" #(do (println \"printed on\" whoami) 42))");
        assertEquals("42", sent.value());
        assertFalse(sent.out().contains("printed on"), sent.out());
        b.awaitOut("printed on :b");
    }

    @Test
    @Order(2)
    void codeWrittenAfterTheMembersStartedRunsOnThem() {
        a.value("(defrecord Shipment [id weight])");
        a.value("(defn heavy? [s] (> (:weight s) 10))");
        assertEquals("[true :c]", a.value("(let [s (->Shipment 1 12)]"
            + " @(remote/submit-to-member \"" + addrC + "\" (fn [] [(heavy? s) whoami])))"));
        // A record made on C comes back as A's class: equal to one made here.
        assertEquals("true", a.value("(= (->Shipment 2 5) @(remote/submit-to-member \"" + addrC + "\" #(->Shipment 2 5)))"));
    }

    @Test
    @Order(3)
    void aRemoteExceptionNamesTheMemberAndCarriesTheRemoteStackTrace() {
        a.value("(defn risky [x] (if (neg? x) (throw (ex-info \"negative\" {:x x})) x))");
        a.value("(def ^:entangle/local failure (try @(remote/submit-to-member \"" + addrB + "\" #(risky -1))"
            + " (catch java.util.concurrent.ExecutionException e (.getCause e))))");
        assertEquals("\"member " + addrB + " threw clojure.lang.ExceptionInfo: negative\"", a.value("(ex-message failure)"));
        assertEquals("{:member \"" + addrB + "\", :class \"clojure.lang.ExceptionInfo\", :data {:x -1}}",
                     a.value("(ex-data failure)"));
        assertEquals("true", a.value("(boolean (some #(.startsWith (.getClassName ^StackTraceElement %) \"user$risky\")"
            + " (.getStackTrace (.remote failure))))"));
        assertTrue(a.value("(with-out-str (.printStackTrace failure (java.io.PrintWriter. *out*)))")
            .contains("Suppressed: clojure.lang.ExceptionInfo: negative"));
        // It travels as a value too, as ex-info does: entangle's own class, of plain data.
        a.value("(def shared-failure failure)");
        assertEquals("[\"member " + addrB + " threw clojure.lang.ExceptionInfo: negative\" {:member \"" + addrB + "\","
                     + " :class \"clojure.lang.ExceptionInfo\", :data {:x -1}} \"clojure.lang.ExceptionInfo\"]",
                     c.value("[(ex-message shared-failure) (ex-data shared-failure) (.className (.remote shared-failure))]"));
        // Throwing it at the REPL names the member too.
        a.discardPrinted();
        ReplProcess.Result r = a.eval("@(remote/submit-to-member \"" + addrC + "\" #(/ 1 0))");
        assertTrue(r.err().contains("member " + addrC + " threw java.lang.ArithmeticException: Divide by zero"), r.err());
    }

    @Test
    @Order(4)
    void aTimeoutCancelsTheCallOnItsMember() {
        a.value("(def interruptions (atom 0))"); // a cluster atom: every member changes the same one
        a.value("(defn wait-long [] (try (Thread/sleep 120000) :slept (catch InterruptedException _ (swap! interruptions inc) :interrupted)))");
        a.discardPrinted();
        ReplProcess.Result r = a.eval("@(remote/submit-to-member \"" + addrB + "\" wait-long {:timeout-ms 500})");
        assertTrue(r.err().contains("no result from member " + addrB + " within 500 ms; the call was cancelled there"), r.err());
        assertEquals("1", a.value(awaitAtom("interruptions", 1)));
        // future-cancel interrupts a running call too.
        a.value("(def ^:entangle/local running (remote/submit-to-member \"" + addrC + "\" wait-long))");
        a.value("(Thread/sleep 500)");
        assertEquals("[true true true]", a.value("[(future-cancel running) (future-cancelled? running) (realized? running)]"));
        assertEquals("2", a.value(awaitAtom("interruptions", 2)));
        // deref with a timeout value, as on any future, leaves the call running.
        assertEquals(":waiting", a.value("(deref (remote/submit-to-member \"" + addrB + "\" #(do (Thread/sleep 2000) :done)) 100 :waiting)"));
    }

    /** entangle/eval-on's call: {@code code} evaluated on the member at {@code address}; its result there. */
    private static String evalOn(String address, String code, long timeoutMs, String key) {
        return "(get (get (.evalOn (entangle.core/member) \"" + address + "\" \"" + code + "\" \"user\" " + timeoutMs
            + ") \"" + address + "\") \"" + key + "\")";
    }

    @Test
    @Order(4)
    void anEvaluationSentToAMemberWithNoResultInTimeIsCancelledThere() {
        a.value("(def eval-interruptions (atom 0))");
        String code = "(try (Thread/sleep 120000) :slept (catch InterruptedException _ (swap! eval-interruptions inc)))";
        assertEquals("\"no result from member " + addrB + " within 500 ms; the evaluation was cancelled there\"",
                     a.value(evalOn(addrB, code, 500, "err")));
        assertEquals("1", a.value(awaitAtom("eval-interruptions", 1)));
    }

    /**
     * Evaluations sent to a member run beside what sharing needs there: nine at once, more
     * than the threads that apply definitions on a member, leave a definition made meanwhile
     * to reach that member at once (it once waited 15 s for them, then for the entry event).
     */
    @Test
    @Order(4)
    void evaluationsSentToAMemberLeaveItsDefinitionsToArriveAtOnce() throws Exception {
        String running = "(count (filter (fn [^Thread t] (some #(= \"entangle.cluster.RemoteEval\" (.getClassName ^StackTraceElement %))"
            + " (.getStackTrace t))) (keys (Thread/getAllStackTraces))))";
        a.value("(def ^:entangle/local busy (doall (for [_ (range 9)] (future " + evalOn(addrB, "(Thread/sleep 12000)", 60000, "value")
            + "))))");
        b.awaitValue("(>= " + running + " 8)", "true");
        a.value("(defn defined-while-b-is-busy [] :defined)");
        assertEquals(":defined", b.value("(defined-while-b-is-busy)"));
        // All nine still running: the definition did not wait for them.
        assertEquals("0", a.value("(count (filter realized? busy))"));
        // Cancelling the calls on A interrupts the evaluations on B.
        a.value("(run! future-cancel busy)");
        b.awaitValue(running, "0");
    }

    private static String awaitAtom(String atom, int value) {
        return "(loop [i 0] (if (or (= " + value + " @" + atom + ") (> i 300)) @" + atom + " (do (Thread/sleep 100) (recur (inc i)))))";
    }

    @Test
    @Order(5)
    void theKeyOwnerRunsTheFnWhereTheKeysEntryIs() {
        a.value("(doto (.getMap (entangle.core/hazelcast) \"orders\") (.put \"order-17\" \"3 boxes\") (.put \"order-42\" \"1 crate\"))");
        for (String key : new String[] {"order-17", "order-42"}) {
            assertEquals("[true \"" + (key.equals("order-17") ? "3 boxes" : "1 crate") + "\"]",
                a.value("@(remote/submit-to-key-owner \"" + key + "\""
                    + " (fn [] (let [m (.getMap (entangle.core/hazelcast) \"orders\")]"
                    + "  [(contains? (set (.localKeySet m)) \"" + key + "\") (.get m \"" + key + "\")])))"));
        }
    }

    @Test
    @Order(6)
    void whatCannotTravelIsRefusedWithASentenceThatSaysWhat() {
        a.discardPrinted();
        ReplProcess.Result socket = a.eval("(let [s (java.net.ServerSocket. 0)] (remote/submit-to-member \"" + addrB + "\" (fn [] (.getLocalPort s))))");
        assertTrue(socket.err().contains("the fn cannot be sent to other members: it holds a java.net.ServerSocket; make such a value"
            + " inside the fn, on the member that runs it"), socket.err());
        ReplProcess.Result result = a.eval("@(remote/submit-to-member \"" + addrB + "\" (fn [] (java.net.ServerSocket. 0)))");
        assertTrue(result.err().contains("member " + addrB + " threw java.lang.IllegalStateException: the fn's result cannot travel back:"
            + " it holds a java.net.ServerSocket"), result.err());
        ReplProcess.Result notAFn = a.eval("(remote/submit-to-member \"" + addrB + "\" 42)");
        assertTrue(notAFn.err().contains("only a fn of no arguments can run on other members, not java.lang.Long"), notAFn.err());
        ReplProcess.Result nobody = a.eval("(remote/submit-to-member \"127.0.0.1:1\" (fn [] 1))");
        assertTrue(nobody.err().contains("no member at 127.0.0.1:1; members that can run code: ["), nobody.err());
        for (String notAnAddress : new String[] {"nil", ":b"}) {
            ReplProcess.Result r = a.eval("(remote/submit-to-member " + notAnAddress + " (fn [] 1))");
            assertTrue(r.err().contains("the member is " + notAnAddress + ", not an address (host:port) as"
                + " entangle.core/members lists them"), r.err());
        }
        assertEquals(":still-fine", a.value(":still-fine"));
    }

    /**
     * A fn that needs arguments, and options that are not the options, are refused before the
     * fn leaves: a call sent with them would run without the option, or fail only at deref.
     */
    /**
     * What remote/serialize wrote at one member, a closure with its captured values, runs at
     * another once remote/deserialize has read it; bytes that are not such a value are refused.
     */
    @Test
    @Order(6)
    void aSerializedClosureIsReadAtAnotherMemberAndBytesThatAreNotAValueAreRefused() {
        String bytes = a.value("(let [n 6] (vec (remote/serialize {:job (fn [] [whoami (* n 7)])})))");
        assertEquals("[:b 42]", b.value("((:job (remote/deserialize (byte-array " + bytes + "))))"));
        ReplProcess.Result cut = b.eval("(remote/deserialize (byte-array (take 20 " + bytes + ")))");
        assertTrue(cut.err().contains("the value was refused: its bytes are not a value this member can read"), cut.err());
        assertEquals("[:b 42]", b.value("((:job (remote/deserialize (byte-array " + bytes + "))))"));
    }

    @Test
    @Order(6)
    void malformedOptionsAndAFnThatNeedsArgumentsAreRefusedBeforeTheFnIsSent() {
        a.value("(def sent-and-run (atom 0))");
        String toB = "(remote/submit-to-member \"" + addrB + "\" ";
        java.util.function.BiConsumer<String, String> refused = (call, sentence) -> {
            String err = a.eval(call).err();
            assertTrue(err.contains(sentence), err);
        };
        refused.accept(toB + "(fn [] (swap! sent-and-run inc)) {:timout-ms 500})",
            "entangle.remote: unknown option :timout-ms; the options are :timeout-ms");
        refused.accept(toB + "(fn [] (swap! sent-and-run inc)) {:timeout-ms -5})",
            "entangle.remote: :timeout-ms: must be a positive whole number of milliseconds, not -5");
        refused.accept("(remote/submit-to-members (fn [] (swap! sent-and-run inc)) 500)",
            "entangle.remote: the options must be a map, such as {:timeout-ms 500}, not 500");
        a.value("(defn needs-two [x y] (swap! sent-and-run inc))");
        refused.accept(toB + "needs-two)", "only a fn of no arguments can run on other members; user/needs-two takes 2 arguments");
        refused.accept(toB + "(fn ([x] x) ([x y & more] (swap! sent-and-run inc))))", "takes 1 or 2 or more arguments");
        // A call that runs counts; none of those above did.
        assertEquals("1", a.value("@" + toB + "(fn [] (swap! sent-and-run inc)) {:timeout-ms 5000})"));
        assertEquals("[1 :done]", a.value("[(do (Thread/sleep 500) @sent-and-run) @" + toB + "(fn [& xs] :done))]"));
    }

    /**
     * A call to a member stopped with Ctrl-Z (or at a breakpoint) is cancelled at once: the
     * cancel waited for the member's answer, until the cluster left it out (6 s by hand),
     * saying nothing. The member, back within the heartbeat timeout, gets the cancel.
     */
    @Test
    @Order(6)
    void cancellingACallToAStoppedMemberDoesNotWaitForIt() throws Exception {
        for (ReplProcess p : new ReplProcess[] {a, b}) p.value("(def ^:entangle/local call-state (atom nil))");
        a.value("(def ^:entangle/local to-cancel (remote/submit-to-member \"" + addrB + "\" #(do (reset! call-state :running)"
            + " (try (Thread/sleep 120000) :slept (catch InterruptedException _ (reset! call-state :interrupted))))))");
        b.awaitValue("@call-state", ":running");
        signal("STOP", b);
        try {
            assertEquals("[true true]", a.value("[(future-cancel to-cancel) (contains? (set (entangle.core/members)) \"" + addrB + "\")]"));
        } finally {
            signal("CONT", b);
        }
        b.awaitValue("@call-state", ":interrupted");
        assertEquals("true", a.value("(future-cancelled? to-cancel)"));
    }

    private static void signal(String name, ReplProcess member) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, String.valueOf(member.pid())).start();
        assertEquals(0, kill.waitFor(), "kill -" + name);
    }

    @Test
    @Order(6)
    void evalOnEveryMemberAnswersForAClientMemberThatItRanNothing() throws Exception {
        // entangle/members lists a client member; "every member" must not leave it out unsaid.
        ReplProcess d = cluster.start("d", java.util.List.of(), java.util.List.of("--client"));
        String addrD = d.memberAddress();
        a.awaitValue("(count (entangle.core/members))", "4");
        String answers = "(into (sorted-map) (for [[m r] (.evalOn (entangle.core/member) \"all\" \"whoami\" \"user\" 30000)]"
            + " [m (or (get r \"value\") [(get r \"ex\") (get r \"err\")])]))";
        java.util.Map<String, String> expected = new java.util.TreeMap<>(java.util.Map.of(
            addrA, "\":a\"", addrB, "\":b\"", addrC, "\":c\"",
            addrD, "[\"java.lang.UnsupportedOperationException\" \"member " + addrD + "%s is connected as a client, which"
                + " runs no code sent to it: nothing was evaluated there\"]"));
        String printed = expected.entrySet().stream().map(e -> "\"" + e.getKey() + "\" " + e.getValue())
            .collect(java.util.stream.Collectors.joining(", ", "{", "}"));
        assertEquals(String.format(printed, ""), a.value(answers));
        assertEquals(String.format(printed, " (this one)"), d.value(answers));
        // Sent to it alone, it is refused, naming those that can.
        a.discardPrinted();
        ReplProcess.Result alone = a.eval(evalOn(addrD, "whoami", 1000, "value"));
        assertTrue(alone.err().contains("member " + addrD + " is connected as a client and cannot run code sent to it;"
            + " members that can: "), alone.err());
        assertEquals(0, d.endInput());
    }

    @Test
    @Order(7)
    void aMemberThatDiesDuringTheCallFailsItsFutureNamingIt() throws Exception {
        a.value("(def ^:entangle/local doomed (remote/submit-to-member \"" + addrC + "\" #(do (Thread/sleep 120000) :never)))");
        a.value("(def ^:entangle/local doomed-eval (future " + evalOn(addrC, "(Thread/sleep 120000)", 60000, "err") + "))");
        a.value("(Thread/sleep 300)");
        c.kill9();
        a.discardPrinted();
        ReplProcess.Result r = a.eval("@doomed");
        assertTrue(r.err().contains("member " + addrC + " left the cluster before the fn finished"), r.err());
        assertEquals("\"member " + addrC + " left the cluster before it answered (the code may have run there in part)\"",
                     a.value("@doomed-eval"));
        assertEquals("{\"" + addrA + "\" :a, \"" + addrB + "\" :b}",
            a.value("(into (sorted-map) (map (fn [[m f]] [m @f])) (remote/submit-to-members (fn [] whoami)))"));
    }
}
