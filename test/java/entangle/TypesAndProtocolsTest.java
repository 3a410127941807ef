package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
    }
}
