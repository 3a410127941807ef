package entangle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

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
}
