package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

import entangle.testing.BesideTheOthers;
import entangle.testing.Projects;
import entangle.testing.ReplProcess;
import entangle.testing.TestCluster;

/**
 * Requiring a namespace from the classpath is shared as the fact of the require: every member
 * loads it from its own classpath, and one that lacks it says so and keeps working, as it does
 * for a class of a library that code from another member needs.
 */
@BesideTheOthers
class ClasspathNamespacesTest {
    /** Files the tests write, removed once the class has run. */
    @org.junit.jupiter.api.io.TempDir
    static java.nio.file.Path tmp;

    private static Path library(String version) throws Exception {
        Path dir = Files.createTempDirectory(tmp, "entangle-lib");
        Files.createDirectories(dir.resolve("extra"));
        Files.writeString(dir.resolve("extra/greeter.clj"),
            "(ns extra.greeter)\n(defn version [] \"" + version + "\")\n");
        return dir;
    }

    /**
     * {@code dir} with the compiled Java types of a library only some members have: a class,
     * extra.java.Shout, an interface, extra.java.Speaker, and a class of values, extra.java.Order.
     */
    private static Path withJavaClasses(Path dir) throws Exception {
        Path sources = Files.createDirectories(dir.resolve("src-java/extra/java"));
        Path shout = Files.writeString(sources.resolve("Shout.java"), "package extra.java;\npublic class Shout {\n"
            + "    public static String shout(String s) { return s.toUpperCase() + \"!\"; }\n}\n");
        Path speaker = Files.writeString(sources.resolve("Speaker.java"),
            "package extra.java;\npublic interface Speaker {\n    String speak();\n}\n");
        Path order = Files.writeString(sources.resolve("Order.java"), "package extra.java;\n"
            + "public class Order implements java.io.Serializable {\n    public final String id;\n"
            + "    public Order(String id) { this.id = id; }\n}\n");
        int exit = javax.tools.ToolProvider.getSystemJavaCompiler()
            .run(null, null, null, "-d", dir.toString(), shout.toString(), speaker.toString(), order.toString());
        assertEquals(0, exit, "javac " + sources);
        return dir;
    }

    private static List<String> withPath(Path dir) {
        return Projects.replWith(dir);
    }

    private static List<String> with(List<String> options, String more) {
        List<String> out = new java.util.ArrayList<>(options);
        out.add(more);
        return out;
    }

