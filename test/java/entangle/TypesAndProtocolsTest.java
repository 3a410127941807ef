package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

import entangle.testing.TwoMembers;

/** deftype, defrecord, definterface, defprotocol and its extensions, reify, proxy. */
class TypesAndProtocolsTest extends TwoMembers {

    @Test
    void recordsTravelAsValuesAndCompareEqualWithRecordsMadeElsewhere() {
        a.value("(defrecord Money [amount currency])");
        a.value("(def price (->Money 10 :eur))");
        assertEquals("#user.Money{:amount 10, :currency :eur}", b.value("price"));
        assertEquals("[true true true]", b.value("[(= price (->Money 10 :eur)) (= price (map->Money {:amount 10"
            + " :currency :eur})) (= (hash price) (hash (->Money 10 :eur)))]"));
        b.value("(def made-on-b (assoc (->Money 5 :usd) :note \"extra key\"))");
        assertEquals("[true 5 \"extra key\"]", a.value("[(instance? Money made-on-b) (:amount made-on-b) (:note made-on-b)]"));
        assertEquals("true", a.value("(= made-on-b (assoc (->Money 5 :usd) :note \"extra key\"))"));
        assertEquals("#{#user.Money{:amount 10, :currency :eur}}", b.value("(conj #{} price (->Money 10 :eur))"));

        // Redefined on A with another field: code compiled afterwards on B uses the new one.
        a.value("(defrecord Money [amount currency rounded?])");
        assertEquals("#user.Money{:amount 1, :currency :eur, :rounded? true}", b.value("(->Money 1 :eur true)"));
        alsoOnALateJoiner("(->Money 2 :eur false)", "#user.Money{:amount 2, :currency :eur, :rounded? false}");
        alsoOnALateJoiner("price", "#user.Money{:amount 10, :currency :eur}");
    }

    @Test
    void deftypeAndDefinterface() {
        a.value("(definterface Shape (area []))");
        a.value("(deftype Square [side] Shape (area [_] (* side side)))");
        assertEquals("16", b.value("(.area (Square. 4))"));
        b.value("(deftype Circle [r] Shape (area [_] (* 3 r r)))");
        assertEquals("[12 true]", a.value("[(.area (Circle. 2)) (instance? Shape (Circle. 2))]"));
        // deftype instances travel as values too
        a.value("(def unit-square (Square. 1))");
        assertEquals("[1 true]", b.value("[(.area unit-square) (instance? Square unit-square)]"));
        a.value("(deftype Square [side] Shape (area [_] (* 10 side side)))");
        assertEquals("160", b.value("(.area (Square. 4))"));
        alsoOnALateJoiner("(.area (Square. 2))", "40");
        alsoOnALateJoiner("(.area unit-square)", "1");
    }

    @Test
    void aTypeKeepsTheInterfaceItWasDefinedWithOnEveryMemberAsInOneJvm() {
        // A protocol redefined after a record implemented it: the record's class keeps the
        // protocol's old interface, so the record no longer satisfies it, on every member.
        a.value("(defprotocol Kept (kept-m [x]))");
        a.value("(defrecord KeptR [] Kept (kept-m [_] :r))");
        a.value("(def kept-x (->KeptR))");
        a.value("(defprotocol Kept (kept-m [x]) (kept-n [x]))");
        String form = "[(satisfies? Kept kept-x) (instance? user.Kept kept-x)"
            + " (try (kept-m kept-x) (catch Exception e (.getMessage e)))]";
        String expected = "[false false \"No implementation of method: :kept-m of protocol: #'user/Kept found for"
            + " class: user.KeptR\"]";
        assertEquals(expected, a.value(form));
        assertEquals(expected, b.value(form));
        alsoOnALateJoiner(form, expected);

        // The same with an interface a deftype implements, redefined on the other member.
        a.value("(definterface KeptI (keptFoo []))");
        a.value("(deftype KeptT [] KeptI (keptFoo [_] :foo))");
        a.value("(def kept-t (KeptT.))");
        b.value("(definterface KeptI (keptFoo []))");
        assertEquals("false", b.value("(instance? KeptI kept-t)"));
        assertEquals("false", a.value("(instance? KeptI kept-t)"));
        alsoOnALateJoiner("(instance? KeptI kept-t)", "false");

        // A protocol evaluated again, unchanged, is a new protocol too (as defprotocol makes one).
        a.value("(defprotocol Again (again-m [x]))");
        a.value("(defrecord AgainR [] Again (again-m [_] :r))");
        a.value("(def again-x (->AgainR))");
        b.value("(defprotocol Again (again-m [x]))");
        String againForm = "[(satisfies? Again again-x) (instance? user.Again again-x)]";
        assertEquals("[false false]", b.value(againForm));
        assertEquals("[false false]", a.value(againForm));
        alsoOnALateJoiner(againForm, "[false false]");
    }

