package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import entangle.testing.ReplProcess.Result;
import entangle.testing.TwoMembers;

/**
 * Refs, agents, volatiles, delays, promises and futures stay on their member with the clear
 * message; lazy seqs travel realized when they end, and are refused, without a hang, when not.
 */
class ReferenceTypesAndSeqsTest extends TwoMembers {

    @Test
    void referenceTypesStayLocalWithTheClearMessage() {
        String[][] cases = {
            {"a-ref", "(ref 0)", "clojure.lang.Ref"},
            {"an-agent", "(agent 0)", "clojure.lang.Agent"},
            {"a-volatile", "(volatile! 0)", "clojure.lang.Volatile"},
            {"a-delay", "(delay 1)", "clojure.lang.Delay"},
            {"a-promise", "(promise)", "promise (clojure.core$promise$reify__"},
            {"a-future", "(future 1)", "future (clojure.core$future_call$reify__"},
        };
        String holder = addressOfA();
        for (String[] c : cases) {
            Result defined = a.eval("(def " + c[0] + " " + c[1] + ")");
            assertTrue(defined.err().startsWith("entangle: #'user/" + c[0] + " holds a " + c[2]), defined.err());
            assertTrue(defined.err().endsWith("so it stays on this member only; mark it local with (def ^:entangle/local "
                + c[0] + " ...) or compute it on each member."), defined.err());
            Result used = b.eval("(deref " + c[0] + ")");
            assertTrue(used.err().contains("#'user/" + c[0] + " holds a " + c[2]) && used.err().contains(
                "on member " + holder + ", which cannot be shared with other members"), used.err());
        }
        // The member that made them keeps using them.
        assertEquals("[0 1]", a.value("[@a-ref @a-delay]"));
        // Local, they are each member's own.
        a.value("(def ^:entangle/local workers (agent []))");
        b.value("(def ^:entangle/local workers (agent [:b]))");
        assertEquals("[:b]", b.value("@workers"));
        assertEquals("[]", a.value("@workers"));
    }

    @Test
    void finiteLazySeqsTravelRealized() {
        a.value("(def squares (map #(* % %) (range 10)))");
        assertEquals("(0 1 4 9 16 25 36 49 64 81)", b.value("squares"));
        a.value("(def chained (concat [1 2] (lazy-seq [3]) (filter odd? (range 5))))");
        assertEquals("(1 2 3 1 3)", b.value("chained"));
        a.value("(def some-repeats (repeat 3 :x))");
        assertEquals("(:x :x :x)", b.value("some-repeats"));
        alsoOnALateJoiner("squares", "(0 1 4 9 16 25 36 49 64 81)");
    }

    @Test
    void infiniteLazySeqsAreRefusedWithoutAHang() {
        for (String[] c : new String[][] {
                {"naturals", "(range)", "clojure.lang.Iterate (an infinite lazy seq)"},
                {"ticks", "(cycle [:tick :tock])", "clojure.lang.Cycle (an infinite lazy seq)"},
                {"forever", "(repeat :x)", "clojure.lang.Repeat (a lazy seq that did not end within 100000 elements"},
                {"evens", "(filter even? (range))", "clojure.lang.LazySeq (a lazy seq that did not end within"},
                {"slow", "(repeatedly #(do (Thread/sleep 60000) 1))", "clojure.lang.LazySeq (a lazy seq that did not end"}}) {
            Result r = a.eval("(def " + c[0] + " " + c[1] + ")");
            assertTrue(r.err().startsWith("entangle: #'user/" + c[0] + " holds a " + c[2]), r.err());
            assertEquals("#'user/" + c[0], r.value());
            assertTrue(b.eval(c[0]).err().contains("#'user/" + c[0] + " holds a "), c[0]);
        }
        assertEquals("(0 1 2)", a.value("(take 3 naturals)"));
    }

    @Test
    void aLazySeqWhoseRealizingThrowsStaysWithWhatItThrew() {
        Result r = a.eval("(def bad (map #(/ 1 %) [1 0]))");
        assertEquals("#'user/bad", r.value());
        assertTrue(r.err().startsWith("entangle: #'user/bad holds a clojure.lang.LazySeq (a lazy seq that failed to"
            + " realize: java.lang.ArithmeticException: Divide by zero)"), r.err());
        String atB = b.eval("bad").err();
        assertTrue(atB.contains("#'user/bad holds a clojure.lang.LazySeq on member "), atB);
        // As in Clojure after a realization that threw.
        assertEquals("nil", a.value("(first bad)"));
    }
}
