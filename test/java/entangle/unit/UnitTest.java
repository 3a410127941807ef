package entangle.unit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

import entangle.RefusedException;
import entangle.hook.CapturedClasses.Defined;

class UnitTest {
    private static final List<Defined> CLASSES = List.of(
        new Defined("user$f", new byte[] {1, 2, 3}), new Defined("user$f$fn__12", new byte[] {4, 5}));

    @Test
    void aUnitIsAddressedByItsContent() throws Exception {
        Unit u = Unit.of(null, CLASSES);
        assertEquals(64, u.hash().length());
        assertEquals(u.hash(), Unit.of(null, CLASSES).hash());
        Unit back = Unit.decode(u.hash(), u.encoded());
        assertEquals(List.copyOf(u.classNames()), List.copyOf(back.classNames()));
        assertArrayEquals(new byte[] {4, 5}, back.classBytes("user$f$fn__12"));
        assertNull(back.parent());
    }

    @Test
    void sameNamesWithOtherBytesOrAnotherParentAreAnotherUnit() {
        Unit u = Unit.of(null, CLASSES);
        Unit other = Unit.of(null, List.of(new Defined("user$f", new byte[] {1, 2, 4}), CLASSES.get(1)));
        Unit nested = Unit.of(u.hash(), CLASSES);
        assertNotEquals(u.hash(), other.hash());
        assertNotEquals(u.hash(), nested.hash());
        assertEquals(u.hash(), nested.parent());
    }

    @Test
    void aNameDefinedTwiceKeepsTheLaterClass() throws Exception {
        Unit u = Unit.of(null, List.of(new Defined("user$f", new byte[] {1}), new Defined("user$f", new byte[] {2})));
        assertArrayEquals(new byte[] {2}, Unit.decode(u.hash(), u.encoded()).classBytes("user$f"));
    }

    @Test
    void everyChangedByteIsRefused() {
        Unit u = Unit.of(null, CLASSES);
        for (int i = 0; i < u.encoded().length; i++) {
            byte[] bad = u.encoded().clone();
            bad[i] ^= 1;
            RefusedException e = assertThrows(RefusedException.class, () -> Unit.decode(u.hash(), bad));
            assertEquals("unit " + u.hash().substring(0, 12)
                + " was refused: its bytes do not match their SHA-256 (corrupted or tampered)", e.getMessage());
        }
    }

    @Test
    void aMissingUnitIsNamed() {
        RefusedException e = assertThrows(RefusedException.class, () -> Unit.decode("ab".repeat(32), null));
        assertTrue(e.getMessage().contains("is missing from the cluster"), e.getMessage());
    }

    @Test
    void bytesThatHashRightButAreNotAUnitAreRefused() {
        byte[] junk = "junk".getBytes();
        RefusedException e = assertThrows(RefusedException.class, () -> Unit.decode(ContentHash.hex(junk), junk));
        assertTrue(e.getMessage().contains("is not in a format this member reads")
                   || e.getMessage().contains("is malformed"), e.getMessage());
    }
}
