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

    /**
     * One namespace changed at once on two members converges: B's change is applied at A
     * between A's scan and A's write, and A's write, which lands after B's, is the newest.
     */
    @Test
    void oneNamespaceChangedAtOnceOnTwoMembersConverges() throws Exception {
        a.value("(do (create-ns 'conv.imports) (intern 'conv.imports 'marker 1))");
        convergesWhenAWritesLast("entangle.namespaces", "conv.imports",
            "(binding [*ns* (the-ns 'conv.imports)] (import java.util.BitSet))",
            "(some? (ns-resolve 'conv.imports 'BitSet))",
            "(binding [*ns* (the-ns 'conv.imports)] (import java.util.UUID))",
            "(mapv #(some? (ns-resolve 'conv.imports %)) '[BitSet UUID])", "c3");
    }

    /** The same for a named class: every member finds the newest definition by its name. */
    @Test
    void oneRecordDefinedAtOnceOnTwoMembersConverges() throws Exception {
        convergesWhenAWritesLast("entangle.classes", "user.Pair", "(defrecord Pair [left])", "(some? (resolve 'Pair))",
            "(defrecord Pair [right])", "(vec (user.Pair/getBasis))", "c4");
    }

    /**
     * A evaluates {@code onA}, B then {@code onB} once it has A's change ({@code arrived}
     * prints true), while B holds the entry {@code key} of {@code map}: B's own write passes
     * its lock, A's waits for it and so lands last. Every member, and one that joins
     * afterwards, then prints the same for {@code check}.
     */
    private void convergesWhenAWritesLast(String map, String key, String onA, String arrived, String onB, String check,
                                          String lateName) throws Exception {
        String entry = "(.getMap (entangle.core/hazelcast) \"" + map + "\") \"" + key + "\"";
        b.value("(.lock " + entry + ")");
        a.send(onA + "\n");
        b.awaitValue(arrived, "true");
        b.value(onB);
        b.value("(.unlock " + entry + ")");
        a.value("(+ 1 1)"); // A's evaluation has returned
        String onAValue = a.value(check);
        assertEquals(onAValue, b.value(check));
        ReplProcess late = cluster.start(lateName);
        assertEquals(onAValue, late.value(check));
        late.close();
    }
}
