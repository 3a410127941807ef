package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import entangle.testing.ReplProcess.Result;
import entangle.testing.TwoMembers;

/**
 * Define on one member, call on another: two real REPL processes in one cluster. No test
 * waits between a definition and its use on the other member; that an evaluation started
 * after the defining one returned sees the definition is part of what each test checks.
 */
class SharingTest extends TwoMembers {

    @Test
    void defnOnACalledOnB() {
        assertEquals("#'user/triple", a.value("(defn triple [x] (* 3 x))"));
        assertEquals("42", b.value("(triple 14)"));
    }

    @Test
    void defnOnBCalledOnA() {
        b.value("(defn from-b [s] (str \"b says \" s))");
        assertEquals("\"b says hi\"", a.value("(from-b \"hi\")"));
    }

    @Test
    void closureOverLocalsTravelsWithItsValues() {
        a.value("(let [n 5 label \"five\" v [1 2]] (defn captured [] [n label v]))");
        assertEquals("[5 \"five\" [1 2]]", b.value("(captured)"));
    }

    @Test
    void closureReturnedByAClosureTravelsAsAValue() {
        a.value("(defn adder [n] (fn [m] (fn [k] (+ n m k))))");
        a.value("(def add-5 ((adder 2) 3))");
        a.value("(def handlers {:inc ((adder 1) 0) :twice (partial * 2)})");
        assertEquals("15", b.value("(add-5 10)"));
        assertEquals("[2 8]", b.value("[((:inc handlers) 1) ((:twice handlers) 4)]"));
        // and a closure made on B from A's fn travels back to A
        b.value("(def add-100 ((adder 50) 50))");
        assertEquals("101", a.value("(add-100 1)"));
    }

    /**
     * Code compiled with direct linking calls a var's fn through the fn's class, found by
     * name when the call first runs: on B, the class that came from A with the fn.
     */
    @Test
    void aDirectLinkedCallRunsOnEveryMember() {
        a.value("(defn dl-base [x] (* 10 x))");
        a.value("(binding [*compiler-options* {:direct-linking true}] (eval '(defn dl-caller [x] (inc (dl-base x)))))");
        assertEquals("21", b.value("(dl-caller 2)"));
        assertEquals("31", b.value("(binding [*compiler-options* {:direct-linking true}]"
                                   + " (eval '(do (defn dl-from-b [] (dl-base 3)) (inc (dl-from-b)))))"));
        assertEquals("30", a.value("(dl-from-b)"));
    }

    @Test
    void nestedAndAnonymousFns() {
        a.value("(defn scale-all [xs f] (let [inner (fn [y] (map (fn [z] (f (* z y))) xs))] (inner 2)))");
        assertEquals("(3 5 7)", b.value("(scale-all [1 2 3] #(inc %))"));
    }

    @Test
    void multiArityAndVariadic() {
        a.value("(defn arities ([] :zero) ([a] [:one a]) ([a b] [:two a b]) ([a b & more] [:many a b more]))");
        assertEquals("[:zero [:one 1] [:two 1 2] [:many 1 2 (3 4)]]",
                     b.value("[(arities) (arities 1) (arities 1 2) (arities 1 2 3 4)]"));
        a.value("(defn variadic [a & more] [a more])");
        assertEquals("[1 (2 3)]", b.value("(apply variadic [1 2 3])"));
    }

    @Test
    void recursionWithRecurAndThroughTheVar() {
        a.value("(defn fact [n] (loop [n n acc 1N] (if (zero? n) acc (recur (dec n) (* acc n)))))");
        a.value("(defn fib [n] (if (< n 2) n (+ (fib (- n 1)) (fib (- n 2)))))");
        assertEquals("2432902008176640000N", b.value("(fact 20)"));
        assertEquals("6765", b.value("(fib 20)"));
    }

    @Test
    void letfn() {
        a.value("(defn parity [n] (letfn [(ev? [n] (if (zero? n) :even (od? (dec n))))"
                + " (od? [n] (if (zero? n) :odd (ev? (dec n))))] (ev? n)))");
        assertEquals("[:even :odd]", b.value("[(parity 10) (parity 7)]"));
    }

