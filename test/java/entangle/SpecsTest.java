package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import entangle.testing.JavaHost;
import entangle.testing.Projects;
import entangle.testing.ReplProcess;
import entangle.testing.TestCluster;

/**
 * clojure.spec: a spec defined at any member ({@code s/def}, {@code s/fdef}) is in every
 * member's registry, so a shared fn that checks it works everywhere; the specs a library
 * defines as each member loads it stay each member's own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SpecsTest {
    /** Files the tests write, removed once the class has run. */
    @org.junit.jupiter.api.io.TempDir
    static java.nio.file.Path tmp;

    private TestCluster cluster;
    private ReplProcess a;
    private ReplProcess b;
    private Path library;

    @BeforeAll
    void start() throws Exception {
        library = Files.createTempDirectory(tmp, "entangle-lib");
        Files.createDirectories(library.resolve("extra"));
        Files.writeString(library.resolve("extra/specs.clj"),
            "(ns extra.specs (:require [clojure.spec.alpha :as s]))\n(s/def ::qty pos-int?)\n");
        cluster = new TestCluster();
        a = cluster.start("a", withLibrary());
        b = cluster.start("b", withLibrary());
        a.value("(require '[clojure.spec.alpha :as s] '[clojure.spec.test.alpha :as stest])");
        b.value("(require '[clojure.spec.alpha :as s])");
    }

    private List<String> withLibrary() {
        return Projects.replWith(library);
    }

    @AfterAll
    void stop() {
        cluster.close();
    }

    @Test
    void aSpecDefinedOnOneMemberIsCheckedBySharedFnsOnEveryMember() {
        a.value("(s/def ::age pos-int?)");
        a.value("(defn adult? [p] (and (s/valid? ::age (:age p)) (>= (:age p) 18)))");
        assertEquals("[true false false]", b.value("[(adult? {:age 20}) (adult? {:age 12}) (adult? {:age -1})]"));

        // Specs made of other specs, of fns compiled at the REPL, of regex ops; used on A
        // first, so that the parts spec computes lazily travel as computed.
        a.value("(s/def ::name string?)");
        a.value("(s/def ::tags (s/coll-of keyword? :kind set?))");
        a.value("(s/def ::person (s/keys :req-un [::name ::age] :opt-un [::tags]))");
        a.value("(s/def ::small-even (s/and int? even? #(< % 10)))");
        a.value("(s/def ::id (s/or :n int? :s string?))");
        a.value("(s/def ::maybe-id (s/nilable ::id))");
        a.value("(s/def ::pair (s/cat :n int? :label (s/? string?)))");
        String checks = "[(s/valid? ::person {:name \"x\" :age 3 :tags #{:a}}) (s/valid? ::small-even 4)"
            + " (s/valid? ::small-even 12) (s/conform ::id \"a\") (s/valid? ::maybe-id nil) (s/conform ::pair [1 \"x\"])"
            + " (s/explain-str ::person {:name \"x\" :age -3})]";
        String expected = "[true true false [:s \"a\"] true {:n 1, :label \"x\"}"
            + " \"-3 - failed: pos-int? in: [:age] at: [:age] spec: :user/age\\n\"]";
        assertEquals(expected, a.value(checks));
        assertEquals(expected, b.value(checks));

        // A multi-spec dispatches on a multimethod whose methods come from both members.
        a.value("(defmulti event-type :type)");
        a.value("(defmethod event-type :click [_] (s/keys :req-un [::x ::y]))");
        a.value("(s/def ::x int?)");
        a.value("(s/def ::y int?)");
        a.value("(s/def ::event (s/multi-spec event-type :type))");
        b.value("(defmethod event-type :key [_] (s/keys :req-un [::code]))");
        b.value("(s/def ::code string?)");
        String events = "[(s/valid? ::event {:type :click :x 1 :y 2}) (s/valid? ::event {:type :click :x 1})"
            + " (s/valid? ::event {:type :key :code \"k\"})]";
        assertEquals("[true false true]", a.value(events));
        assertEquals("[true false true]", b.value(events));

        // Redefined on B, removed on A: every member has the change.
        b.value("(s/def ::age (s/int-in 0 150))");
        assertEquals("[true false]", a.value("[(s/valid? ::age 0) (s/valid? ::age 200)]"));
        a.value("(s/def ::tags nil)");
        assertEquals("nil", b.value("(s/get-spec ::tags)"));

        // s/fdef, and a fn instrumented on A: the instrumented fn is the var's root, shared.
        a.value("(defn older [n] (inc n))");
        a.value("(s/fdef older :args (s/cat :n nat-int?) :ret pos-int?)");
        assertEquals("(fspec :args (cat :n nat-int?) :ret pos-int? :fn nil)",
                     b.value("(s/describe (s/get-spec `older))"));
        a.value("(stest/instrument `older)");
        assertEquals("\"Call to user/older did not conform to spec.\"",
                     b.value("(try (older -1) (catch Exception e (ex-message e)))"));

        ReplProcess late = cluster.start("late-specs");
        try {
            assertEquals("[true true false nil [:n 3]]", late.value("(require '[clojure.spec.alpha :as s])"
                + " [(adult? {:age 30}) (s/valid? :user/person {:name \"x\" :age 3}) (s/valid? :user/age 200)"
                + " (s/get-spec :user/tags) (s/conform :user/id 3)]"));
        } finally {
            late.close();
        }
    }

    /** A Java application that evaluates nothing calls a shared fn that checks specs: it has them. */
    @Test
    void aJavaApplicationCallingASharedFnHasItsSpecs() {
        a.value("(s/def ::sku (s/and string? #(re-matches #\"[A-Z]{3}-\\d+\" %)))");
        a.value("(defn valid-sku? [s] (s/valid? ::sku s))");
        try (JavaHost host = JavaHost.start(cluster, "host-specs", Map.of())) {
            host.value("join");
            assertEquals("[true false]", "[" + host.value("call user/valid-sku? [\"ABC-12\"]") + " "
                + host.value("call user/valid-sku? [\"abc\"]") + "]");
        }
    }

    @Test
    void aSpecThatCannotTravelStaysOnItsMemberWhileTheOthersTravel() {
        a.value("(s/def ::before int?)");
        ReplProcess.Result counted = a.eval("(let [calls (atom 0)] (s/def ::counted (fn [x] (swap! calls inc) true)))");
        assertEquals(":user/counted", counted.value());
        assertTrue(counted.err().contains("entangle: spec :user/counted holds a clojure.lang.Atom (inside a fn or a"
            + " collection; only an atom a var holds itself becomes a cluster atom), which cannot be shared with other"
            + " members, so it stays on this member only; define it with values that can travel, or on each member"
            + " (entangle/eval-on)."), counted.err());
        ReplProcess.Result after = a.eval("(s/def ::after keyword?)");
        assertFalse(after.err().contains("counted"), "warned once: " + after.err());
        assertEquals("[true nil true]",
            b.value("[(some? (s/get-spec :user/before)) (s/get-spec :user/counted) (some? (s/get-spec :user/after))]"));
        assertEquals("true", a.value("(s/valid? ::counted 1)"));
        // Defined again with what can travel, it does.
        a.value("(s/def ::counted int?)");
        assertEquals("[true false]", b.value("[(s/valid? :user/counted 1) (s/valid? :user/counted :x)]"));
    }

    /** A spec keyed in a namespace marked local stays on its member, as the namespace's vars do. */
    @Test
    void aSpecOfANamespaceMarkedLocalStaysOnItsMember() {
        a.value("(ns ^:entangle/local spec-scratch (:require [clojure.spec.alpha :as s]))");
        a.value("(s/def ::draft int?)");
        a.value("(s/def :spec-shared/final int?)");
        a.value("(in-ns 'user)");
        assertEquals("[true true]", a.value("[(s/valid? :spec-scratch/draft 1) (s/valid? :spec-shared/final 1)]"));
        assertEquals("[nil true]", b.value("[(s/get-spec :spec-scratch/draft) (s/valid? :spec-shared/final 1)]"));
    }

    /**
     * A library's specs are defined on each member by its load, from its own copy: a spec the
     * evaluation redefined is the library's again once the library is reloaded, everywhere.
     */
    @Test
    void theSpecsALibraryDefinesAsItLoadsAreEachMembersOwn() {
        a.value("(require 'extra.specs)");
        assertEquals("[true false]", b.value("[(s/valid? :extra.specs/qty 3) (s/valid? :extra.specs/qty -3)]"));
        a.value("(s/def :extra.specs/qty (s/int-in 1 100))");
        assertEquals("[true false]", b.value("[(s/valid? :extra.specs/qty 3) (s/valid? :extra.specs/qty 300)]"));
        b.value("(require 'extra.specs :reload)");
        assertEquals("[true true]", a.value("[(s/valid? :extra.specs/qty 3) (s/valid? :extra.specs/qty 300)]"));
        assertEquals("[true true]", b.value("[(s/valid? :extra.specs/qty 3) (s/valid? :extra.specs/qty 300)]"));
        ReplProcess late = cluster.start("late-library", withLibrary());
        try {
            assertEquals("[true true]", late.value("(require '[clojure.spec.alpha :as s])"
                + " [(s/valid? :extra.specs/qty 3) (s/valid? :extra.specs/qty 300)]"));
        } finally {
            late.close();
        }
    }
}
