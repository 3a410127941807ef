package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import entangle.testing.ReplProcess;
import entangle.testing.ReplProcess.Result;
import entangle.testing.TwoMembers;

/** Namespace operations, load-file, tooling on remote definitions, local and opted-in namespaces. */
class NamespacesTest extends TwoMembers {
    /** Files the tests write, removed once the class has run. */
    @org.junit.jupiter.api.io.TempDir
    static java.nio.file.Path tmp;

    @Test
    void nsFormWithRequireImportAndReferClojure() {
        a.eval("(ns billing.core (:refer-clojure :exclude [print]) (:require [clojure.set :as set] [clojure.string"
            + " :refer [join]]) (:import (java.time LocalDate) (java.util.concurrent TimeUnit)))");
        a.value("(defn print [x] (str \"printed \" x))");
        a.value("(defn tags [] (join \",\" (sort (set/union #{\"a\"} #{\"b\"}))))");
        a.value("(defn epoch [] (str (LocalDate/of 1970 1 1) \" \" (.toSeconds TimeUnit/MINUTES 1)))");
        a.value("(in-ns 'user)");
        assertEquals("[\"printed 1\" \"a,b\" \"1970-01-01 60\"]",
            b.value("[(billing.core/print 1) (billing.core/tags) (billing.core/epoch)]"));
        b.eval("(in-ns 'billing.core)");
        assertEquals("[\"printed x\" \"x-y\" #{1 2} 1]",
            b.value("[(print \"x\") (join \"-\" [\"x\" \"y\"]) (set/union #{1} #{2}) (.getMonthValue (LocalDate/of 2000 1 1))]"));
        b.value("(in-ns 'user)");
        alsoOnALateJoiner("(billing.core/tags)", "\"a,b\"");
    }

    @Test
    void aliasReferImportUnaliasUnmapAndRemoveNs() {
        a.value("(create-ns 'ops.target)");
        a.value("(intern 'ops.target 'answer 42)");
        a.eval("(in-ns 'ops.user)");
        a.value("(clojure.core/alias 't 'ops.target)");
        a.value("(clojure.core/refer 'ops.target :only '[answer])");
        a.value("(clojure.core/import 'java.util.UUID)");
        a.value("(clojure.core/in-ns 'user)");
        b.eval("(in-ns 'ops.user)");
        assertEquals("[42 42 true]", b.value("[t/answer answer (clojure.core/class? UUID)]"));
        b.value("(clojure.core/in-ns 'user)");

        a.value("(ns-unalias 'ops.user 't)");
        a.value("(ns-unmap 'ops.user 'answer)");
        assertEquals("[nil nil]", b.value("[(get (ns-aliases 'ops.user) 't) (get (ns-refers 'ops.user) 'answer)]"));
        a.value("(remove-ns 'ops.target)");
        assertEquals("nil", b.value("(find-ns 'ops.target)"));
        alsoOnALateJoiner("[(find-ns 'ops.target) (get (ns-aliases 'ops.user) 't) (some? (find-ns 'ops.user))]",
                          "[nil nil true]");
    }

    @Test
    void aNamespaceMadeEmptyAndAnAliasToOneTravel() {
        // :as-alias, alias of create-ns, in-ns: namespaces with nothing in them, on no classpath.
        a.eval("(ns reports.spec (:require [reports.schema :as-alias schema]))");
        a.value("(alias 'draft (create-ns 'reports.draft))");
        a.value("(in-ns 'user)");
        a.value("(create-ns 'reports.empty)");
        a.eval("(in-ns 'reports.bare)");
        a.value("(clojure.core/in-ns 'user)");
        String form = "[(binding [*ns* (find-ns 'reports.spec)] (read-string \"[::schema/id ::draft/id]\"))"
            + " (mapv #(some? (find-ns %)) '[reports.schema reports.draft reports.empty reports.bare])]";
        String expected = "[[:reports.schema/id :reports.draft/id] [true true true true]]";
        assertEquals(expected, a.value(form));
        assertEquals(expected, b.value(form));
        assertTrue(!b.allErr().contains("cannot be loaded"), b.allErr());
        alsoOnALateJoiner(form, expected);
        // Removed on another member, and made again there: shared again.
        b.value("(remove-ns 'reports.empty)");
        assertEquals("false", a.value("(some? (find-ns 'reports.empty))"));
        b.value("(create-ns 'reports.empty)");
        assertEquals("true", a.value("(some? (find-ns 'reports.empty))"));
    }