    @Test
    void macroDefinedOnAExpandsInFormsCompiledOnB() {
        a.value("(defmacro unless-nil [x & body] `(if (nil? ~x) :was-nil (do ~@body)))");
        assertEquals("[:was-nil :ran]", b.value("[(unless-nil nil :ran) (unless-nil 1 :ran)]"));
        assertEquals("true", b.value("(:macro (meta #'unless-nil))"));
        // B compiles a fn with A's macro; A calls it.
        b.value("(defn uses-macro [x] (unless-nil x (str \"got \" x)))");
        assertEquals("[:was-nil \"got 3\"]", a.value("[(uses-macro nil) (uses-macro 3)]"));
    }

    /**
     * What B's compiler reads of a var A defines (is it bound, is it a macro) is whole at
     * every moment: a var that appears unbound, or a macro without its {@code :macro} (which B
     * would compile as a call of a fn), would break code B compiles meanwhile. B looks at
     * A's 3000 new macros, then at their redefinitions, as fast as it can while A makes them.
     */
    @Test
    void codeCompiledOnBWhileAMacroArrivesFromANeverSeesItUnboundNorAsAFn() {
        b.value("(defn glimpses [n] (let [in (the-ns 'user) names (mapv #(symbol (str \"glimpse\" %)) (range n))"
                + " out (promise)"
                + " t (Thread. #(loop [i 0 seen 0 unbound 0 plain 0]"
                + "   (if (Thread/interrupted) (deliver out {:seen (pos? seen) :unbound unbound :not-macro plain})"
                + "     (if-let [v (.findInternedVar in (names (mod i n)))]"
                + "       (cond (not (bound? v)) (recur (inc i) (inc seen) (inc unbound) plain)"
                + "             (not (:macro (meta v))) (recur (inc i) (inc seen) unbound (inc plain))"
                + "             :else (recur (inc i) (inc seen) unbound plain))"
                + "       (recur (inc i) seen unbound plain)))))]"
                + " (.start t) #(do (.interrupt t) (deref out 10000 :still-looking))))");
        b.value("(def ^:entangle/local stop-looking (glimpses 3000))");
        a.valueThoughItWaits("(eval (cons 'do (for [i (range 3000)] (list 'defmacro (symbol (str \"glimpse\" i)) [] i))))");
        assertEquals("{:seen true, :unbound 0, :not-macro 0}", b.value("(stop-looking)"));
        b.value("(def ^:entangle/local stop-looking (glimpses 3000))");
        a.valueThoughItWaits("(eval (cons 'do (for [i (range 3000)] (list 'defmacro (symbol (str \"glimpse\" i)) [] (- i)))))");
        assertEquals("{:seen true, :unbound 0, :not-macro 0}", b.value("(stop-looking)"));
        assertEquals("[-7 -2999]", b.value("[(glimpse7) (glimpse2999)]"));
    }

    @Test
    void plainData() {
        String data = "{:v [1 2 3] :s #{:x \"y\"} :m {:nested (list 1 2)} :d 1.5M :r 1/3 :n nil"
            + " :u #uuid \"4fe5d828-6444-11e8-8222-720007e40350\" :i #inst \"2026-11-22T10:00:00.000-00:00\""
            + " :re-src \"a+b\" :kw :ns/kw :sym 'a.b/c :ch \\x :big 123456789012345678901234567890N}";
        a.value("(def config " + data + ")");
        assertEquals("true", b.value("(= config " + data + ")"));
        a.value("(def pattern #\"a+b\")");
        assertEquals("\"aab\"", b.value("(re-find pattern \"xaab\")"));
        // Clojure's data that Java serialization does not take: a tag read from EDN with no
        // reader for it, vector-of's vectors, an eduction; and a charset.
        a.value("(require (quote clojure.edn)) (def parsed (clojure.edn/read-string {:default tagged-literal} \"[#shop/money 12 #inst \\\"2026-01-01\\\"]\"))");
        a.value("(def readings (vector-of :double 1.5 2.5)) (def odd-incs (eduction (map inc) (filter odd?) (range 6)))");
        a.value("(def encoding java.nio.charset.StandardCharsets/UTF_8)");
        assertEquals("[[#shop/money 12 #inst \"2026-01-01T00:00:00.000-00:00\"] clojure.core.Vec [1.5 2.5 3.0] [1 3 5]"
            + " \"UTF-8\"]", b.value("[parsed (class readings) (conj readings 3) (into [] odd-incs) (str encoding)]"));
    }