    /**
     * A record type of a classpath namespace is each member's own, compiled from its own copy
     * of the file: a record made on one member is an instance of the type on every other.
     */
    @Test
    void aRecordOfAClasspathNamespaceIsOfEachMembersOwnType() throws Exception {
        Path dir = library("any");
        Path shapes = Files.writeString(dir.resolve("extra/shapes.clj"),
                                        "(ns extra.shapes)\n(defprotocol Shape (area [s]))\n(defrecord Circle [r])\n"
                                        + "(extend-type Circle Shape (area [c] (* 3 (:r c) (:r c))))\n"
                                        + "(defonce registry (atom []))\n");
        Path geo = Files.writeString(dir.resolve("extra/geo.clj"), "(ns extra.geo)\n(defrecord Pt [x])\n");
        try (TestCluster cluster = new TestCluster()) {
            ReplProcess a = cluster.start("a", withPath(dir));
            ReplProcess b = cluster.start("b", withPath(dir));
            // An :as-alias of it first makes an empty namespace, shared: a require still loads it.
            a.value("(require '[extra.shapes :as-alias shapes])");
            assertEquals("[true false]", b.value("[(some? (find-ns 'extra.shapes)) (contains? (loaded-libs) 'extra.shapes)]"));
            b.value("(require 'extra.shapes)");
            assertEquals("true", b.value("(some? (resolve 'extra.shapes/->Circle))"));
            a.value("(require 'extra.shapes)");
            a.value("(swap! extra.shapes/registry conj :a)");
            b.value("(swap! extra.shapes/registry conj :b)");
            a.value("(def circle (extra.shapes/->Circle 2))");
            assertEquals("[true true 2]", b.value("[(instance? extra.shapes.Circle circle) (= circle (extra.shapes/->Circle 2))"
                + " (:r circle)]"));
            // A record type of the REPL implementing the library's protocol; the library's file
            // loaded again at a REPL, as an editor does, making its types anew.
            a.value("(defrecord Tri [b] extra.shapes/Shape (area [_] b))");
            a.value("(def tri (->Tri 3))");
            assertEquals("3", b.value("(extra.shapes/area tri)"));
            a.value("(load-file \"" + shapes + "\")");
            a.value("(def newer (extra.shapes/->Circle 5))");
            // Its defonce made nothing new: each member's atom is its own, as its load made it.
            String registry = "[@extra.shapes/registry (instance? entangle.sharing.ClusterAtom extra.shapes/registry)]";
            assertEquals("[[:a] false]", a.value(registry));
            assertEquals("[[:b] false]", b.value(registry));
            // As in one JVM: the protocol made again leaves Tri with the old one.
            String check = "[(some? (resolve 'Tri)) (instance? extra.shapes.Circle newer) (satisfies? extra.shapes/Shape tri)]";
            assertEquals("[true true false]", a.value(check));
            assertEquals("[true true false]", b.value(check));
            String area = "(extra.shapes/area (extra.shapes/->Circle 1))";
            assertEquals("3", b.value(area));
            ReplProcess late = cluster.start("late", withPath(dir));
            assertEquals("[true true false]", late.value(check));
            assertFalse(late.allErr().contains("entangle:"), late.allErr());

            // Another member loads it again from its classpath (a tools.namespace refresh):
            // every member's own load defines its vars again, as in one JVM.
            b.value("(require 'extra.shapes :reload)");
            for (ReplProcess m : List.of(a, b, late)) {
                assertEquals("3", m.value(area));
                assertEquals("[true false false]", m.value(check));
            }

            // A record of a library type, held by a var and a cluster atom; the type then
            // changed in the file and loaded at A's REPL: the record made before keeps its type.
            a.value("(require 'extra.geo)");
            a.value("(def p0 (extra.geo/->Pt 1))");
            a.value("(def pbox (atom [p0]))");
            Files.writeString(geo, "(ns extra.geo)\n(defrecord Pt [x y])\n");
            a.value("(load-file \"" + geo + "\")");
            String held = "[(:x p0) (map :x @pbox) (count (keys (extra.geo/->Pt 1 2)))]";
            for (ReplProcess m : List.of(a, b, late)) assertEquals("[1 (1) 2]", m.value(held));

            // A member that joins after all that has what the others have, but for what its
            // classpath's copy of the file, changed since, cannot read: a record of the type
            // before the change, which it says.
            ReplProcess later = cluster.start("later", withPath(dir));
            assertEquals("3", later.value(area));
            assertEquals("2", later.value("(count (keys (extra.geo/->Pt 1 2)))"));
            assertTrue(later.allErr().contains("entangle: #'user/p0 from member ") && later.allErr().contains(
                "InvalidClassException: extra.geo.Pt; local class incompatible"), later.allErr());
        }
    }

