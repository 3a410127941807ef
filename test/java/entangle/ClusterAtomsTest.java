package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import entangle.testing.ReplProcess;
import entangle.testing.ReplProcess.Result;
import entangle.testing.TestCluster;

/** An atom held by a var in a shared namespace is one atom for the whole cluster. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClusterAtomsTest {
    private TestCluster cluster;
    private ReplProcess a;
    private ReplProcess b;
    private ReplProcess c;

    @BeforeAll
    void start() {
        cluster = new TestCluster();
        a = cluster.start("a");
        b = cluster.start("b");
        c = cluster.start("c");
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    @Test
    void threeMembersEachSwappingAThousandTimesEndAtThreeThousand() throws Exception {
        a.value("(def counter (atom 0))");
        assertEquals("0", c.value("@counter"));
        List<CompletableFuture<String>> runs = List.of(a, b, c).stream()
            .map(m -> CompletableFuture.supplyAsync(() -> m.value(
                "(let [fs (doall (for [_ (range 4)] (future (dotimes [_ 250] (swap! counter inc)))))] (run! deref fs) :done)")))
            .toList();
        for (CompletableFuture<String> r : runs) assertEquals(":done", r.get());
        for (ReplProcess m : List.of(a, b, c)) assertEquals("3000", m.value("@counter"), m.name());
    }

    @Test
    void everyAtomOperationActsOnTheClustersValue() {
        a.value("(def state (atom {:n 1}))");
        assertEquals("{:n 2}", b.value("(swap! state update :n inc)"));
        assertEquals("{:n 2}", a.value("@state"));
        assertEquals("{:reset true}", c.value("(reset! state {:reset true})"));
        assertEquals("[{:reset true} {:n 10}]", a.value("(swap-vals! state (constantly {:n 10}))"));
        assertEquals("[{:n 10} {:n 0}]", b.value("(reset-vals! state {:n 0})"));
        // compare-and-set! compares with what this member read (identity, as for any atom)
        assertEquals("[true {:n 5}]", c.value("(let [seen @state] [(compare-and-set! state seen {:n 5}) @state])"));
        assertEquals("false", a.value("(compare-and-set! state {:n 5} {:n 6})"));
        assertEquals("{:n 5}", b.value("@state"));
        assertEquals("true", a.value("(instance? entangle.sharing.ClusterAtom state)"));
    }

    @Test
    void aValidatorSetAnywhereGuardsEveryMembersChanges() {
        a.value("(def positive (atom 1 :validator pos?))");
        Result r = b.eval("(reset! positive -1)");
        assertTrue(r.err().contains("Invalid reference state"), r.err());
        assertEquals("1", c.value("@positive"));
        c.value("(set-validator! positive #(< % 100))");
        assertTrue(a.eval("(reset! positive 500)").err().contains("Invalid reference state"));
        assertEquals("50", a.value("(reset! positive 50)"));
    }

    @Test
    void aWatchFiresOnTheMemberThatAddedItForChangesMadeAnywhere() throws Exception {
        a.value("(def watched (atom 0))");
        b.value("(def ^:entangle/local seen (atom []))");
        b.value("(add-watch watched :log (fn [_ _ old new] (swap! seen conj [old new])))");
        a.value("(reset! watched 1)");
        c.value("(swap! watched + 10)");
        // A validator set fires no watch, as in one JVM; a reset! to the same value fires them.
        c.value("(set-validator! watched #(< % 100))");
        a.value("(reset! watched 12)");
        a.value("(reset! watched 12)");
        assertEquals("[[0 1] [1 11] [11 12] [12 12]]", b.value("(loop [i 0] (if (or (= 4 (count @seen)) (> i 500))"
            + " @seen (do (Thread/sleep 10) (recur (inc i)))))"));
        // The second reset! wrote 12 too, not the value read before the first.
        assertEquals("[12 12 12]", "[" + a.value("@watched") + " " + b.value("@watched") + " " + c.value("@watched") + "]");
    }

    /**
     * A change that leaves the value as it is ({@code (swap! a identity)}, a reset! to the
     * value it holds) after one made on the same member keeps the value: it once wrote the
     * value read before that change.
     */
    @Test
    void aChangeToTheSameValueAfterAnotherKeepsIt() {
        a.value("(def kept (atom 0))");
        a.value("(swap! kept inc)");
        a.value("(swap! kept identity)");
        a.value("(reset! kept :two)");
        a.value("(reset! kept :two)");
        a.value("(compare-and-set! kept :two :two)");
        assertEquals("[:two :two :two]", "[" + a.value("@kept") + " " + b.value("@kept") + " " + c.value("@kept") + "]");
        // And its identity, which compare-and-set! compares, at a member that read it before.
        a.value("(reset! kept [:three])");
        b.value("(def ^:entangle/local held @kept)");
        a.value("(swap! kept identity)");
        c.value("(set-validator! kept vector?)");
        assertEquals("[true [:four]]", b.value("[(compare-and-set! kept held [:four]) @kept]"));
    }

    /**
     * As in one JVM, a watch runs inside the swap! that made the change, on its thread, at the
     * member that made it, once (its entry event then fires nothing); what it throws, swap!
     * throws, the change made. Changes made elsewhere fire it on a thread of Hazelcast's.
     */
    @Test
    void aWatchRunsInsideTheSwapThatMadeTheChangeOnItsMember() throws Exception {
        a.value("(def inside (atom 0))");
        a.value("(def ^:entangle/local inside-seen (atom []))");
        a.value("(let [t (Thread/currentThread)] (add-watch inside :log (fn [_ _ old new]"
            + " (swap! inside-seen conj [old new (identical? t (Thread/currentThread))]))))");
        assertEquals("[[0 1 true]]", a.value("(do (swap! inside inc) @inside-seen)"));
        assertEquals("[[0 1 true] [1 2 true] [2 3 true] [3 4 true] [4 5 true]]", a.value(
            "(do (reset! inside 2) (compare-and-set! inside 2 3) (compare-and-set! inside 99 100)"
            + " (swap-vals! inside inc) (reset-vals! inside 5) @inside-seen)"));
        a.value("(reset! inside-seen [])");
        b.value("(reset! inside 6)");
        assertEquals("[[5 6 false]]", a.value("(loop [i 0] (if (or (= 1 (count @inside-seen)) (> i 500))"
            + " (do (Thread/sleep 500) @inside-seen) (do (Thread/sleep 10) (recur (inc i)))))"));

        a.value("(def thrower (atom 0))");
        a.value("(add-watch thrower :boom (fn [& _] (throw (ex-info \"watch-boom\" {}))))");
        ReplProcess.Result r = a.eval("(swap! thrower inc)");
        assertTrue(r.err().contains("watch-boom"), r.err());
        assertEquals("[1 1]", "[" + a.value("@thrower") + " " + b.value("@thrower") + "]");
        Thread.sleep(1_000);
        assertFalse(a.allErr().contains("a watch on #'user/thrower failed"), a.allErr());
    }

    @Test
    void anAtomCanStayLocalAndRedefiningMakesANewOne() {
        a.value("(def ^:entangle/local mine (atom :a))");
        b.value("(def ^:entangle/local mine (atom :b))");
        a.value("(swap! mine (constantly :a2))");
        assertEquals(":b", b.value("@mine"));
        assertEquals("false", a.value("(instance? entangle.sharing.ClusterAtom mine)"));

        a.value("(def cache (atom 1))");
        a.value("(def cache (atom 100))");
        assertEquals("100", b.value("@cache"));
        ReplProcess late = cluster.start("late");
        assertEquals("100", late.value("@cache"));
        late.close();
    }

    @Test
    void anAtomWhoseValueCannotTravelSaysSo() {
        Result r = a.eval("(def sockets (atom (java.net.ServerSocket. 0)))");
        assertTrue(r.err().contains("#'user/sockets holds a clojure.lang.Atom whose value holds a java.net.ServerSocket"),
                   r.err());
        a.value("(def shared-list (atom []))");
        Result bad = b.eval("(swap! shared-list conj (java.net.ServerSocket. 0))");
        assertTrue(bad.err().contains("the new value of #'user/shared-list holds a java.net.ServerSocket, which cannot be"
            + " shared with other members; the atom is unchanged (mark #'user/shared-list local, (def ^:entangle/local"
            + " ...), for an atom of this member's own that may hold it)"), bad.err());
        assertEquals("[]", a.value("@shared-list"));
    }
}
