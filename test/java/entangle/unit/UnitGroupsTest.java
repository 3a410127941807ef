package entangle.unit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import entangle.RefusedException;
import entangle.hook.CapturedClasses.Defined;

/**
 * Sibling units of fns read together (a loaded file, as a joining member reads it) share a
 * loader, and no class can tell: each name still resolves in its own unit, and units that
 * could see each other's classes by name keep loaders of their own. Classes made with ASM,
 * units given as a var record carries them (the store's map is never read).
 */
class UnitGroupsTest {
    private static final String FN = "clojure/lang/AFunction";

    @Test
    void siblingFnUnitsShareALoaderUnlessAClassCouldSeeAnothersByName() throws Exception {
        Unit parent = Unit.of(null, List.of(new Defined("g.file", classBytes("g.file", "java/lang/Object", null))));
        Unit a = fnUnit(parent, "g.ns$a", null);
        Unit b = fnUnit(parent, "g.ns$b", null);
        Unit c = Unit.of(parent.hash(), List.of(new Defined("g.ns$c", classBytes("g.ns$c", "clojure/lang/RestFn", null)),
                                                new Defined("g.ns$c$fn__1", classBytes("g.ns$c$fn__1", FN, null))));
        Unit sameName1 = fnUnit(parent, "g.ns$twice", null);
        Unit sameName2 = Unit.of(parent.hash(), List.of(
            new Defined("g.ns$twice", classBytes("g.ns$twice", FN, "g.ns$other"))));
        Unit namesA = fnUnit(parent, "g.ns$direct", "g.ns$a"); // a direct-linked call names a's class
        Unit type = Unit.of(parent.hash(), List.of(new Defined("g.ns.Point", classBytes("g.ns.Point", "java/lang/Object", null))));
        Units units = new Units(new UnitStore(null, m -> {}));
        List<Object> held = prefetch(units, parent, a, b, c, sameName1, sameName2, namesA, type);

        Class<?> ca = units.resolve(a.hash(), "g.ns$a");
        Class<?> cb = units.resolve(b.hash(), "g.ns$b");
        Class<?> cc = units.resolve(c.hash(), "g.ns$c");
        assertSame(ca.getClassLoader(), cb.getClassLoader());
        assertSame(ca.getClassLoader(), cc.getClassLoader());
        assertSame(cc.getClassLoader(), units.resolve(c.hash(), "g.ns$c$fn__1").getClassLoader());
        Class<?> t1 = units.resolve(sameName1.hash(), "g.ns$twice");
        Class<?> t2 = units.resolve(sameName2.hash(), "g.ns$twice");
        Class<?> direct = units.resolve(namesA.hash(), "g.ns$direct");
        Class<?> point = units.resolve(type.hash(), "g.ns.Point");
        List<ClassLoader> alone = List.of(t1.getClassLoader(), t2.getClassLoader(), direct.getClassLoader(), point.getClassLoader());
        for (int i = 0; i < alone.size(); i++) {
            assertNotSame(ca.getClassLoader(), alone.get(i));
            for (int j = i + 1; j < alone.size(); j++) assertNotSame(alone.get(i), alone.get(j));
        }
        assertNotSame(t1, t2);
        // Each class belongs to its own unit, nested in the file's.
        assertEquals(List.of(a.hash(), parent.hash()), hashes(units.unitsOf(ca)));
        assertEquals(List.of(c.hash(), parent.hash()), hashes(units.unitsOf(cc)));
        assertEquals(List.of(sameName2.hash(), parent.hash()), hashes(units.unitsOf(t2)));
        // The shared loader answers for its own units' names, and the parent unit's.
        assertSame(units.resolve(parent.hash(), "g.file"), Class.forName("g.file", false, ca.getClassLoader()));
        RefusedException e = assertThrows(RefusedException.class, () -> units.resolve(a.hash(), "g.ns$b"));
        assertTrue(e.getMessage().contains("does not define g.ns$b"), e.getMessage());
        held.clear();
    }