    @Test
    void loadFileSharesItsNamespaceWithFileAndLineInStackTraces() throws Exception {
        Path file = Files.createTempFile(tmp, "entangle-cart", ".clj");
        Files.writeString(file, String.join("\n",
            "(ns shop.cart)",
            "",
            "(defn total \"Sums the prices.\" [items]",
            "  (reduce + (map :price items)))",
            "",
            "(defn explode [x]",
            "  (throw (ex-info \"boom\" {:x x})))",
            "",
            "(defprotocol Priced \"Has a price.\"",
            "  (price [x]) (discount [x pct]))",
            ""));
        a.value("(load-file \"" + file + "\")");
        assertEquals("30", b.value("(shop.cart/total [{:price 10} {:price 20}])"));
        assertEquals("[\"" + file + "\" 3]", b.value("((juxt :file :line) (meta #'shop.cart/total))"));
        b.eval("(shop.cart/explode 1)");
        String frame = b.value("(some #(when (.contains (str %) \"explode\") (str %)) (.getStackTrace *e))");
        assertTrue(frame.contains(file.getFileName() + ":7"), frame);
        Result source = b.eval("(clojure.repl/source shop.cart/total)");
        assertEquals("(defn total \"Sums the prices.\" [items]\n  (reduce + (map :price items)))\nnil", source.out());
        // A protocol's method has no place of its own (plain Clojure finds no source): its
        // protocol's form, not the load-file that loaded it.
        assertEquals("(defprotocol Priced \"Has a price.\"\n  (price [x]) (discount [x pct]))\nnil",
                     b.eval("(clojure.repl/source shop.cart/discount)").out());
        Files.delete(file);
        alsoOnALateJoiner("(shop.cart/total [{:price 1}])", "1");
    }

    @Test
    void docSourceAndArglistsOfAFnDefinedOnAnotherMembersRepl() {
        a.value("(defn remote-doc \"Says hello to someone.\" [who & {:keys [loud]}] (str \"hello \" who))");
        Result doc = b.eval("(clojure.repl/doc remote-doc)");
        assertEquals("-------------------------\nuser/remote-doc\n([who & {:keys [loud]}])\n  Says hello to someone.\nnil",
                     doc.out());
        Result source = b.eval("(clojure.repl/source remote-doc)");
        assertEquals("(defn remote-doc \"Says hello to someone.\" [who & {:keys [loud]}] (str \"hello \" who))\nnil",
                     source.out());
        // The defining member gets it too, where plain Clojure says "Source not found".
        assertTrue(a.eval("(clojure.repl/source remote-doc)").out().startsWith("(defn remote-doc"));
        alsoOnALateJoiner("(:doc (meta #'remote-doc))", "\"Says hello to someone.\"");
    }

    @Test
    void aLocalNamespaceIsNeverShippedAndAnOptedInOneIs() {
        a.eval("(ns ^:entangle/local scratch)");
        a.value("(defn tmp [] :only-on-a)");
        a.value("(in-ns 'user)");
        assertEquals("[nil nil]", b.value("[(resolve 'scratch/tmp) (some-> (find-ns 'scratch) ns-interns keys)]"));
        // A tooling namespace is not shared by default, which the first evaluation in it says
        // once (a user's own namespace may start as a tool's does); opted in, it is.
        assertEquals("entangle: namespace cider.custom-tool is not shared with the other members: a name that"
            + " starts with cider. is taken for a tool's (nREPL, an editor's middleware, a build tool), whose"
            + " namespaces stay on each member; (entangle.core/shared! 'cider.custom-tool) shares it",
            a.eval("(ns cider.custom-tool)").err());
        // Not for a tool's own namespace, which its file on the classpath makes.
        assertEquals("", a.eval("(in-ns 'nrepl.core)\n(in-ns 'cider.custom-tool)").err());
        a.value("(defn helper [] :tool)");
        a.value("(in-ns 'user)");
        assertEquals("nil", b.value("(resolve 'cider.custom-tool/helper)"));
        a.value("(entangle.core/shared! 'cider.custom-tool)");
        assertEquals(":tool", b.value("(cider.custom-tool/helper)"));
        alsoOnALateJoiner("[(resolve 'scratch/tmp) (cider.custom-tool/helper)]", "[nil :tool]");
    }

    @Test
    void localBangMarksAVarLocalOnEveryMemberAndBadArgumentsMarkNothing() {
        a.value("(def conn-id 1)");
        a.value("(def pool-size 4)");
        assertEquals("[1 4]", b.value("[conn-id pool-size]"));
        a.value("(entangle.core/local! #'conn-id)");
        a.value("(entangle.core/local! 'user/pool-size)");
        a.value("(def conn-id 2)");
        b.value("(def pool-size 8)");
        assertEquals("[1 8]", b.value("[conn-id pool-size]"));
        assertEquals("[2 4]", a.value("[conn-id pool-size]"));
        // Refused before anything is marked, naming what is missing or of the wrong kind.
        assertEquals("local!: no var user/no-such-var (define it first, or define it with ^:entangle/local)",
                     errorLine(a.eval("(entangle.core/local! 'user/no-such-var)")));
        assertEquals("local!: no namespace not.yet (to keep one local from its start: (ns ^:entangle/local not.yet))",
                     errorLine(a.eval("(entangle.core/local! 'not.yet)")));
        a.value("(def widely 1)");
        assertEquals("shared!: takes a namespace or its name, not the var #'user/widely (a var is shared unless it or"
            + " its namespace is marked local)", errorLine(a.eval("(entangle.core/shared! #'widely)")));
        assertEquals("nil", a.value("(:entangle/shared (meta #'widely))"));
        a.value("(def widely 2)");
        assertEquals("2", b.value("widely"));
    }

