package entangle.sharing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

/** Which records take away a definition this member made, and the line that tells of them. */
class OverwrittenTest {
    /** This member's own record of the var: version 2, its own digest. */
    private static final Stamp OWN = new Stamp(2, 111);

    @Test
    void aRecordWhoseWriterChangedThisMembersDefinitionTakesNothingAway() {
        assertFalse(Overwritten.takesAway(OWN, "(def x :theirs)", own(OWN, "(def x :own)")));
        // Or a newer one than it: its writer saw this one, or one after it.
        assertFalse(Overwritten.takesAway(new Stamp(3, 5), "(def x :theirs)", own(OWN, "(def x :own)")));
    }

    @Test
    void aRecordMadeWithoutSeeingThisMembersDefinitionTakesItAway() {
        // Of the same version, from the version before (a split: both sides changed it once).
        assertTrue(Overwritten.takesAway(new Stamp(1, 7), "(def x :theirs)", own(OWN, "(def x :own)")));
        // Newer, from the other side's record of this one's version (the other side changed it twice).
        assertTrue(Overwritten.takesAway(new Stamp(2, 222), "(def x :theirs)", own(OWN, "(def x :own)")));
        // A first definition on both sides.
        assertTrue(Overwritten.takesAway(Known.NEVER, "(def x :theirs)", own(new Stamp(1, 9), "(def x :own)")));
        // Of no source text to compare.
        assertTrue(Overwritten.takesAway(new Stamp(1, 7), null, own(OWN, null)));
    }

    @Test
    void aRecordWhoseWriterSawThisMembersHandOffBeforeItsWriteWasGivenAnotherVersionTakesNothingAway() {
        // Handed off as version 2, written as version 5 (two other writes landed first).
        Overwritten.Own restamped = new Overwritten.Own(new Stamp(5, 555), OWN, "(def x :own)");
        assertFalse(Overwritten.takesAway(OWN, "(def x :theirs)", restamped));
        assertTrue(Overwritten.takesAway(new Stamp(2, 222), "(def x :theirs)", restamped));
        assertTrue(Overwritten.takesAway(new Stamp(4, 7), "(def x :theirs)", restamped));
    }

    @Test
    void aRecordOfTheSameSourceTextTakesNothingAway() {
        assertFalse(Overwritten.takesAway(new Stamp(1, 7), "(defn f [] 1)", own(OWN, "(defn f [] 1)")));
    }

    @Test
    void whatIsToldIsWhatHoldsTheVarWhenTheLineIsMade() throws Exception {
        java.util.concurrent.BlockingQueue<String> told = new java.util.concurrent.LinkedBlockingQueue<>();
        // Of x, the member that replaced it is told; y holds a definition made from this
        // member's now; z holds another member's than the one noted.
        Overwritten overwritten = new Overwritten(told::add, Runnable::run, (key, own, noted) ->
            key.equals("user/x") ? noted : key.equals("user/z") ? "m:3" : null);
        Overwritten.Own own = own(OWN, "(def v :own)");
        overwritten.note("user/x", "#'user/x", own, "m:1");
        overwritten.note("user/y", "#'user/y", own, "m:1");
        overwritten.note("user/z", "#'user/z", own, "m:1");
        assertEquals(Overwritten.line(List.of("#'user/x"), "m:1"), told.poll(10, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(Overwritten.line(List.of("#'user/z"), "m:3"), told.poll(10, java.util.concurrent.TimeUnit.SECONDS));
        assertEquals(null, told.poll(1_500, java.util.concurrent.TimeUnit.MILLISECONDS));
    }

    private static Overwritten.Own own(Stamp stamp, String source) {
        return new Overwritten.Own(stamp, null, source);
    }

    @Test
    void theLineNamesTheVarsAndTheMemberWhoseDefinitionsReplacedThem() {
        assertEquals("#'user/x: the definition made here was replaced by member 127.0.0.1:5702's, made without"
                     + " seeing it (at the same moment, or while the two members were apart); evaluate it again to"
                     + " make it the cluster's.", Overwritten.line(List.of("#'user/x"), "127.0.0.1:5702"));
        assertEquals("#'a/b, #'a/c and #'a/d: the definitions made here were replaced by member m:1's, made without"
                     + " seeing them (at the same moment, or while the two members were apart); evaluate them again"
                     + " to make them the cluster's.", Overwritten.line(List.of("#'a/b", "#'a/c", "#'a/d"), "m:1"));
        assertTrue(Overwritten.line(List.of("#'a/1", "#'a/2", "#'a/3", "#'a/4", "#'a/5", "#'a/6", "#'a/7"), "m:1")
                       .startsWith("#'a/1, #'a/2, #'a/3, #'a/4, #'a/5 and 2 more: the definitions made here were"));
    }
}