    @Test
    void javaCollectionsPathsAndExceptionsTravel() {
        a.value("(def java-map (doto (java.util.HashMap.) (.put \"k\" [1 2])))");
        a.value("(def java-set (java.util.HashSet. [1 2]))");
        a.value("(def failure (ex-info \"failed\" {:order 17}))");
        assertEquals("[{\"k\" [1 2]} java.util.HashMap #{1 2} \"failed\" {:order 17}]",
                     b.value("[java-map (class java-map) (set java-set) (ex-message failure) (ex-data failure)]"));
        // A copy, as the var was defined: a change made in it in place defines nothing (README).
        a.value("(.put java-map \"k2\" 3)");
        assertEquals("{\"k\" [1 2], \"k2\" 3}", a.value("(into (sorted-map) java-map)"));
        assertEquals("{\"k\" [1 2]}", b.value("java-map"));
        // Configuration names files and directories, as java.io.File and java.nio.file.Path.
        a.value("(def dirs {:in (clojure.java.io/file \"data\" \"in.csv\") :out (java.nio.file.Path/of \"/var/out\" (into-array String []))})");
        assertEquals("[java.io.File \"data/in.csv\" true \"/var/out/day-1\"]",
                     b.value("[(class (:in dirs)) (str (:in dirs)) (instance? java.nio.file.Path (:out dirs)) (str (.resolve (:out dirs) \"day-1\"))]"));
        // The error of the REPL's last evaluation, kept to look at elsewhere.
        a.eval("(/ 1 0)");
        a.value("(def last-error *e)");
        String error = "[(class last-error) (ex-message (or (ex-cause last-error) last-error))]";
        assertEquals(a.value(error), b.value(error));
        assertTrue(b.value(error).contains("\"Divide by zero\""), b.value(error));
        // What workers collect in a cluster atom.
        a.value("(def failures (atom []))");
        b.value("(swap! failures conj (ex-info \"on b\" {:order 18}))");
        assertEquals("[\"on b\" {:order 18}]", a.value("((juxt ex-message ex-data) (first @failures))"));
    }

    @Test
    void aMemoizedFnIsCalledOnEveryMemberWithACacheOfEachMembersOwn() {
        a.value("(def memo-calls (atom 0))");
        a.value("(def memo-square (memoize (fn [x] (swap! memo-calls inc) (* x x))))");
        a.value("(def memo-table {:inc (memoize inc)})");
        assertEquals("[9 9 2 1]", b.value("[(memo-square 3) (memo-square 3) ((:inc memo-table) 1) @memo-calls]"));
        assertEquals("[9 2]", a.value("[(memo-square 3) @memo-calls]"));
    }

    @Test
    void aDatasetOfAnySizeAndNestingTravels() {
        String rows = "(vec (for [i (range 200000)] {:id i :name (str \"n\" i) :score (* 0.5 i) :tags #{:t}}))";
        // B may take seconds to read 200,000 rows beside other classes' clusters, and A says it waits.
        a.valueThoughItWaits("(def rows " + rows + ")");
        assertEquals("[200000 {:id 199999, :name \"n199999\", :score 99999.5, :tags #{:t}} true]",
                     b.value("[(count rows) (peek rows) (= rows " + rows + ")]"));
        // Deeper than one of Hazelcast's threads on B can read: B reads it on a thread of its own.
        String chain = "(reduce (fn [v _] [v]) [:bottom] (range 4000))";
        a.value("(def chain " + chain + ")");
        // (Not compared with =, whose recursion a REPL's thread cannot follow that deep.)
        assertEquals("[4001 :bottom]",
                     b.value("(let [s (iterate first chain)] [(count (take-while vector? s)) (nth s 4001)])"));
    }

