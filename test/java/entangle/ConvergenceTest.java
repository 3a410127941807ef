package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;

import entangle.testing.ReplProcess;
import entangle.testing.TwoMembers;

/**
 * Concurrent redefinitions converge, and identity is exact: two members that compile
 * different classes under one name each run the right one.
 */
class ConvergenceTest extends TwoMembers {

    @Test
    void oneVarRedefinedConcurrentlyFromTwoMembersConvergesEverywhere() throws Exception {
        int n = 60;
        StringBuilder onA = new StringBuilder();
        StringBuilder onB = new StringBuilder();
        for (int i = 0; i < n; i++) {
            onA.append("(defn race [] [:a ").append(i).append("])\n");
            onB.append("(defn race [] [:b ").append(i).append("])\n");
        }
        // Each REPL evaluates its sixty redefinitions one after the other, both at once.
        CompletableFuture<?> fa = CompletableFuture.runAsync(() -> a.eval(onA.toString()));
        CompletableFuture<?> fb = CompletableFuture.runAsync(() -> b.eval(onB.toString()));
        CompletableFuture.allOf(fa, fb).get();
        String onAValue = a.value("(race)");
        String onBValue = b.value("(race)");
        assertEquals(onAValue, onBValue);
        // The last write in the total order is one member's last write.
        assertTrue(onAValue.equals("[:a " + (n - 1) + "]") || onAValue.equals("[:b " + (n - 1) + "]"), onAValue);
        // A member that joins afterwards gets the same definition.
        ReplProcess c = cluster.start("c");
        assertEquals(onAValue, c.value("(race)"));
        c.close();
    }

    @Test
    void sameClassNameCompiledDifferentlyOnTwoMembersRunsEachMembersCode() {
        // Advance both members' compiler counters (clojure.lang.RT/nextID) to the same value,
        // then make each compile an anonymous fn: the two classes get one name.
        long target = Math.max(Long.parseLong(a.value("(clojure.lang.RT/nextID)")),
                               Long.parseLong(b.value("(clojure.lang.RT/nextID)"))) + 1000;
        String advance = "(while (< (clojure.lang.RT/nextID) " + target + "))";
        a.value("(do " + advance + " (def from-a (let [] (fn [] :compiled-on-a))))");
        b.value("(do " + advance + " (def from-b (let [] (fn [] :compiled-on-b))))");
        String nameOnA = a.value("(.getName (class from-a))");
        String nameOnB = b.value("(.getName (class from-b))");
        assertEquals(nameOnA, nameOnB, "the collision did not happen; the test proves nothing");
        assertTrue(nameOnA.matches("\"user\\$.*fn__\\d+\""), nameOnA);

        for (ReplProcess m : new ReplProcess[] {a, b}) {
            assertEquals("[:compiled-on-a :compiled-on-b]", m.value("[(from-a) (from-b)]"), m.name());
            assertEquals("true", m.value("(= (.getName (class from-a)) (.getName (class from-b)))"), m.name());
            assertEquals("false", m.value("(identical? (class from-a) (class from-b))"), m.name());
        }
        // A member that has neither compiled keeps them apart too.
        ReplProcess c = cluster.start("c2");
        assertEquals("[:compiled-on-a :compiled-on-b]", c.value("[(from-a) (from-b)]"));
        c.close();
    }

    @Test
    void defnsOfTheSameNameCompiledOnTwoMembersStayApartWhenCapturedInValues() {
        // (defn same ...) compiles to user$same on both members, with different bytes.
        a.value("(defn same [] :a-version)");
        a.value("(def kept-a same)");
        b.value("(defn same [] :b-version)");
        b.value("(def kept-b same)");
        for (ReplProcess m : new ReplProcess[] {a, b}) {
            assertEquals("[:a-version :b-version :b-version]", m.value("[(kept-a) (kept-b) (same)]"), m.name());
        }
        assertNotEquals(a.value("(System/identityHashCode (class kept-a))"),
                        a.value("(System/identityHashCode (class kept-b))"));
    }
}