    /** A unit nested in one that shares a loader sees that unit's classes, not its loader-mates'. */
    @Test
    void aUnitNestedInASharingUnitSeesOnlyItsOwnChain() throws Exception {
        Unit a = fnUnit(null, "n.ns$a", null);
        Unit b = fnUnit(null, "n.ns$b", null);
        Unit child = Unit.of(a.hash(), List.of(new Defined("n.ns$a$fn__7", classBytes("n.ns$a$fn__7", FN, null))));
        Units units = new Units(new UnitStore(null, m -> {}));
        List<Object> held = prefetch(units, a, b, child);
        Class<?> ca = units.resolve(a.hash(), "n.ns$a");
        assertSame(ca.getClassLoader(), units.resolve(b.hash(), "n.ns$b").getClassLoader());
        ClassLoader childLoader = units.resolve(child.hash(), "n.ns$a$fn__7").getClassLoader();
        assertNotSame(ca.getClassLoader(), childLoader);
        assertSame(ca, Class.forName("n.ns$a", false, childLoader));
        // Alone, b's loader would never have been asked: neither is the loader a shares with b.
        assertThrows(ClassNotFoundException.class, () -> Class.forName("n.ns$b", false, childLoader));
        assertEquals(List.of(child.hash(), a.hash()), hashes(units.unitsOf(units.resolve(child.hash(), "n.ns$a$fn__7"))));
        held.clear();
    }

    /**
     * Bytes that are not a class (as a writer made them, so their hash holds) stop nothing:
     * their unit keeps a loader of its own, and is refused when used.
     */
    @Test
    void aUnitWhoseBytesAreNotAClassIsLeftToALoaderOfItsOwn() throws Exception {
        Unit a = fnUnit(null, "x.ns$a", null);
        Unit b = fnUnit(null, "x.ns$b", null);
        Unit cut = Unit.of(null, List.of(new Defined("x.ns$cut", java.util.Arrays.copyOf(classBytes("x.ns$cut", FN, null), 30))));
        Units units = new Units(new UnitStore(null, m -> {}));
        List<Object> held = prefetch(units, a, b, cut);
        assertSame(units.resolve(a.hash(), "x.ns$a").getClassLoader(), units.resolve(b.hash(), "x.ns$b").getClassLoader());
        assertThrows(ClassFormatError.class, () -> units.resolve(cut.hash(), "x.ns$cut"));
        held.clear();
    }

    @Test
    void groupsAreBoundedAndNeedTwoUnits() {
        List<Unit> many = new ArrayList<>();
        for (int i = 0; i < UnitGroups.MAX_UNITS + 3; i++) many.add(fnUnit(null, "m.ns$f" + i, null));
        List<List<Unit>> groups = UnitGroups.of(many);
        assertEquals(List.of(UnitGroups.MAX_UNITS, 3), groups.stream().map(List::size).toList());
        assertEquals(List.of(), UnitGroups.of(List.of(many.get(0))));
    }

    private static List<Object> prefetch(Units units, Unit... given) {
        Map<String, byte[]> carried = new LinkedHashMap<>();
        for (Unit u : given) carried.put(u.hash(), u.encoded());
        Map<String, RefusedException> refused = new HashMap<>();
        List<Object> held = units.prefetch(carried.keySet(), carried, refused);
        assertTrue(refused.isEmpty(), refused.toString());
        return held;
    }

    private static List<String> hashes(List<Unit> units) {
        return units.stream().map(Unit::hash).toList();
    }

    private static Unit fnUnit(Unit parent, String name, String names) {
        return Unit.of(parent == null ? null : parent.hash(), List.of(new Defined(name, classBytes(name, FN, names))));
    }

    /** A class of {@code superName}; with a static field of class {@code names}, if given, so that its bytes name that class. */
    private static byte[] classBytes(String name, String superName, String names) {
        clojure.asm.ClassWriter w = new clojure.asm.ClassWriter(0);
        w.visit(clojure.asm.Opcodes.V1_8, clojure.asm.Opcodes.ACC_PUBLIC | clojure.asm.Opcodes.ACC_SUPER,
                name.replace('.', '/'), null, superName, null);
        if (names != null) {
            w.visitField(clojure.asm.Opcodes.ACC_STATIC, "other", "L" + names.replace('.', '/') + ";", null, null).visitEnd();
        }
        w.visitEnd();
        return w.toByteArray();
    }
}