    @Test
    void varInAnotherNamespace() {
        a.eval("(ns my.svc)");
        a.value("(defn handler [req] {:status 200 :body (str \"hello \" (:name req))})");
        a.value("(in-ns 'user)");
        assertEquals("{:status 200, :body \"hello B\"}", b.value("(my.svc/handler {:name \"B\"})"));
    }

    @Test
    void aliasesAndRefersOfANamespaceTravel() {
        a.eval("(ns my.lib)");
        a.value("(defn shout [s] (str s \"!\"))");
        a.eval("(ns my.web (:require [clojure.string :as str] [my.lib :as lib :refer [shout]]))");
        a.value("(defn page [s] (str/upper-case (lib/shout s)))");
        a.value("(in-ns 'user)");
        assertEquals("\"HI!\"", b.value("(my.web/page \"hi\")"));
        // B compiles in my.web with the aliases and refers A's ns form made
        b.eval("(in-ns 'my.web)");
        assertEquals("[\"X\" \"y!\" \"z!\"]", b.value("[(str/upper-case \"x\") (lib/shout \"y\") (shout \"z\")]"));
        b.value("(in-ns 'user)");
    }

    @Test
    void metadataAndSourceTravel() {
        a.value("(defn documented \"Adds, documented.\" {:added \"0.1\"} [a b] (+ a b))");
        assertEquals("\"Adds, documented.\"", b.value("(:doc (meta #'documented))"));
        assertEquals("([a b])", b.value("(:arglists (meta #'documented))"));
        assertEquals("\"0.1\"", b.value("(:added (meta #'documented))"));
        assertEquals("true", b.value("(integer? (:line (meta #'documented)))"));
        assertEquals("\"NO_SOURCE_PATH\"", b.value("(:file (meta #'documented))"));
        String source = b.value("(:source (entangle.core/provenance #'documented))");
        assertTrue(source.contains("(defn documented \\\"Adds, documented.\\\""), source);
        String where = b.value("(:member (entangle.core/provenance #'documented))");
        assertEquals(a.value("(first (entangle.core/members))"), where);
        // As a user may name it: a symbol, resolved where the REPL is, or qualified.
        assertEquals(where, b.value("(:member (entangle.core/provenance 'documented))"));
        assertEquals(where, b.value("(:member (entangle.core/provenance 'user/documented))"));
    }

    /**
     * What changes a var without defining it again (alter-var-root, a defmethod, extend-type)
     * leaves its source as the form that defined it, at both members, and a def again replaces it.
     */
    @Test
    void aVarChangedWithoutADefKeepsTheFormThatDefinedItAsItsSource() {
        a.value("(def tally 1)");
        a.value("(defmulti kind-of :kind)");
        a.value("(defprotocol Sized (size-of [x]))");
        b.value("(alter-var-root #'tally inc)");
        b.value("(defmethod kind-of :sq [_] :square)");
        b.value("(extend-type String Sized (size-of [s] (count s)))");
        String defining = "[\"(def tally 1)\" \"(defmulti kind-of :kind)\" \"(defprotocol Sized (size-of [x]))\"]";
        String read = "(mapv #(clojure.repl/source-fn %) ['tally 'kind-of 'Sized])";
        assertEquals("[2 :square 3]", a.value("[tally (kind-of {:kind :sq}) (size-of \"abc\")]"));
        assertEquals(defining, a.value(read));
        assertEquals(defining, b.value(read));
        a.value("(def tally 10)");
        assertEquals("[\"(def tally 10)\" 10]", b.value("[(clojure.repl/source-fn 'tally) tally]"));
    }

