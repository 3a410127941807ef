package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
        race(onA.toString(), onB.toString(), "#'user/race");
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
    void manyVarsRedefinedInOneEvaluationConcurrentlyFromTwoMembersConvergeVarByVar() throws Exception {
        // A hundred records an evaluation, the other member writing the same keys meanwhile:
        // what a write of an evaluation's records in fewer operations (tried, a partition at a
        // time) must keep.
        int vars = 100, rounds = 15;
        StringBuilder onA = new StringBuilder();
        StringBuilder onB = new StringBuilder();
        for (int r = 0; r < rounds; r++) {
            onA.append("(do");
            onB.append("(do");
            for (int v = 0; v < vars; v++) {
                onA.append(" (defn many-").append(v).append(" [] [:a ").append(r).append("])");
                onB.append(" (defn many-").append(v).append(" [] [:b ").append(r).append("])");
            }
            onA.append(")\n");
            onB.append(")\n");
        }
        race(onA.toString(), onB.toString(), "#'user/many-\\d+");
        String all = "(mapv #((resolve (symbol (str \"many-\" %)))) (range " + vars + "))";
        String onAValues = a.value(all);
        assertEquals(onAValues, b.value(all));
        // Each var's last write in its total order is one member's last round.
        for (String value : onAValues.substring(1, onAValues.length() - 1).split("\\] \\[")) {
            String v = value.replace("[", "").replace("]", "");
            assertTrue(v.equals(":a " + (rounds - 1)) || v.equals(":b " + (rounds - 1)), onAValues);
        }
        ReplProcess c = cluster.start("c3");
        assertEquals(onAValues, c.value(all));
        c.close();
    }

    /**
     * A evaluates {@code onA} while B evaluates {@code onB}. A definition of one that the other's
     * replaced without seeing it is told at its member, naming only vars {@code varsTold} matches
     * and the other member; whether any is depends on how the two interleave.
     */
    private void race(String onA, String onB, String varsTold) throws Exception {
        int aFrom = a.allErr().length();
        int bFrom = b.allErr().length();
        CompletableFuture<?> fa = CompletableFuture.runAsync(() -> a.eval(onA));
        CompletableFuture<?> fb = CompletableFuture.runAsync(() -> b.eval(onB));
        CompletableFuture.allOf(fa, fb).get();
        // Each evaluation returned once the other member applied it: what either tells is known.
        Map<String, String> toldA = a.replacedSince(aFrom);
        Map<String, String> toldB = b.replacedSince(bFrom);
        for (String var : toldA.keySet()) assertTrue(var.matches(varsTold), var);
        for (String var : toldB.keySet()) assertTrue(var.matches(varsTold), var);
        if (!toldA.isEmpty()) assertEquals(Set.of(b.memberAddress()), Set.copyOf(toldA.values()));
        if (!toldB.isEmpty()) assertEquals(Set.of(a.memberAddress()), Set.copyOf(toldB.values()));
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
     * One namespace changed at once on two members converges, and keeps both changes: B's
     * change is applied at A between A's scan and A's write, and A's write, which lands after
     * B's, lacks B's import (the two writes crossed); A, and B, put it back.
     */
    @Test
    void oneNamespaceChangedAtOnceOnTwoMembersConverges() throws Exception {
        a.value("(do (create-ns 'conv.imports) (intern 'conv.imports 'marker 1))");
        assertEquals("[true true]", convergesWhenAWritesLast("entangle.namespaces", "conv.imports",
            "(binding [*ns* (the-ns 'conv.imports)] (import java.util.BitSet))",
            "(some? (ns-resolve 'conv.imports 'BitSet))",
            "(binding [*ns* (the-ns 'conv.imports)] (import java.util.UUID))",
            "(mapv #(some? (ns-resolve 'conv.imports %)) '[BitSet UUID])", "c3"));
    }

    /**
     * Two methods added at once to one multimethod on two members, their writes crossing as
     * above: every member ends with both, as with two defmethods one after the other.
     */
    @Test
    void methodsAddedAtOnceOnTwoMembersAreAllKept() throws Exception {
        a.value("(defmulti conv-area :shape)");
        a.value("(defmethod conv-area :square [_] :square)");
        b.awaitValue("(contains? (methods conv-area) :square)", "true");
        assertEquals("[(:circle :square :triangle) [:circle :triangle]]", convergesWhenAWritesLast("entangle.vars",
            "user/conv-area", "(defmethod conv-area :circle [_] :circle)", "(contains? (methods conv-area) :circle)",
            "(defmethod conv-area :triangle [_] :triangle)",
            "[(sort (keys (methods conv-area))) (mapv #(conv-area {:shape %}) [:circle :triangle])]", "c5"));
    }

    /** The same for two print-method extensions, which travel as the var's evaluated methods. */
    @Test
    void printMethodsAddedAtOnceOnTwoMembersAreAllKept() throws Exception {
        a.value("(do (defrecord ConvLeft [x]) (defrecord ConvRight [x]))");
        b.awaitValue("(some? (resolve 'ConvRight))", "true");
        assertEquals("\"[<left 1> <right 2>]\"", convergesWhenAWritesLast("entangle.vars", "clojure.core/print-method",
            "(defmethod print-method user.ConvLeft [r w] (.write w (str \"<left \" (:x r) \">\")))",
            "(contains? (methods print-method) user.ConvLeft)",
            "(defmethod print-method user.ConvRight [r w] (.write w (str \"<right \" (:x r) \">\")))",
            "(pr-str [(->ConvLeft 1) (->ConvRight 2)])", "c6"));
    }

    /** The same for two specs defined at once, which travel as the registry's evaluated entries. */
    @Test
    void specsDefinedAtOnceOnTwoMembersAreAllKept() throws Exception {
        a.value("(require 'clojure.spec.alpha)");
        b.awaitValue("(some? (find-ns 'clojure.spec.alpha))", "true");
        assertEquals("[true false true false]", convergesWhenAWritesLast("entangle.vars", "clojure.spec.alpha/registry-ref",
            "(clojure.spec.alpha/def :conv/left int?)", "(some? (clojure.spec.alpha/get-spec :conv/left))",
            "(clojure.spec.alpha/def :conv/right string?)",
            "(mapv (fn [[k x]] (clojure.spec.alpha/valid? k x)) [[:conv/left 1] [:conv/left \"1\"] [:conv/right \"r\"]"
                + " [:conv/right 2]])", "c7"));
    }

    /**
     * What an evaluation changes of a multimethod's table and of its namespace before a record
     * of the same multimethod and namespace from another member is applied, and the evaluation
     * has not published yet, stays: the record's changes and this member's are both kept, at
     * once and everywhere (a load-file that adds methods and requires while another member
     * does the same is one such evaluation).
     */
    @Test
    void changesAnEvaluationMadeSurviveARecordAppliedWhileItRuns(@TempDir Path dir) throws Exception {
        a.value("(defmulti conv-shape :shape)");
        a.value("(defmethod conv-shape :square [_] :square)");
        b.awaitValue("(contains? (methods conv-shape) :square)", "true");
        Path started = dir.resolve("started");
        String onB = "(do (defmethod conv-shape :triangle [_] :triangle) (alias 'conv-str 'clojure.string)"
            + " (import java.util.UUID) (spit \"" + started + "\" \"started\")"
            + " (loop [i 0] (when (and (< i 3000) (not (and (contains? (methods conv-shape) :circle)"
            + " (ns-resolve *ns* 'BitSet)))) (Thread/sleep 10) (recur (inc i))))"
            + " [(contains? (methods conv-shape) :circle) (contains? (methods conv-shape) :triangle)"
            + " (contains? (ns-aliases *ns*) 'conv-str) (some? (ns-resolve *ns* 'UUID))])";
        CompletableFuture<String> onBValue = CompletableFuture.supplyAsync(() -> b.value(onB));
        for (int i = 0; i < 300 && !Files.exists(started); i++) Thread.sleep(100);
        assertTrue(Files.exists(started), "B's evaluation did not start");
        a.value("(do (defmethod conv-shape :circle [_] :circle) (import java.util.BitSet))");
        // On B, in the middle of its evaluation, once A's records are applied there.
        assertEquals("[true true true true]", onBValue.get());
        String check = "[(sort (keys (methods conv-shape))) (mapv #(some? (ns-resolve 'user %)) '[BitSet UUID])"
            + " (contains? (ns-aliases 'user) 'conv-str) (conv-shape {:shape :triangle})]";
        String expected = "[(:circle :square :triangle) [true true] true :triangle]";
        assertEquals(expected, a.value(check));
        assertEquals(expected, b.value(check));
        ReplProcess late = cluster.start("c7");
        assertEquals(expected, late.value(check));
        late.close();
    }

    /**
     * A plain var defined at once on two members, A's write landing last: every member has A's
     * definition, and B, whose definition it replaced without A's having seen it, is told so.
     */
    @Test
    void aVarDefinedAtOnceOnTwoMembersConvergesAndTheMemberWhoseDefinitionWasReplacedIsTold() throws Exception {
        assertEquals(":a", convergesWhenAWritesLast("entangle.vars", "user/conv-plain", "(def conv-plain :a)",
            "(= :a (some-> (resolve 'conv-plain) deref))", "(def conv-plain :b)", "conv-plain", "c8", "#'user/conv-plain"));
    }

    /**
     * Three members, and a write that the cluster gives another version than its writer
     * proposed: C redefines the var after A's definition reached it but before A's write
     * landed, B's write landing between the two. Every member has C's definition; A, whose
     * definition C saw (under the version A's hand-off had), is told nothing, and B, whose
     * definition neither A's nor C's saw, is told that the one the var holds now replaced it.
     */
    @Test
    void aMemberWhoseDefinitionTheLastWriterSawUnderItsFirstVersionIsNotTold() throws Exception {
        String entry = "(.getMap (entangle.core/hazelcast) \"entangle.vars\") \"user/conv-three\"";
        ReplProcess c = cluster.start("c9");
        try {
            String addressOfC = c.memberAddress();
            int aFrom = a.allErr().length(), bFrom = b.allErr().length(), cFrom = c.allErr().length();
            b.value("(.lock " + entry + ")");
            try {
                // A's write waits for B's lock, after its hand-off reached B and C.
                a.send("(do (def conv-three :a) :three-a-returned)\n");
                c.awaitValue("(= :a (some-> (resolve 'conv-three) deref))", "true");
                // C's write waits behind A's (a locked key's writes wait in the order they came).
                Thread.sleep(1_000);
                c.send("(do (def conv-three :c) :three-c-returned)\n");
                b.awaitValue("(= :c (some-> (resolve 'conv-three) deref))", "true");
                // B's own write passes its lock: A's write then gets the version after B's.
                b.value("(def conv-three :b)");
            } finally {
                b.value("(.unlock " + entry + ")");
            }
            a.awaitOut(":three-a-returned");
            c.awaitOut(":three-c-returned");
            // Each evaluation returned once every member had applied it.
            for (ReplProcess m : List.of(a, b, c)) {
                assertEquals(":c", m.valueThoughItSays("conv-three", ReplProcess.REPLACED), m.transcript());
            }
            assertEquals(Map.of(), a.replacedSince(aFrom), a.transcript());
            assertEquals(Map.of(), c.replacedSince(cFrom), c.transcript());
            assertEquals(Map.of("#'user/conv-three", addressOfC), b.replacedSince(bFrom), b.transcript());
        } finally {
            c.close();
        }
    }

    /**
     * A change to a var that an evaluation still running made, not shared yet, which another
     * member's definition then replaces: the member whose change was lost is told, as of two
     * changes at once (alter-var-root is atomic in one JVM, not across members).
     */
    @Test
    void aChangeARunningEvaluationMadeThatAnotherMembersDefinitionReplacesIsTold(@TempDir Path dir) throws Exception {
        a.value("(def conv-running 0)");
        assertEquals("0", b.value("conv-running"));
        String addressOfB = b.memberAddress();
        int aFrom = a.allErr().length();
        Path changed = dir.resolve("changed");
        a.send("(do (alter-var-root #'conv-running + 1000) (spit \"" + changed + "\" \"changed\") (Thread/sleep 3000)"
            + " :conv-running-returned)\n");
        for (int i = 0; i < 300 && !Files.exists(changed); i++) Thread.sleep(100);
        assertTrue(Files.exists(changed), "A's evaluation did not start");
        assertEquals("1", b.value("(alter-var-root #'conv-running inc)"));
        a.awaitOut(":conv-running-returned");
        assertEquals(Map.of("#'user/conv-running", addressOfB), a.replacedSince(aFrom), a.transcript());
        assertEquals("1", a.value("conv-running"));
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
     * afterwards, then prints the same for {@code check}; returns what they print. B tells that
     * A's definitions replaced its own of {@code toldAtB}, and A tells nothing.
     */
    private String convergesWhenAWritesLast(String map, String key, String onA, String arrived, String onB, String check,
                                            String lateName, String... toldAtB) throws Exception {
        String entry = "(.getMap (entangle.core/hazelcast) \"" + map + "\") \"" + key + "\"";
        String addressOfA = a.memberAddress();
        int aFrom = a.allErr().length();
        int bFrom = b.allErr().length();
        b.value("(.lock " + entry + ")");
        String returned = ":" + lateName + "-returned";
        try {
            a.send("(do " + onA + " " + returned + ")\n");
            b.awaitValue(arrived, "true");
            b.value(onB);
        } finally {
            // Or A's write, and A, waits for ever, and every test after this one fails too.
            b.value("(.unlock " + entry + ")");
        }
        // A's evaluation has returned, having shared what it did; nothing is evaluated on A
        // until B and a joiner have been asked (an evaluation on A would share again what A
        // holds).
        a.awaitOut(returned);
        String onBValue = b.valueThoughItSays(check, ReplProcess.REPLACED);
        ReplProcess late = cluster.start(lateName);
        assertEquals(onBValue, late.value(check));
        late.close();
        assertEquals(onBValue, a.valueThoughItSays(check, ReplProcess.REPLACED));
        Map<String, String> expected = new java.util.TreeMap<>();
        for (String var : toldAtB) expected.put(var, addressOfA);
        assertEquals(expected, b.replacedSince(bFrom), b.transcript());
        assertEquals(Map.of(), a.replacedSince(aFrom), a.transcript());
        return onBValue;
    }
}