    @Test
    void protocolsWithEveryWayOfExtendingThem() {
        a.value("(defprotocol Describe (describe [x]) (describe-as [x style]))");
        a.value("(extend-type String Describe (describe [s] (str \"string \" s)) (describe-as [s st] (str st \":\" s)))");
        a.value("(extend-protocol Describe Long (describe [n] (str \"long \" n)) (describe-as [n st] (str st n)))");
        a.value("(extend clojure.lang.Keyword Describe {:describe (fn [k] (str \"keyword \" (name k)))"
            + " :describe-as (fn [k st] (str st (name k)))})");
        a.value("(defrecord Person [name] Describe (describe [p] (str \"person \" name)) (describe-as [p st] st))");
        a.value("(deftype Robot [id] Describe (describe [_] (str \"robot \" id)) (describe-as [_ st] st))");
        assertEquals("[\"string s\" \"long 3\" \"keyword k\" \"person Ann\" \"robot 7\" \"x:y\"]",
            b.value("[(describe \"s\") (describe 3) (describe :k) (describe (->Person \"Ann\")) (describe (Robot. 7))"
                + " (describe-as \"y\" \"x\")]"));
        assertEquals("[true true false]", b.value("[(satisfies? Describe \"s\") (satisfies? Describe (->Person \"x\"))"
            + " (satisfies? Describe 1.5)]"));
        assertEquals("[true true]", b.value("[(instance? user.Describe (->Person \"x\")) (instance? user.Describe (Robot. 1))]"));

        // B extends the protocol, defined on A, to a type defined on A.
        a.value("(deftype Box [v])");
        b.value("(extend-type Box Describe (describe [b] (str \"box of \" (.-v b))) (describe-as [b st] st))");
        assertEquals("\"box of 9\"", a.value("(describe (Box. 9))"));
        assertEquals("true", a.value("(satisfies? Describe (Box. 1))"));

        // reify implementing the protocol inline, shipped as a value
        a.value("(def anonymous (let [secret 42] (reify Describe (describe [_] (str \"reified \" secret))"
            + " (describe-as [_ st] st))))");
        assertEquals("[\"reified 42\" true]", b.value("[(describe anonymous) (satisfies? Describe anonymous)]"));

        // Redefining an extension on A: B uses the new one.
        a.value("(extend-type String Describe (describe [s] (str \"STRING \" s)) (describe-as [s st] st))");
        assertEquals("\"STRING s\"", b.value("(describe \"s\")"));
        alsoOnALateJoiner("[(describe \"s\") (describe 3) (describe (Box. 2)) (describe anonymous) (describe (->Person \"P\"))]",
            "[\"STRING s\" \"long 3\" \"box of 2\" \"reified 42\" \"person P\"]");
    }

    /**
     * A class is a value like any other, whatever its instances may be: a protocol extended to
     * classes no shared value may hold an instance of (a file, a stream), a map keyed by
     * classes, a fn that closed over one. (Their instances themselves still stay on their member.)
     */
    @Test
    void classesTravelAsValuesWhateverTheirInstancesMay() {
        a.value("(defprotocol Size (size-of [x]))");
        a.value("(extend-protocol Size java.io.File (size-of [f] (str \"file \" (.getName f)))"
            + " java.io.InputStream (size-of [s] (.available s)))");
        assertEquals("[\"file a.txt\" 3]",
            b.value("[(size-of (java.io.File. \"a.txt\")) (size-of (java.io.ByteArrayInputStream. (byte-array 3)))]"));
        a.value("(def kinds {java.net.Socket :socket Long/TYPE :long (class (long-array 0)) :longs})");
        a.value("(def file? (let [c java.io.File] (fn [x] (instance? c x))))");
        a.value("(def socket-class java.net.Socket)");
        assertEquals("[:socket :long :longs true false true]",
            b.value("[(kinds java.net.Socket) (kinds Long/TYPE) (kinds (class (long-array 1))) (file? (java.io.File. \"x\"))"
                + " (file? 1) (= socket-class java.net.Socket)]"));
        alsoOnALateJoiner("[(size-of (java.io.File. \"b\")) (kinds Long/TYPE) (file? (java.io.File. \"y\"))]",
            "[\"file b\" :long true]");
    }