    /**
     * A def that other code runs later (a fn called by a later evaluation, a future) has its
     * own form as its source, not the text of the evaluation that ran it; so has each def of a
     * form typed at the terminal that holds several.
     */
    @Test
    void aDefRunLaterByOtherCodeHasItsOwnFormAsItsSource() {
        a.value("(defn install! []\n  (defn installed [] :one))");
        a.value("(def ^:entangle/local deferring (future (Thread/sleep 300) (defn from-future [] :later)))");
        a.value("(do (defn first-of-two [] 1)\n    (defn second-of-two [] 2))");
        a.value("(install!)");
        a.value("@deferring");
        String expected = "[\"(defn installed [] :one)\" \"(defn from-future [] :later)\" \"(defn second-of-two [] 2)\"]";
        String read = "(mapv #(clojure.repl/source-fn %) ['installed 'from-future 'second-of-two])";
        assertEquals(expected, a.value(read));
        assertEquals(expected, b.value(read));
        // Redefining the fn that holds the def gives the def its new form.
        a.value("(defn install! [] (defn installed [] :two))");
        a.value("(install!)");
        assertEquals("[:two \"(defn installed [] :two)\"]", b.value("[(installed) (clojure.repl/source-fn 'installed)]"));
        // A def of data, whose value does not say which evaluation compiled the def: the newest
        // earlier evaluation's form that defines it. (Before, the text that ran it: (configure!).)
        a.value("(defn configure! [] (def settings {:level 3}))");
        a.value("(configure!)");
        assertEquals("[3 \"(def settings {:level 3})\"]", b.value("[(:level settings) (clojure.repl/source-fn 'settings)]"));
        a.value("(defn configure! [] (def settings {:level 4}))");
        a.value("(configure!)");
        assertEquals("[4 \"(def settings {:level 4})\"]", b.value("[(:level settings) (clojure.repl/source-fn 'settings)]"));
    }

    @Test
    void aValidatorOnOneMemberRefusesADefinitionThereAndAWatchThatThrowsStopsNothing() {
        a.value("(def guarded 1)");
        // set-validator! and add-watch stay on their member, as the I/O vars do.
        b.value("(set-validator! #'guarded pos?)");
        b.value("(add-watch #'guarded :w (fn [_ _ _ n] (when (= n 5) (throw (ex-info \"watch boom\" {})))))");
        a.value("(do (def guarded -1) (def beside-guarded 2))");
        Result onB = b.eval("[guarded beside-guarded]");
        assertEquals("[1 2]", onB.value(), onB.err());
        assertTrue(onB.err().contains("entangle: #'user/guarded from member " + addressOfA() + " was refused: the"
            + " validator of #'user/guarded on this member rejected its value; #'user/guarded keeps what it held"
            + " here."), onB.err());
        a.value("(def ^{:doc \"five\"} guarded 5)");
        onB = b.eval("[guarded (:doc (meta #'guarded))]");
        assertEquals("[5 \"five\"]", onB.value(), onB.err());
        assertTrue(onB.err().contains("entangle: a watch on #'user/guarded threw when the definition from member "
            + addressOfA() + " was applied here (the definition is in place): clojure.lang.ExceptionInfo: watch boom"),
            onB.err());
    }