    @Test
    void eachMemberRequiresFromItsOwnClasspathAndOneThatCannotSaysWhy() throws Exception {
        try (TestCluster cluster = new TestCluster()) {
            // A and B name the library's package as one whose classes values may hold; B lacks it.
            String naming = "-J-Dentangle.shareable.classes=extra.java.";
            ReplProcess a = cluster.start("a", with(withPath(withJavaClasses(library("copy on a"))), naming));
            ReplProcess b = cluster.start("b", with(withPath(library("copy on b")), naming));
            ReplProcess c = cluster.start("c");
            String addressOfA = a.value("(first (entangle.core/members))").replace("\"", "");

            a.value("(require 'extra.greeter)");
            assertEquals("\"copy on a\"", a.value("(extra.greeter/version)"));
            assertEquals("\"copy on b\"", b.value("(extra.greeter/version)"));
            String refusal = "entangle: namespace extra.greeter (required on member " + addressOfA + ") cannot be"
                + " loaded from this member's classpath: Could not locate extra/greeter__init.class,"
                + " extra/greeter.clj or extra/greeter.cljc on classpath; shared definitions that use it will fail here.";
            assertTrue(c.allErr().contains(refusal), c.allErr());
            assertEquals("3", c.eval("(+ 1 2)").value());
            // Reloaded on A, it is not reported again where it could not be loaded at all.
            a.value("(require 'extra.greeter :reload)");
            assertEquals("3", c.eval("(+ 1 2)").value());
            assertEquals(1, c.allErr().split("cannot be loaded", -1).length - 1, c.allErr());

            // A shared fn that uses it runs with each member's copy.
            a.value("(defn which-greeter [] (extra.greeter/version))");
            assertEquals("\"copy on b\"", b.value("(which-greeter)"));

            // What evaluation changes in it is shared like any definition.
            a.eval("(in-ns 'extra.greeter)");
            a.value("(defn version [] \"redefined at a's REPL\")");
            a.value("(in-ns 'user)");
            assertEquals("\"redefined at a's REPL\"", b.value("(which-greeter)"));

            ReplProcess d = cluster.start("d", withPath(library("copy on d")));
            assertEquals("[true \"redefined at a's REPL\"]",
                d.value("[(contains? (loaded-libs) 'extra.greeter) (which-greeter)]"));

            // A class of a library that only A has: the members that lack it say so as they
            // take the import, rather than waiting for it as for a class the cluster may bring.
            a.value("(import 'extra.java.Shout)");
            a.value("(defn shout [s] (Shout/shout s))");
            assertEquals("\"HEY!\"", a.value("(shout \"hey\")"));
            String lacking = "entangle: namespace user imports extra.java.Shout, which is not on this member's classpath;"
                + " shared definitions that use it will fail here.";
            for (ReplProcess other : List.of(b, c, d)) {
                other.awaitErr(java.util.regex.Pattern.quote(lacking));
                String err = other.eval("(shout \"hey\")").err();
                assertTrue(err.contains("Execution error (ClassNotFoundException)") && err.contains("extra.java.Shout"), err);
                assertEquals("3", other.value("(+ 1 2)"));
            }
            // A record that implements one of its interfaces cannot be defined where the
            // interface is missing, nor can a value made of it.
            a.value("(defrecord Talker [] extra.java.Speaker (speak [_] \"hi\"))");
            a.value("(def talker (->Talker))");
            assertEquals("\"hi\"", a.value("(.speak talker)"));
            String needs = ", which is not on this member's classpath";
            b.awaitErr(java.util.regex.Pattern.quote("entangle: class user.Talker from member " + addressOfA + " was refused:"
                + " it needs class extra.java.Speaker" + needs + "; nothing was defined from it."));
            b.awaitErr(java.util.regex.Pattern.quote("entangle: #'user/talker from member " + addressOfA + " could not be"
                + " applied here: it needs class extra.java.Speaker" + needs + "."));
            assertEquals("3", b.eval("(+ 1 2)").value());
            // The var is there, and says why wherever it is used.
            assertTrue(b.eval("talker").err().contains("#'user/talker from member " + addressOfA + " needs class"
                + " extra.java.Speaker, which is not on this member's classpath, so its value cannot be read here; start"
                + " this member with that class's library on its classpath"), b.transcript());
            assertEquals("\"[#<unshared #'user/talker: needs class extra.java.Speaker>]\"", b.value("(pr-str [talker])"));
            assertFalse(b.allErr().contains("cannot be shared"), b.allErr());
            // The namespace's import, which it lacks, was said once, not at each change of the namespace.
            assertEquals(1, b.allErr().split("imports extra.java.Shout", -1).length - 1, b.allErr());

            // Code that names the class without importing it (the JVM resolves the name only when
            // the code runs) is defined, and the members that lack the class say so as it comes,
            // once a namespace: of a record's method, and of a fn.
            a.value("(ns app.loud)");
            a.value("(defrecord Loud [s] Object (toString [_] (extra.java.Shout/shout s)))");
            a.value("(ns app.fns)");
            a.value("(defn loud [s] (extra.java.Shout/shout s))");
            a.value("(defn louder [s] (str (extra.java.Shout/shout s) \"!\"))");
            a.value("(in-ns 'user)");
            String uses = " uses class extra.java.Shout, which is not on this member's classpath; it was defined here and will"
                + " fail where it uses it.";
            b.awaitErr(java.util.regex.Pattern.quote("entangle: class app.loud.Loud from member " + addressOfA + uses));
            b.awaitErr(java.util.regex.Pattern.quote("entangle: #'app.fns/loud from member " + addressOfA + uses));
            assertTrue(b.eval("(str (app.loud.Loud. \"hey\"))").err().contains("extra.java.Shout"), b.transcript());
            assertTrue(b.eval("(app.fns/louder \"hey\")").err().contains("extra.java.Shout"), b.transcript());
            b.eval("(binding [*out* *err*] (println \"after louder\"))");
            b.awaitErr("after louder");
            assertEquals(2, b.allErr().split("uses class extra.java.Shout", -1).length - 1, b.allErr());
            assertFalse(a.allErr().contains("uses class"), a.allErr());
            // A fn that holds the class as a constant resolves it as its class is initialized, when
            // the fn is made: the var gets the placeholder that says so.
            a.value("(defn shout-class [] extra.java.Shout)");
            assertTrue(b.eval("(shout-class)").err().contains("#'user/shout-class from member " + addressOfA
                + " needs class extra.java.Shout, which is not on this member's classpath, so its value cannot be read"
                + " here"), b.transcript());
            // So does a value of one of its classes that both name as shareable.
            a.value("(def order (extra.java.Order. \"o-1\"))");
            assertEquals("\"o-1\"", a.value("(.id order)"));
            assertTrue(b.eval("(.id order)").err().contains("#'user/order from member " + addressOfA + " needs class"
                + " extra.java.Order, which is not on this member's classpath, so its value cannot be read here"),
                b.transcript());
            assertEquals("\"[#<unshared #'user/order: needs class extra.java.Order>]\"", b.value("(pr-str [order])"));
        }
    }

