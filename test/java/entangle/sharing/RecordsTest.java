package entangle.sharing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import entangle.RefusedException;

class RecordsTest {
    private static final Origin ORIGIN = new Origin("member-1", "127.0.0.1:5701", 1_700_000_000_000L);

    private static VarRecord var(long version) {
        return new VarRecord(VarRecord.Kind.VALUE, "my.ns", "f", version, ORIGIN, true, new byte[] {9},
                             new byte[] {1, 2, 3}, List.of("aa", "bb"), List.of(new byte[] {4}, new byte[] {5, 6}), null,
                             "(defn f [] 1) ; é");
    }

    @Test
    void aNamedClassBelongsToTheNamespaceItsNameStartsWith() {
        clojure.java.api.Clojure.var("clojure.core", "demunge"); // Clojure's runtime loads its compiler, not the reverse
        assertEquals("my-app.core", ClassRecord.namespaceOf("my_app.core.Point"));
        assertEquals("user", ClassRecord.namespaceOf("user.proxy$java.lang.Object$ff19274a"));
        assertEquals("my-app.core", ClassRecord.namespaceOf("my_app.core.proxy$java.util.AbstractList$Runnable$7a1c2b3d"));
        // Not named: code refers to fn classes and compile stubs through their vars, not by name.
        assertNull(ClassRecord.namespaceOf("my_app.core$f"));
        assertNull(ClassRecord.namespaceOf("my_app.core$eval123$fn__124"));
        assertNull(ClassRecord.namespaceOf("compile__stub.my_app.core.Point"));
        assertNull(ClassRecord.namespaceOf("Point"));
    }

    @Test
    void aVarRecordRoundTrips() throws Exception {
        VarRecord r = VarRecord.decode("my.ns/f", var(7).encode());
        assertEquals(7, r.version());
        assertEquals(ORIGIN, r.origin());
        assertArrayEquals(new byte[] {1, 2, 3}, r.value());
        assertEquals(List.of("aa", "bb"), r.units());
        assertArrayEquals(new byte[] {5, 6}, r.unitBytes().get(1));
        assertEquals("(defn f [] 1) ; é", r.source());
        assertEquals(true, r.dynamic());
        assertEquals(6, r.base());
        assertEquals(List.of(), r.after());
        assertEquals(0, r.baseDigest());
        VarRecord calling = new VarRecord(VarRecord.Kind.VALUE, "my.ns", "g", 2, 1, ORIGIN, false, null, null, List.of(),
                                          List.of(), null, null, List.of("my.ns/f", "other.ns/h"), -42L);
        VarRecord read = VarRecord.decode("my.ns/g", calling.encode());
        assertEquals(List.of("my.ns/f", "other.ns/h"), read.after());
        assertEquals(-42L, read.baseDigest());
        assertEquals(-42L, VarRecord.decode("my.ns/g", read.withVersion(5).encode()).baseDigest());
    }

    @Test
    void aRecordSealedWithASecretsKeyOpensOnlyWithThatKey() throws Exception {
        byte[] key = new byte[32];
        byte[] otherKey = new byte[32];
        otherKey[0] = 1;
        byte[] plain = var(3).encode();
        byte[] sealed;
        try {
            Envelope.sealWith(key);
            sealed = var(3).encode();
            assertEquals(3, VarRecord.decode("my.ns/f", sealed).version());
            assertEquals(9, VarRecord.decode("my.ns/f", Envelope.restamp(sealed, 9)).version());
            String refused = "#'my.ns/f was refused: its record does not match its checksum (corrupted, tampered, or"
                + " written without this cluster's secret)";
            assertEquals(refused, assertThrows(RefusedException.class, () -> VarRecord.decode("my.ns/f", plain)).getMessage());
            Envelope.sealWith(otherKey);
            assertEquals(refused, assertThrows(RefusedException.class, () -> VarRecord.decode("my.ns/f", sealed)).getMessage());
        } finally {
            Envelope.sealWith(null);
        }
        assertEquals("#'my.ns/f was refused: its record does not match its checksum (corrupted or tampered)",
                     assertThrows(RefusedException.class, () -> VarRecord.decode("my.ns/f", sealed)).getMessage());
        assertEquals(3, VarRecord.decode("my.ns/f", plain).version());
    }