    /**
     * A watch (a server restarted when its handler changes, say) runs as the definition
     * arrives, and the evaluation that made the definition waits for it, as a def waits for
     * the watches of its var in one JVM; the watch's own member meanwhile evaluates and shares as
     * usual.
     */
    @Test
    void whileAWatchRunsItsMembersReplGoesOn() {
        a.value("(def watched-slowly 1)");
        b.value("(def ^:entangle/local started (promise))");
        b.value("(def ^:entangle/local gate (promise))");
        b.value("(def ^:entangle/local seen (atom []))");
        b.value("(add-watch #'watched-slowly :slow (fn [_ _ old new] (deliver started true)"
                + " (swap! seen conj [old new (deref gate 10000 :timed-out)])))");
        a.send("(def watched-slowly 2)\n");
        // The watch waits for B's REPL, which opens the gate while the watch runs.
        assertEquals("true", b.value("(deref started 10000 :not-started)"));
        assertEquals("#'user/defined-while-watching", b.value("(defn defined-while-watching [] :from-b)"));
        assertEquals(":opened", b.value("(do (deliver gate :opened) :opened)"));
        Result onA = a.eval("[watched-slowly (defined-while-watching)]");
        assertEquals("[2 :from-b]", onA.value(), onA.err());
        assertTrue(onA.out().contains("#'user/watched-slowly"), onA.out());
        assertEquals("[[1 2 :opened]]", b.value("@seen"));
        b.value("(remove-watch #'watched-slowly :slow)");
    }

    @Test
    void sortedCollectionsTravelWhateverTheirKeysAndComparator() {
        // A var's value is looked at when it is applied (is it a protocol?): a sorted map's
        // comparator given a keyword throws, which broke the apply half way, and every join.
        a.value("(def ^{:doc \"by name\"} by-name (sorted-map \"b\" 2 \"a\" 1))");
        a.value("(def by-greater (sorted-map-by > 1 :a 2 :b 3 :c))");
        a.value("(def by-length (sorted-set-by (comparator (fn [x y] (> (count x) (count y)))) \"a\" \"bbb\" \"cc\"))");
        String check = "[by-name (:doc (meta #'by-name)) by-greater (seq by-length) (conj by-length \"dddd\")]";
        String expected = "[{\"a\" 1, \"b\" 2} \"by name\" {3 :c, 2 :b, 1 :a} (\"bbb\" \"cc\" \"a\")"
            + " #{\"dddd\" \"bbb\" \"cc\" \"a\"}]";
        assertEquals(expected, b.value(check));
        alsoOnALateJoiner(check, expected);
    }

    @Test
    void printlnInASharedFnPrintsOnTheCallerOnly() {
        a.value("(defn greet [n] (println \"hello\" n) :greeted)");
        Result onB = b.eval("(greet \"bob\")");
        assertTrue(onB.out().contains("hello bob"), onB.out());
        assertEquals(":greeted", onB.value());
        a.value("nil"); // anything A printed meanwhile is in its output by now
        assertFalse(a.allOut().contains("hello bob"), a.allOut());
    }

    @Test
    void redefinitionIsSeenOnEveryMember() {
        a.value("(defn version [] 1)");
        assertEquals("1", b.value("(version)"));
        b.value("(defn version [] 2)");
        assertEquals("2", a.value("(version)"));
        assertEquals("2", b.value("(version)"));
        a.value("(def version 3)");
        assertEquals("3", b.value("version"));
    }

    @Test
    void everyChangeToANamespaceIsSharedWhateverItHeldBefore() {
        // Each eval compares the namespace's vars with what it knew of each, kept by position
        // while the mappings stay the same and carried over when a def adds a var.
        a.eval("(ns grow.vars)");
        a.value("(def first-var 1)");
        a.value("(def second-var 2)");
        a.value("(def first-var 10)");
        a.value("(alter-var-root #'second-var inc)");
        // Interned without a root (nothing to share yet), then defined: the same var, the same mappings.
        a.value("(intern 'grow.vars 'later)");
        a.value("(def later 5)");
        a.value("(in-ns 'user)");
        assertEquals("[10 3 5]", b.value("[grow.vars/first-var grow.vars/second-var grow.vars/later]"));
        a.value("(in-ns 'grow.vars)");
        a.value("(def later 6)");
        a.value("(in-ns 'user)");
        assertEquals("6", b.value("grow.vars/later"));
        // Only the meta changes: no new root.
        a.value("(alter-meta! #'grow.vars/first-var assoc :doc \"Documented later.\")");
        assertEquals("[\"Documented later.\" 10]", b.value("[(:doc (meta #'grow.vars/first-var)) grow.vars/first-var]"));
    }

