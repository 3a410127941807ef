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
        assertFalse(Overwritten.takesAway(OWN, "(def x :theirs)", OWN, "(def x :own)"));
        // Or a newer one than it: its writer saw this one, or one after it.
        assertFalse(Overwritten.takesAway(new Stamp(3, 5), "(def x :theirs)", OWN, "(def x :own)"));
    }

    @Test
    void aRecordMadeWithoutSeeingThisMembersDefinitionTakesItAway() {
        // Of the same version, from the version before (a split: both sides changed it once).
        assertTrue(Overwritten.takesAway(new Stamp(1, 7), "(def x :theirs)", OWN, "(def x :own)"));
        // Newer, from the other side's record of this one's version (the other side changed it twice).
        assertTrue(Overwritten.takesAway(new Stamp(2, 222), "(def x :theirs)", OWN, "(def x :own)"));
        // A first definition on both sides.
        assertTrue(Overwritten.takesAway(Known.NEVER, "(def x :theirs)", new Stamp(1, 9), "(def x :own)"));
        // Of no source text to compare.
        assertTrue(Overwritten.takesAway(new Stamp(1, 7), null, OWN, null));
    }

    @Test
    void aRecordOfTheSameSourceTextTakesNothingAway() {
        assertFalse(Overwritten.takesAway(new Stamp(1, 7), "(defn f [] 1)", OWN, "(defn f [] 1)"));
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
