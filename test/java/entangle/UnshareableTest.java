package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

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
        }
        assertEquals("3", a.value("(+ 1 2)"));
        assertEquals("3", b.value("(+ 1 2)"));
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
}