    @Test
    void restampingKeepsTheBaseARecordWasMadeFrom() throws Exception {
        byte[] stamped = Envelope.restamp(var(5).encode(), 9);
        assertEquals(4, VarRecord.decode("my.ns/f", stamped).base());
        NamespaceRecord ns = new NamespaceRecord(NamespaceRecord.Kind.SHARED, "my.ns", 5, 2, ORIGIN, null, Map.of(),
                                                 Map.of(), Map.of(), false);
        assertEquals(2, NamespaceRecord.decode("my.ns", Envelope.restamp(ns.encode(), 9)).base());
    }

    @Test
    void aClasspathNamespacesRecordSaysWhetherItsWriterReloadedIt() throws Exception {
        for (boolean reloaded : new boolean[] {true, false}) {
            NamespaceRecord ns = new NamespaceRecord(NamespaceRecord.Kind.CLASSPATH, "my.lib", 5, 4, ORIGIN, null,
                                                     Map.of(), Map.of(), Map.of(), reloaded);
            assertEquals(reloaded, NamespaceRecord.decode("my.lib", Envelope.restamp(ns.encode(), 9)).reloaded());
        }
    }

    @Test
    void restampingChangesTheVersionAndKeepsTheRecordValid() throws Exception {
        byte[] stamped = Envelope.restamp(var(0).encode(), 42);
        assertEquals(42, Envelope.version(stamped));
        assertEquals(42, VarRecord.decode("my.ns/f", stamped).version());
    }

    @Test
    void everyChangedByteIsRefused() {
        byte[] good = var(3).encode();
        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 1;
            assertThrows(RefusedException.class, () -> VarRecord.decode("my.ns/f", bad), "byte " + i);
        }
    }

    @Test
    void aRecordUnderAnotherVarsKeyIsRefused() {
        RefusedException e = assertThrows(RefusedException.class, () -> VarRecord.decode("my.ns/g", var(1).encode()));
        assertEquals("#'my.ns/g was refused: its record is malformed (it names #'my.ns/f)", e.getMessage());
    }

    @Test
    void aNamespaceRecordIsNotAVarRecord() {
        byte[] ns = new NamespaceRecord(NamespaceRecord.Kind.SHARED, "my.ns", 1, ORIGIN, null, Map.of(), Map.of(), Map.of())
            .encode();
        RefusedException e = assertThrows(RefusedException.class, () -> VarRecord.decode("my.ns/f", ns));
        assertEquals("#'my.ns/f was refused: its record is not in a format this member reads", e.getMessage());
    }

    @Test
    void aNamespaceRecordRoundTrips() throws Exception {
        NamespaceRecord r = new NamespaceRecord(NamespaceRecord.Kind.SHARED, "my.web", 3, ORIGIN, new byte[] {5},
            Map.of("str", "clojure.string"), Map.of("map", "clojure.core/map"), Map.of("Date", "java.util.Date"));
        NamespaceRecord back = NamespaceRecord.decode("my.web", r.encode());
        assertEquals(r.aliases(), back.aliases());
        assertEquals(r.refers(), back.refers());
        assertEquals(r.imports(), back.imports());
        assertEquals(3, back.version());
    }

    @Test
    void aRecordTakesThePlaceOfAnOlderOneAndFromTheMapsOfAnotherOfItsVersion() {
        Stamp known = Stamp.of(var(3).encode());
        Stamp newer = Stamp.of(var(4).encode());
        Stamp sameVersionOtherRecord = Stamp.of(new VarRecord(VarRecord.Kind.UNBOUND, "my.ns", "f", 3, ORIGIN, false, null,
                                                              null, List.of(), List.of(), null, null).encode());
        assertEquals(true, newer.replaces(known, false));
        assertEquals(false, known.replaces(newer, true));
        assertEquals(false, sameVersionOtherRecord.replaces(known, false), "a hand-off keeps what came first");
        assertEquals(true, sameVersionOtherRecord.replaces(known, true), "the map's record of a version is the one written");
        assertEquals(false, known.replaces(known, true));
        assertEquals(true, known.replaces(Stamp.NONE, false));
    }
}
