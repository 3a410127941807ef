package entangle.unit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
    void linksAndADefinitionsIdArePartOfTheUnit() throws Exception {
        String protocolUnit = "ab".repeat(32);
        Unit linked = Unit.of(null, CLASSES, java.util.Map.of("user.Shape", protocolUnit), "");
        Unit back = Unit.decode(linked.hash(), linked.encoded());
        assertEquals(protocolUnit, back.linkedUnit("user.Shape"));
        assertNull(back.linkedUnit("user.Other"));
        assertNotEquals(Unit.of(null, CLASSES).hash(), linked.hash());
        // The same bytes evaluated twice: two definitions, two units.
        List<Defined> type = List.of(new Defined("user.Shape", new byte[] {7}));
        Unit first = Unit.of(null, type, java.util.Map.of(), "evaluation-1");
        assertNotEquals(first.hash(), Unit.of(null, type, java.util.Map.of(), "evaluation-2").hash());
        assertEquals(first.hash(), Unit.decode(first.hash(), first.encoded()).hash());
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

    /**
     * Whether a class from a unit has instance fields is read from its bytes (a fn that
     * captured nothing is made without reflection): static fields, with attributes, are not
     * instance fields; an instance field after them is found.
     */
    @Test
    void instanceFieldsAreFoundInTheBytesOfAUnitsClasses() throws Exception {
        List<Defined> classes = List.of(
            new Defined("t.NoFields", classBytes("t.NoFields", false, 0, false)),
            new Defined("t.Statics", classBytes("t.Statics", true, 3, false)),
            new Defined("t.StaticsThenInstance", classBytes("t.StaticsThenInstance", true, 3, true)),
            new Defined("t.Instance", classBytes("t.Instance", false, 0, true)));
        Unit u = Unit.of(null, classes);
        // The unit is given, as a var record carries it: the store's map is never read.
        Units units = new Units(new UnitStore(null, m -> {}));
        java.util.Map<String, RefusedException> refused = new java.util.HashMap<>();
        List<Object> held = units.prefetch(List.of(u.hash()), java.util.Map.of(u.hash(), u.encoded()), refused);
        assertTrue(refused.isEmpty(), refused.toString());
        assertTrue(Units.declaresNoInstanceFields(units.resolve(u.hash(), "t.NoFields")));
        assertTrue(Units.declaresNoInstanceFields(units.resolve(u.hash(), "t.Statics")));
        assertFalse(Units.declaresNoInstanceFields(units.resolve(u.hash(), "t.StaticsThenInstance")));
        assertFalse(Units.declaresNoInstanceFields(units.resolve(u.hash(), "t.Instance")));
        // Not a class from a unit: nothing to read, so no claim.
        assertFalse(Units.declaresNoInstanceFields(String.class));
        held.clear(); // the unit's loader, held until here: Units keeps it weakly
    }

    /**
     * A class implementing two interfaces, with {@code statics} static final fields
     * (each with a constant, and a Deprecated attribute too if {@code attributes}) and maybe an instance field.
     */
    private static byte[] classBytes(String name, boolean attributes, int statics, boolean instance) {
        clojure.asm.ClassWriter w = new clojure.asm.ClassWriter(0);
        w.visit(clojure.asm.Opcodes.V1_8, clojure.asm.Opcodes.ACC_PUBLIC | clojure.asm.Opcodes.ACC_SUPER,
                name.replace('.', '/'), null, "java/lang/Object", new String[] {"java/io/Serializable", "java/lang/Runnable"});
        for (int i = 0; i < statics; i++) {
            clojure.asm.FieldVisitor f = w.visitField(clojure.asm.Opcodes.ACC_STATIC | clojure.asm.Opcodes.ACC_FINAL
                | (attributes ? clojure.asm.Opcodes.ACC_DEPRECATED : 0), "s" + i, "J", null, (long) i);
            f.visitEnd();
        }
        if (instance) w.visitField(clojure.asm.Opcodes.ACC_PRIVATE, "captured", "Ljava/lang/Object;", null, null).visitEnd();
        w.visitEnd();
        return w.toByteArray();
    }
}