    /**
     * A namespace loaded again from the classpath on one member, by {@code require} with
     * {@code :reload} or as a tools.namespace refresh does (remove-ns, then require), is loaded
     * again on every member that has it: here every member reads the same file, as REPLs on
     * one machine do.
     */
    @Test
    void aNamespaceReloadedOnOneMemberIsReloadedOnEveryMember() throws Exception {
        Path dir = Files.createTempDirectory(tmp, "entangle-lib");
        Files.createDirectories(dir.resolve("extra"));
        Path file = dir.resolve("extra/greeter.clj");
        greeter(file, "first", "");
        try (TestCluster cluster = new TestCluster()) {
            ReplProcess a = cluster.start("a", withPath(dir));
            ReplProcess b = cluster.start("b", withPath(dir));
            a.value("(require 'extra.greeter)");
            assertEquals("[\"first\" 1]", b.value("[(extra.greeter/version) extra.greeter/loads]"));
            // Redefined by evaluation, it has a record in the cluster: a load replaces that too.
            a.value("(do (in-ns 'extra.greeter) (defn version [] \"at a's REPL\") (in-ns 'user))");
            assertEquals("\"at a's REPL\"", b.value("(extra.greeter/version)"));

            greeter(file, "second", "(defn added [] :added)\n");
            a.value("(require 'extra.greeter :reload)");
            assertEquals("[\"second\" :added]", b.value("[(extra.greeter/version) (extra.greeter/added)]"));
            a.value("(def after-the-reload 1)");
            assertEquals("[1 2]", b.value("[after-the-reload extra.greeter/loads]"));
            assertEquals("2", a.value("extra.greeter/loads"));
            ReplProcess d = cluster.start("d", withPath(dir));
            assertEquals("\"second\"", d.value("(extra.greeter/version)"));

            greeter(file, "third", "");
            a.value("(do (remove-ns 'extra.greeter) (dosync (commute @#'clojure.core/*loaded-libs* disj 'extra.greeter))"
                + " (require 'extra.greeter))");
            assertEquals("\"third\"", b.value("(extra.greeter/version)"));

            // Removed in one evaluation, loaded again in another (require alone finds it in *loaded-libs*).
            a.value("(remove-ns 'extra.greeter)");
            assertEquals("nil", b.value("(find-ns 'extra.greeter)"));
            greeter(file, "fourth", "");
            a.value("(require 'extra.greeter :reload)");
            assertEquals("\"fourth\"", b.value("(extra.greeter/version)"));

            greeter(file, "fifth", "");
            b.value("(require 'extra.greeter :reload)");
            assertEquals("\"fifth\"", a.value("(extra.greeter/version)"));
            assertEquals("\"fifth\"", d.value("(extra.greeter/version)"));
            ReplProcess c = cluster.start("c", withPath(dir));
            assertEquals("[\"fifth\" 1]", c.value("[(extra.greeter/version) extra.greeter/loads]"));
            // (The Clojure CLI may warn as it makes a classpath: only entangle's lines count.)
            String printed = a.allErr() + b.allErr() + c.allErr() + d.allErr();
            assertTrue(!printed.contains("entangle:"), printed);
        }
    }

