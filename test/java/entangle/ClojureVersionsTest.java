package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import entangle.testing.ReplProcess;
import entangle.testing.TestCluster;

/** The hook patches stock Clojure 1.11 as well as 1.12, and members on both share. */
class ClojureVersionsTest {
    @Test
    void aMemberOnClojure111SharesWithOneOn112() {
        try (TestCluster cluster = new TestCluster()) {
            ReplProcess old = cluster.start("on-1.11",
                List.of("-Sdeps", "{:deps {org.clojure/clojure {:mvn/version \"1.11.4\"}}}"));
            ReplProcess current = cluster.start("on-1.12");
            assertEquals("entangle: this member runs Clojure 1.12.6 and member " + old.value("(first (entangle.core/members))")
                .replace("\"", "") + " runs 1.11.4; they share, but code compiled by a newer Clojure may not run on an"
                + " older one.", current.allErr().lines().filter(l -> !l.matches("<<<.*>>>")).findFirst().orElse(""));
            assertEquals("\"1.11.4\"", old.value("(clojure-version)"));
            assertEquals("\"1.12.6\"", current.value("(clojure-version)"));

            old.value("(let [k 3] (defn from-old [x] (letfn [(twice [y] (* 2 y))] (twice (* k x)))))");
            assertEquals("30", current.value("(from-old 5)"));
            current.value("(defmacro with-label [l & body] `(str ~l \": \" (do ~@body)))");
            current.value("(defn from-current [& xs] (with-label \"sum\" (apply + xs)))");
            assertEquals("\"sum: 6\"", old.value("(from-current 1 2 3)"));
            assertEquals("\"x: 1\"", old.value("(with-label \"x\" 1)"));

            // Each Clojure brings its own clojure.spec, whose compiled classes are named apart:
            // a spec from the other cannot be read, and the member says so.
            current.value("(require '[clojure.spec.alpha :as s]) (s/def ::qty pos-int?)");
            ReplProcess.Result next = old.eval("(+ 1 2)");
            assertEquals("3", next.value());
            assertTrue(next.err().contains("entangle: clojure.spec's registry (the specs defined at members) from member "
                + current.value("(first (entangle.core/members))").replace("\"", "") + " was refused: it needs class"
                + " clojure.spec.alpha$spec_impl$reify__"), next.err());
        }
    }
}