    /**
     * Clojure's protocols are each member's own, and so are the extensions Clojure and the
     * libraries make as a member loads them (clojure.datafy's); the extensions evaluation
     * makes travel, from any member, to a type of the cluster's or a JDK class.
     */
    @Test
    void extensionsEvaluationMakesToClojuresProtocolsReachEveryMember() {
        a.value("(require '[clojure.datafy :refer [datafy]] '[clojure.core.protocols :as p])");
        a.value("(defrecord Temp [c])");
        a.value("(extend-protocol p/Datafiable Temp (datafy [t] {:celsius (:c t)}))");
        assertEquals("{:celsius 20}", b.value("(clojure.datafy/datafy (->Temp 20))"));
        b.value("(extend-protocol clojure.core.protocols/Datafiable java.io.File (datafy [f] {:file (.getName f)}))");
        b.value("(extend-protocol clojure.core.protocols/CollReduce Temp (coll-reduce ([t f] (f (:c t))) ([t f v] (f v (:c t)))))");
        assertEquals("[{:file \"x.txt\"} {:celsius 5} 12]",
            a.value("[(datafy (java.io.File. \"x.txt\")) (datafy (->Temp 5)) (reduce + 2 (->Temp 10))]"));
        // Redefined on A: B's datafy of a Temp changes, of a File does not; the extensions
        // clojure.datafy made where it was loaded stay (a namespace datafies to its publics).
        a.value("(extend-protocol p/Datafiable Temp (datafy [t] {:kelvin (+ 273 (:c t))}))");
        assertEquals("[{:kelvin 283} {:file \"y\"} true]",
            b.value("[(clojure.datafy/datafy (->Temp 10)) (clojure.datafy/datafy (java.io.File. \"y\"))"
                + " (contains? (clojure.datafy/datafy *ns*) :publics)]"));
        alsoOnALateJoiner("[(datafy (->Temp 0)) (datafy (java.io.File. \"z\")) (reduce + 1 (->Temp 2))]",
            "[{:kelvin 273} {:file \"z\"} 3]");
    }

    @Test
    void reifyAndProxyInstancesTravelAsValues() {
        a.value("(def comparator-by-length (let [weight 1] (reify java.util.Comparator"
            + " (compare [_ x y] (* weight (- (count x) (count y)))))))");
        assertEquals("[\"a\" \"bb\" \"ccc\"]", b.value("(vec (sort comparator-by-length [\"ccc\" \"a\" \"bb\"]))"));
        a.value("(def greeting-list (let [n 3] (proxy [java.util.AbstractList] []"
            + " (get [i] (str \"item \" i)) (size [] n))))");
        assertEquals("[3 \"item 1\" [\"item 0\" \"item 1\" \"item 2\"]]",
            b.value("[(.size greeting-list) (.get greeting-list 1) (vec greeting-list)]"));
        alsoOnALateJoiner("(count greeting-list)", "3");
        // proxy defines one class for a superclass and interfaces, the first time; a proxy of
        // the same classes in a later evaluation creates its instances by that class's name.
        a.value("(defn numbered-list [n] (proxy [java.util.AbstractList] [] (get [i] i) (size [] n)))");
        assertEquals("[[0 1] true]", b.value("[(vec (numbered-list 2)) (= (class greeting-list) (class (numbered-list 2)))]"));
        assertEquals("[\"b\"]", b.value("(vec (proxy [java.util.AbstractList] [] (get [i] \"b\") (size [] 1)))"));
        assertFalse(b.allErr().contains("not on this member's classpath"), b.allErr());
        alsoOnALateJoiner("(vec (numbered-list 3))", "[0 1 2]");
    }
}