    /** The message of the error an evaluation printed: its second line, after the REPL's phase and place. */
    private static String errorLine(Result r) {
        String[] lines = r.err().strip().split("\n");
        return lines[lines.length - 1];
    }

    @Test
    void namespacesTheMemberNamesAsLocalStayThere() {
        // A tool the built-in prefixes miss: "devtool." is devtool and the namespaces below it,
        // "scratchpad" any name that starts so.
        ReplProcess c = cluster.start("c", List.of("-J-Dentangle.local.namespaces=devtool.,scratchpad"));
        try {
            Result r = c.eval("(ns devtool.ui) (def panel :c) (ns devtool) (def root :c) (ns scratchpad-2) (def n :c)"
                + " (ns devtools.shared) (def shared-one :c) (in-ns 'user)");
            assertEquals("", r.err(), "named by the user: no notice");
            assertEquals("[nil nil nil :c]", a.value("(mapv #(some-> (find-ns %) ns-interns vals first deref)"
                + " '[devtool.ui devtool scratchpad-2 devtools.shared])"));
        } finally {
            c.close();
        }
    }

    @Test
    void anAtomCapturedByAFnSaysWhatCannotWork() {
        Result r = a.eval("(let [hits (atom 0)] (defn bump! [] (swap! hits inc)))");
        assertTrue(r.err().contains("#'user/bump! holds a clojure.lang.Atom (inside a fn or a collection; only an atom"
            + " a var holds itself becomes a cluster atom)"), r.err());
        assertEquals("1", a.value("(bump!)"));
    }

    /** A namespace made with ns at one member's REPL is loaded at every member: require finds it. */
    @Test
    void aNamespaceMadeAtAnotherMembersReplCanBeRequired() {
        a.value("(ns lib.twice)");
        a.value("(defmacro twice [x] `(* 2 ~x))");
        a.value("(in-ns 'user)");
        b.value("(ns app.uses-twice (:require [lib.twice :as t :refer [twice]]))");
        assertEquals("[6 8]", b.value("[(twice 3) (t/twice 4)]"));
        b.value("(in-ns 'user)");
        assertEquals("[lib.twice true true]", a.value("(let [n (the-ns 'app.uses-twice)] [(ns-name (get (ns-aliases n) 't))"
            + " (some? (get (ns-refers n) 'twice)) (contains? (loaded-libs) 'app.uses-twice)])"));
        alsoOnALateJoiner("(do (require '[lib.twice :as lt]) (contains? (loaded-libs) 'lib.twice))", "true");
    }

    /**
     * A namespace that refers to vars of another made in the same evaluation: at B, the refers
     * never name a var before its definition has come, as at A, where the refer could not have
     * been made before the definitions. B looks at the refers as fast as it can while A loads.
     */
    @Test
    void aReferToVarsDefinedInTheSameEvaluationIsNeverSeenUnbound() {
        b.value("(defn refer-glimpses [ns-name n] (let [names (mapv #(symbol (str \"r\" %)) (range n)) out (promise)"
                + " t (Thread. #(loop [i 0 seen 0 unbound 0]"
                + "   (if (Thread/interrupted) (deliver out {:seen (pos? seen) :unbound unbound})"
                + "     (if-let [v (some-> (find-ns ns-name) (.getMapping (names (mod i n))))]"
                + "       (recur (inc i) (inc seen) (if (bound? v) unbound (inc unbound)))"
                + "       (recur (inc i) seen unbound)))))]"
                + " (.start t) #(do (.interrupt t) (deref out 10000 :still-looking))))");
        b.value("(def ^:entangle/local stop-looking (refer-glimpses 'refers.app 3000))");
        a.valueThoughItWaits("(load-string (apply str \"(ns refers.lib)\" (concat (for [i (range 3000)]"
                             + " (str \"(defn r\" i \" [] \" i \")\")) [\"(ns refers.app (:require [refers.lib :refer :all]))\"])))");
        assertEquals("{:seen true, :unbound 0}", b.value("(stop-looking)"));
        assertEquals("[7 2999]", b.value("[((ns-resolve 'refers.app 'r7)) ((ns-resolve 'refers.app 'r2999))]"));
    }

    /**
     * Fns that call others made in the same evaluation: at B, a fn once defined never calls a
     * var that its definition has not reached yet. B calls them as fast as it can while A loads.
     */
    @Test
    void aFnCallingFnsDefinedInTheSameEvaluationNeverFindsThemUnbound() {
        b.value(entangle.testing.Glimpses.calls("calls.lib", "c", 1500));
        a.valueThoughItWaits("(load-string (apply str \"(ns calls.lib)\" (concat (for [i (range 1500)] (str \"(defn h\" i \" [] \" i \")\"))"
                             + " (for [i (range 1500)] (str \"(defn c\" i \" [] (h\" i \"))\")))))");
        assertEquals("{:called true, :unbound 0}", b.value("(stop-calling)"));
    }
}