    @Test
    void aCallAlreadyRunningFinishesWithTheVersionItStartedWith() {
        a.value("(defn slow [] (Thread/sleep 3000) :v1)");
        b.value("(def ^:entangle/local running (future (slow)))");
        a.value("(defn slow [] :v2)");
        assertEquals(":v2", b.value("(slow)"));
        assertEquals(":v1", b.value("@running"));
    }

    @Test
    void localVarsKeepTheirOwnValueOnEachMember() {
        a.value("(def ^:entangle/local conn (atom :a-conn))");
        b.value("(def ^:entangle/local conn (atom :b-conn))");
        assertEquals(":a-conn", a.value("@conn"));
        assertEquals(":b-conn", b.value("@conn"));
        a.value("(reset! conn :a2)");
        a.value("(def ^:entangle/local conn (atom :a3))");
        assertEquals(":b-conn", b.value("@conn"));
    }

    @Test
    void codeCompiledLaterThatNamesAClassGetsTheNewestDefinitionInTheCluster() {
        a.value("(deftype Point [x y])");
        assertEquals("[1 2]", b.value("(let [p (Point. 1 2)] [(.-x p) (.-y p)])"));
        b.value("(defn make-point [] (Point. 3 4))");
        assertEquals("[3 4]", b.value("(let [p (make-point)] [(.-x p) (.-y p)])"));
        a.value("(deftype Point [x y z])");
        assertEquals("[1 2 3]", b.value("(let [p (Point. 1 2 3)] [(.-x p) (.-y p) (.-z p)])"));
        // Code that ran before the redefinition keeps the class it linked, as in one JVM.
        assertEquals("[3 4]", b.value("(let [p (make-point)] [(.-x p) (.-y p)])"));

        a.value("(definterface Greeter (greet [n]))");
        b.value("(deftype Hello [] Greeter (greet [_ n] (str \"hello \" n)))");
        assertEquals("\"hello x\"", a.value("(.greet (Hello.) \"x\")"));
        assertEquals("true", a.value("(instance? Greeter (Hello.))"));
    }

    @Test
    void aRecordValueIsTheClassItsDefiningMemberCompiled() {
        a.value("(defrecord Account [id balance])");
        a.value("(def account (->Account 7 100))");
        assertEquals("100", b.value("(:balance account)"));
        assertEquals("true", b.value("(instance? Account account)"));
        assertEquals("true", b.value("(= account (->Account 7 100) (map->Account {:id 7 :balance 100}))"));
        assertEquals("#user.Account{:id 7, :balance 100}", b.value("account"));
    }

    @Test
    void aDynamicVarStaysDynamicAndItsBindingsStayOnTheirThread() {
        a.value("(def ^:dynamic *level* :info)");
        a.value("(defn current-level [] *level*)");
        assertEquals("[:debug :info]", b.value("[(binding [*level* :debug] (current-level)) (current-level)]"));
        assertEquals(":info", a.value("(current-level)"));
    }

    @Test
    void declareAndDefonce() {
        a.value("(declare later)");
        assertEquals("false", b.value("(bound? #'later)"));
        a.value("(defn later [] :now-defined)");
        assertEquals(":now-defined", b.value("(later)"));
        a.value("(defonce once (rand-int 1000000))");
        String value = b.value("once");
        b.value("(defonce once :not-again)");
        assertEquals(value, a.value("once"));
    }

    @Test
    void unmapTravels() {
        a.value("(def to-remove 1)");
        assertEquals("1", b.value("to-remove"));
        a.value("(ns-unmap 'user 'to-remove)");
        assertEquals("nil", b.value("(resolve 'to-remove)"));
    }

    @Test
    void alterVarRootAndInternTravel() {
        a.value("(def counter 1)");
        a.value("(alter-var-root #'counter + 10)");
        assertEquals("11", b.value("counter"));
        a.value("(create-ns 'my.interned)");
        a.value("(intern 'my.interned 'x 99)");
        assertEquals("99", b.value("my.interned/x"));
    }
}
