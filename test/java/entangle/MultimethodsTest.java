package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import entangle.testing.ReplProcess;
import entangle.testing.TwoMembers;

/** defmulti, defmethod, remove-method, prefer-method and derive, across members. */
class MultimethodsTest extends TwoMembers {

    @Test
    void methodsAddedRemovedAndPreferredAnywhereReachEveryMember() {
        a.value("(defmulti area :shape)");
        a.value("(defmethod area :square [{:keys [side]}] (* side side))");
        assertEquals("9", b.value("(area {:shape :square :side 3})"));
        // defmethod changes no var root, yet it travels; from either member.
        b.value("(defmethod area :rect [{:keys [w h]}] (* w h))");
        assertEquals("[6 9]", a.value("[(area {:shape :rect :w 2 :h 3}) (area {:shape :square :side 3})]"));
        b.value("(defmethod area :default [_] :unknown)");
        assertEquals(":unknown", a.value("(area {:shape :blob})"));
        // Redefined method
        a.value("(defmethod area :square [{:keys [side]}] (* 100 side side))");
        assertEquals("900", b.value("(area {:shape :square :side 3})"));
        a.value("(remove-method area :rect)");
        assertEquals(":unknown", b.value("(area {:shape :rect :w 2 :h 3})"));
        alsoOnALateJoiner("[(area {:shape :square :side 1}) (area {:shape :rect :w 1 :h 1})]", "[100 :unknown]");
    }

    @Test
    void deriveAndPreferMethodOnTheGlobalHierarchy() {
        a.value("(derive ::circle ::shape)");
        a.value("(derive ::circle ::round)");
        assertEquals("[true true]", b.value("[(isa? ::circle ::shape) (isa? ::circle ::round)]"));
        b.value("(defmulti kind identity)");
        b.value("(defmethod kind ::shape [_] :a-shape)");
        b.value("(defmethod kind ::round [_] :round-thing)");
        b.value("(prefer-method kind ::round ::shape)");
        assertEquals(":round-thing", a.value("(kind ::circle)"));
        a.value("(underive ::circle ::round)");
        assertEquals(":a-shape", b.value("(kind ::circle)"));
        alsoOnALateJoiner("[(isa? ::circle ::shape) (isa? ::circle ::round) (kind ::circle)]", "[true false :a-shape]");
        alsoOnALateJoiner("(prefers kind)", "#:user{:round #{:user/shape}}");
    }

    /**
     * The idiom for changing a multimethod's dispatch: ns-unmap, then defmulti again. The var
     * made anew replaces the old one everywhere, and no other member takes the unmapping it
     * applied for a removal of its own (it once published the var as removed, then as its own).
     */
    @Test
    void unmapThenDefmultiAgainReplacesTheMultimethodEverywhere() {
        a.value("(defmulti greet :lang)");
        a.value("(defmethod greet :en [_] \"hello\")");
        assertEquals("\"hello\"", b.value("(greet {:lang :en})"));
        b.value("(def greet-neighbour 1)");
        a.value("(ns-unmap *ns* 'greet)");
        a.value("(defmulti greet (fn [x] (:language x)))");
        a.value("(defmethod greet :fr [_] \"bonjour\")");
        assertEquals("\"bonjour\"", b.value("(greet {:language :fr})"));
        // B evaluates twice more: neither may change what the cluster holds for greet.
        b.value("(+ 1 1)");
        b.value("(+ 2 2)");
        assertEquals("[\"bonjour\" \"bonjour\"]", "[" + a.value("(greet {:language :fr})") + " "
            + b.value("(greet {:language :fr})") + "]");
        String provenance = "((juxt :member :source) (entangle.core/provenance #'greet))";
        String onA = a.value(provenance);
        assertEquals(onA, b.value(provenance));
        assertTrue(onA.startsWith("[" + a.value("(first (entangle.core/members))")), onA);
        assertTrue(onA.contains("greet") && !onA.contains("(+ "), onA);
        alsoOnALateJoiner("(greet {:language :fr})", "\"bonjour\"");
    }

    /**
     * defmethod changes a multimethod in place, so whatever holds it sees new methods; so it
     * does at every member, where a map or a closure from another member holds that member's
     * multimethod, not a copy.
     */
    @Test
    void aMultimethodHeldAnywhereSeesMethodsAddedOnAnyMember() {
        a.value("(defmulti sound :kind)");
        a.value("(defmethod sound :default [_] \"??\")");
        a.value("(def sounds {:sound sound})");
        a.value("(def sound-of (let [s sound] (fn [x] (s x))))");
        b.value("(def ^:entangle/local held-sound sound)");
        a.value("(defmethod sound :cow [_] \"moo\")");
        String check = "[(held-sound {:kind :cow}) ((:sound sounds) {:kind :cow}) (sound-of {:kind :cow})"
            + " (identical? (:sound sounds) sound)]";
        assertEquals("[\"moo\" \"moo\" \"moo\" true]", b.value(check));
        b.value("(defmethod sound :pig [_] \"oink\")");
        assertEquals("[\"oink\" \"oink\" true]",
            a.value("[((:sound sounds) {:kind :pig}) (sound-of {:kind :pig}) (identical? (:sound sounds) sound)]"));
        alsoOnALateJoiner("[((:sound sounds) {:kind :cow}) (sound-of {:kind :pig}) (identical? (:sound sounds) sound)]",
                          "[\"moo\" \"oink\" true]");
    }