    /**
     * A member loads a namespace for another's record (as it joins, or when the other reloads
     * it) and what it changes there at its next evaluation is shared, however soon it comes:
     * the load is known as it was, not as that evaluation left it. What the load required in
     * turn stays each member's own.
     */
    @Test
    void whatAMemberChangesInANamespaceItLoadedForAnotherIsSharedFromItsFirstEvaluation() throws Exception {
        Path dir = Files.createTempDirectory(tmp, "entangle-lib");
        Files.createDirectories(dir.resolve("extra"));
        Files.writeString(dir.resolve("extra/util.clj"), "(ns extra.util)\n(defn shout [s] (str s \"!\"))\n");
        Path file = dir.resolve("extra/greeter.clj");
        greeter(file, "first", "(require 'extra.util)\n");
        try (TestCluster cluster = new TestCluster()) {
            ReplProcess a = cluster.start("a", withPath(dir));
            a.value("(require 'extra.greeter)");
            // Not cluster.start, whose wait for the prompt is an evaluation of its own: this is B's first.
            ReplProcess b = cluster.adopt(ReplProcess.start("b", withPath(dir), cluster.args("b"), java.util.Map.of()));
            // (eval, not value: the Clojure CLI may warn on stderr as it makes the classpath.)
            assertEquals("nil", b.eval("(do (in-ns 'extra.greeter) (defn version [] \"b's first evaluation\") (in-ns 'user) nil)").value());
            assertEquals("\"b's first evaluation\"", a.value("(extra.greeter/version)"));

            greeter(file, "second", "(require 'extra.util)\n");
            a.value("(require 'extra.greeter :reload)");
            b.value("(alter-var-root #'extra.greeter/loads + 100)");
            assertEquals("[\"second\" 102]", a.value("[(extra.greeter/version) extra.greeter/loads]"));
            // extra.util, loaded by each member's load of extra.greeter, has no records.
            assertEquals("[\"hi!\" nil]", a.value("[(extra.util/shout \"hi\") (entangle.core/provenance 'extra.util/shout)]"));
        }
    }

    /**
     * An evaluation that requires a namespace and then changes it (a setup script: require,
     * then alter-var-root a setting) shares the change: every member loads the namespace and
     * then has the evaluation's value, as the member that ran it does.
     */
    @Test
    void whatTheEvaluationThatLoadedANamespaceChangesInItAfterwardsIsShared() throws Exception {
        Path dir = Files.createTempDirectory(tmp, "entangle-lib");
        Files.createDirectories(dir.resolve("extra"));
        greeter(dir.resolve("extra/greeter.clj"), "first", "");
        try (TestCluster cluster = new TestCluster()) {
            ReplProcess a = cluster.start("a", withPath(dir));
            ReplProcess b = cluster.start("b", withPath(dir));
            a.value("(do (require 'extra.greeter) (alter-var-root #'extra.greeter/loads + 100)"
                + " (in-ns 'extra.greeter) (defn version [] \"set up at a\") (in-ns 'user))");
            assertEquals("[101 \"set up at a\"]", b.value("[extra.greeter/loads (extra.greeter/version)]"));
            ReplProcess c = cluster.start("c", withPath(dir));
            assertEquals("[101 \"set up at a\"]", c.value("[extra.greeter/loads (extra.greeter/version)]"));
        }
    }

