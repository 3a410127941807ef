package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import entangle.testing.ReplProcess;
import entangle.testing.ReplProcess.Result;
import entangle.testing.TwoMembers;

/** A value that cannot travel warns on the member that keeps it and fails clearly elsewhere. */
class UnshareableTest extends TwoMembers {

    @Test
    void aServerSocketStaysOnItsMemberWithAWarningAndFailsClearlyElsewhere() {
        Result defined = a.eval("(def server (java.net.ServerSocket. 0))");
        assertEquals("#'user/server", defined.value());
        assertEquals("entangle: #'user/server holds a java.net.ServerSocket, which cannot be shared with other"
            + " members, so it stays on this member only; mark it local with (def ^:entangle/local server ...)"
            + " or compute it on each member.", defined.err());
        assertEquals("true", a.value("(.isBound server)"));

        String expected = "#'user/server holds a java.net.ServerSocket on member " + addressOfA()
            + ", which cannot be shared with other members; mark it local with (def ^:entangle/local server ...)"
            + " or compute it on each member.";
        for (String use : new String[] {"server", "(.isBound server)", "(str server)", "(server)", "@server"}) {
            Result r = b.eval(use);
            assertTrue(r.err().contains(expected), use + " on b printed:\n" + r.err());
            // The error is the sentence's, with its data; where code used the value, the REPL
            // places the error there (a bare var is refused by entangle's eval, once it returned:
            // the REPL's own place, not entangle's code).
            String at = use.equals("server") ? "Execution error (ExceptionInfo) at (REPL:1)."
                : "Execution error (ExceptionInfo) at user/eval";
            assertTrue(r.err().startsWith(at), use + " on b printed:\n" + r.err());
            assertEquals("\"#'user/server\"", b.value("(:entangle/var (ex-data *e))"), use);
        }
        assertEquals("3", a.value("(+ 1 2)"));
        assertEquals("3", b.value("(+ 1 2)"));
    }

    @Test
    void aClassOfTheClasspathTravelsBetweenMembersThatNameIt() {
        // java.awt.Point stands for a Java host's own Serializable class, on every classpath.
        Result r = a.eval("(def corner (java.awt.Point. 1 2))");
        assertEquals("entangle: #'user/corner holds a java.awt.Point (a JDK class that is not among the value types a"
            + " shared value may hold, and -Dentangle.shareable.classes does not name), which cannot be shared with other members, so it stays"
            + " on this member only; mark it local with (def ^:entangle/local corner ...) or compute it on each"
            + " member.", r.err());
        List<String> naming = List.of("-J-Dentangle.shareable.classes=java.awt.Point");
        ReplProcess c = cluster.start("c", naming);
        ReplProcess d = cluster.start("d", naming);
        try {
            Result defined = c.eval("(def origin {:at (java.awt.Point. 3 4)})");
            assertEquals("#'user/origin", defined.value());
            assertEquals("", defined.err());
            assertEquals("[java.awt.Point 4.0]", d.value("[(class (:at origin)) (.getY (:at origin))]"));
            // A member that does not name it refuses the definition, saying why.
            Result onB = b.eval("(resolve 'origin)");
            assertEquals("nil", onB.value());
            assertTrue(onB.err().contains("entangle: #'user/origin from member "
                + c.value("(first (entangle.core/members))").replace("\"", "") + " was refused: it holds a"
                + " java.awt.Point, which a shared value may not contain (a JDK class that is not among the value types"
                + " a shared value may hold, and this member's -Dentangle.shareable.classes does not name); nothing was defined from it."), onB.err());
        } finally {
            c.close();
            d.close();
        }
    }

    @Test
    void anUnshareableValueDeepInsideDataIsNamedByItsType() {
        Result r = a.eval("(def settings {:port 80 :listener {:socket (java.net.ServerSocket. 0)}})");
        assertTrue(r.err().contains("#'user/settings holds a java.net.ServerSocket"), r.err());
        Result onB = b.eval("(:port settings)");
        assertTrue(onB.err().contains("#'user/settings holds a java.net.ServerSocket on member " + addressOfA()),
                   onB.err());
    }

    @Test
    void dataNestedTooDeeplyToSerializeStaysOnItsMemberWithAWarning() {
        Result r = a.eval("(def tower (reduce (fn [v _] [v]) [:bottom] (range 20000)))");
        assertEquals("#'user/tower", r.value());
        assertTrue(r.err().contains("#'user/tower holds a clojure.lang.PersistentVector (it is nested too deeply to"
            + " serialize), which cannot be shared"), r.err());
        assertEquals("[:bottom]", a.value("(nth (iterate first tower) 20000)"));
        Result onB = b.eval("(first tower)");
        assertTrue(onB.err().contains("#'user/tower holds a clojure.lang.PersistentVector on member " + addressOfA()),
                   onB.err());
    }