    /**
     * print-method is Clojure's, and Clojure's and the libraries' methods of it are each
     * member's own; the methods evaluation adds to it travel, from any member, as do their
     * removals.
     */
    @Test
    void methodsEvaluationAddsToPrintMethodReachEveryMember() {
        a.value("(defrecord Money [cents])");
        a.value("(defmethod print-method Money [m ^java.io.Writer w] (.write w (str \"#money \" (:cents m))))");
        assertEquals("\"#money 5\"", b.value("(pr-str (->Money 5))"));
        b.value("(deftype Tag [t])");
        b.value("(defmethod print-method Tag [x ^java.io.Writer w] (.write w (str \"#tag \" (.-t x))))");
        assertEquals("[\"#money 5\" \"#tag x\"]", a.value("[(pr-str (->Money 5)) (pr-str (Tag. \"x\"))]"));
        a.value("(remove-method print-method Money)");
        assertEquals("[\"#user.Money{:cents 5}\" \"#tag z\"]", b.value("[(pr-str (->Money 5)) (pr-str (Tag. \"z\"))]"));
        alsoOnALateJoiner("[(pr-str (Tag. \"y\")) (pr-str (->Money 1))]", "[\"#tag y\" \"#user.Money{:cents 1}\"]");
    }

    /**
     * Clojure's other multimethods too, and the libraries' in clojure.*: a pretty-printing
     * method travels, from either member, as does its removal.
     */
    @Test
    void methodsEvaluationAddsToClojuresOtherMultimethodsReachEveryMember() {
        a.value("(require '[clojure.pprint :as pp])");
        a.value("(defrecord Price [cents])");
        a.value("(defmethod pp/simple-dispatch Price [p] (print (str \"$\" (/ (:cents p) 100.0))))");
        assertEquals("\"$1.5\\n\"", b.value("(with-out-str (clojure.pprint/pprint (->Price 150)))"));
        b.value("(defmethod clojure.pprint/simple-dispatch java.util.UUID [u] (print \"a uuid\"))");
        assertEquals("\"a uuid\\n\"", a.value("(with-out-str (pp/pprint (java.util.UUID. 0 0)))"));
        b.value("(remove-method clojure.pprint/simple-dispatch Price)");
        assertEquals("[false true]", a.value("(let [s (with-out-str (pp/pprint (->Price 150)))]"
            + " [(.contains s \"$\") (.contains s \":cents 150\")])"));
        alsoOnALateJoiner("[(with-out-str (clojure.pprint/pprint (java.util.UUID. 0 1))) (.contains (with-out-str"
            + " (clojure.pprint/pprint (->Price 1))) \"$\")]", "[\"a uuid\\n\" false]");
    }

    /**
     * A method of Clojure's multimethod that holds what cannot travel stays on its member,
     * which is warned once, naming it; the multimethod's other methods travel all the same.
     */
    @Test
    void aMethodOfClojuresMultimethodThatCannotTravelStaysWhileTheOthersTravel() {
        a.value("(defrecord Cents [n])");
        a.value("(defrecord Celsius [deg])");
        ReplProcess.Result counted = a.eval("(let [printed (atom 0)] (defmethod print-method Cents [c ^java.io.Writer w]"
            + " (swap! printed inc) (.write w (str (:n c) \"c\"))))");
        assertTrue(counted.err().contains("entangle: the method of #'clojure.core/print-method for user.Cents holds a"
            + " clojure.lang.Atom (inside a fn or a collection; only an atom a var holds itself becomes a cluster atom),"
            + " which cannot be shared with other members, so it stays on this member only; define it with values"
            + " that can travel, or on each member (entangle/eval-on)."), counted.err());
        a.value("(defmethod print-method Celsius [c ^java.io.Writer w] (.write w (str (:deg c) \" C\")))");
        assertEquals("[\"20 C\" \"#user.Cents{:n 5}\"]", b.value("[(pr-str (->Celsius 20)) (pr-str (->Cents 5))]"));
        assertEquals("[\"20 C\" \"5c\"]", a.value("[(pr-str (->Celsius 20)) (pr-str (->Cents 5))]"));
    }
}