    /** Writes a greeter whose {@code version} is {@code version}, with {@code more}; it counts its loads. */
    private static void greeter(Path file, String version, String more) throws Exception {
        Files.writeString(file, "(ns extra.greeter)\n(def loads (inc (let [v (ns-resolve 'extra.greeter 'loads)]"
            + " (if (and v (bound? v)) @v 0))))\n(defn version [] \"" + version + "\")\n" + more);
    }

    /**
     * What evaluation adds to a library's multimethods and protocols (a clojure.* library's are
     * shared so) reaches the members that loaded it; a member that could not load the library
     * leaves it, makes no namespace of it, keeps working, and takes nothing away from the others.
     */
    @Test
    void whatIsAddedToALibraryALackingMemberCouldNotLoadStaysWithTheOthers() throws Exception {
        Path lib = Files.createTempDirectory(tmp, "entangle-lib");
        Files.createDirectories(lib.resolve("clojure/fakelib"));
        Files.writeString(lib.resolve("clojure/fakelib/dispatch.clj"),
            "(ns clojure.fakelib.dispatch)\n(defmulti handle :kind)\n(defprotocol Sized (size [x]))\n");
        try (TestCluster cluster = new TestCluster()) {
            ReplProcess a = cluster.start("a", withPath(lib));
            ReplProcess b = cluster.start("b", withPath(lib));
            ReplProcess c = cluster.start("c");
            a.value("(require 'clojure.fakelib.dispatch)");
            // One evaluation, so one batch: what C leaves must not keep it from the rest.
            a.value("(do (def before-the-additions 41) (defmethod clojure.fakelib.dispatch/handle :x [_] :handled-x)"
                + " (extend-protocol clojure.fakelib.dispatch/Sized String (size [s] (count s)))"
                + " (def after-the-additions 42))");
            String uses = "[(clojure.fakelib.dispatch/handle {:kind :x}) (clojure.fakelib.dispatch/size \"abc\")]";
            assertEquals("[:handled-x 3]", b.value(uses));

            assertTrue(c.allErr().contains("namespace clojure.fakelib.dispatch (required on member"), c.allErr());
            c.discardPrinted();
            ReplProcess.Result onC = c.eval("[(find-ns 'clojure.fakelib.dispatch) before-the-additions after-the-additions]");
            assertEquals("[nil 41 42]", onC.value());
            assertEquals("", onC.err());
            // C's evaluations publish nothing of the library: the others keep what was added.
            c.value("(def after-c 1)");
            assertEquals("[:handled-x 3]", b.value(uses));
            ReplProcess d = cluster.start("d", withPath(lib));
            assertEquals("[:handled-x 3]", d.value(uses));
            assertEquals("", c.eval("(+ 1 1)").err());
        }
    }

    @Test
    void whatTheCompilerLoadsForItselfIsNotShared() throws Exception {
        String specsLoaded = "(some? (find-ns 'clojure.core.specs.alpha))";
        try (TestCluster cluster = new TestCluster()) {
            ReplProcess a = cluster.start("a");
            // The first macro a compiler expands makes it load the specs it checks macro calls with.
            a.value("(defn spec-checked [x] (inc x))");
            assertEquals("true", a.value(specsLoaded));

            ReplProcess b = cluster.start("b");
            assertEquals("[false 2]", b.value("[" + specsLoaded + " (spec-checked 1)]"));
            // b's compiler loads them when it needs them, and checks macro calls as before.
            assertTrue(b.eval("(defn 1 [])").err().contains("spec: :clojure.core.specs.alpha/defn-args"));
            assertEquals("true", b.value(specsLoaded));
        }
    }
}