    @Test
    void markedLocalItIsNeverShippedAndNeverWarned() {
        Result r = a.eval("(def ^:entangle/local local-socket (java.net.ServerSocket. 0))");
        assertEquals("", r.err());
        Result onB = b.eval("(resolve 'local-socket)");
        assertEquals("nil", onB.value());
        // Computed on each member, it is each member's own.
        b.value("(def ^:entangle/local local-socket (java.net.ServerSocket. 0))");
        assertEquals("true", a.value("(.isBound local-socket)"));
        assertEquals("true", b.value("(.isBound local-socket)"));
        assertTrue(!a.value("(.getLocalPort local-socket)").equals(b.value("(.getLocalPort local-socket)")));
    }

    @Test
    void redefiningItWithAShareableValueMakesItWorkEverywhereAgain() {
        a.eval("(def resource (java.net.ServerSocket. 0))");
        assertTrue(b.eval("resource").err().contains("#'user/resource holds a java.net.ServerSocket"));
        a.value("(def resource {:url \"http://localhost\"})");
        assertEquals("{:url \"http://localhost\"}", b.value("resource"));
    }

    @Test
    void aVarMadeFromAnotherMembersValueNamesThatValuesTypeAndWhereItStays() {
        a.eval("(def origin-socket (java.net.ServerSocket. 0))");
        String stays = "(the value of #'user/origin-socket, which stays on member " + addressOfA() + ")";
        Result pair = b.eval("(def pair [1 origin-socket])");
        assertEquals("#'user/pair", pair.value());
        assertEquals("entangle: #'user/pair holds a java.net.ServerSocket " + stays + ", which cannot be shared with"
            + " other members, so it stays on this member only; mark it local with (def ^:entangle/local pair ...)"
            + " or compute it on each member.", pair.err());
        Result same = b.eval("(def same-socket origin-socket)");
        assertTrue(same.err().contains("#'user/same-socket holds a java.net.ServerSocket " + stays), same.err());
    }

    @Test
    void insideOtherDataItPrintsAsOneShortForm() {
        a.eval("(def printed-socket (java.net.ServerSocket. 0))");
        String form = "#<unshared #'user/printed-socket: java.net.ServerSocket on member " + addressOfA() + ">";
        // What println printed, then its value.
        assertEquals("[" + form + "]\nnil", b.eval("(println [printed-socket])").out());
        assertEquals(form + "\nnil", b.eval("(println (try printed-socket (catch Exception e 1)))").out());
        assertEquals("\"{:s " + form + "}\"", b.value("(pr-str {:s printed-socket})"));
        assertEquals("\"[" + form + "]\"", b.value("(binding [*print-dup* true] (pr-str [printed-socket]))"));
        // Used, it still fails with the sentence.
        assertTrue(b.eval("printed-socket").err().contains("#'user/printed-socket holds a java.net.ServerSocket"));
    }

    @Test
    void whenItsMemberHasLeftEveryMemberSaysTheValueIsGone() throws InterruptedException {
        ReplProcess holder = cluster.start("holder");
        ReplProcess successor = null;
        try {
            String address = holder.eval("(first (entangle.core/members))").value().replace("\"", "");
            holder.eval("(def gone-socket (java.net.ServerSocket. 0))");
            assertTrue(b.eval("gone-socket").err().contains("#'user/gone-socket holds a java.net.ServerSocket on member "
                + address + ", which cannot be shared"));
            holder.kill9();
            b.awaitValue("(count (entangle.core/members))", "2");

            String gone = "#'user/gone-socket held a java.net.ServerSocket on member " + address + ", which has left the"
                + " cluster: the value is gone, as it could not be shared with other members; mark it local with"
                + " (def ^:entangle/local gone-socket ...) or compute it on each member.";
            for (String use : new String[] {"gone-socket", "@gone-socket", "(.isBound gone-socket)"}) {
                Result r = b.eval(use);
                assertTrue(r.err().contains(gone), use + " on b printed:\n" + r.err());
            }
            assertEquals("[#<unshared #'user/gone-socket: java.net.ServerSocket, gone with member " + address + ">]\nnil",
                         b.eval("(println [gone-socket])").out());
            Result copy = b.eval("(def gone-copy [gone-socket])");
            assertTrue(copy.err().contains("#'user/gone-copy holds a java.net.ServerSocket (the value of"
                + " #'user/gone-socket, gone with member " + address + " when it left the cluster)"), copy.err());

            // A member that joins later may take the holder's address; it is not the holder.
            successor = cluster.start("successor");
            assertEquals(address, successor.eval("(first (entangle.core/members))").value().replace("\"", ""));
            // It says so: else the value would seem to have been its own.
            Result r = successor.eval("gone-socket");
            assertTrue(r.err().contains(gone.replace(address + ",", address + " (an earlier member at this member's"
                + " address),")), "on the successor:\n" + r.err());
            assertTrue(b.eval("gone-socket").err().contains(gone));
        } finally {
            holder.close();
            if (successor != null) successor.close();
        }
    }
}
