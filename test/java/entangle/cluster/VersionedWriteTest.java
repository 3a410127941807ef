package entangle.cluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.AbstractMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import entangle.sharing.Envelope;
import entangle.sharing.Origin;
import entangle.sharing.VarRecord;

/** How the write on a key's partition orders records: what it keeps, and the versions it gives. */
class VersionedWriteTest {
    private static byte[] record(String writer, long version) {
        return new VarRecord(VarRecord.Kind.VALUE, "user", "f", version, new Origin(writer, "127.0.0.1:5701", 0),
                             false, null, new byte[] {1}, List.of(), List.of(), null, null).encode();
    }

    private static Map.Entry<String, byte[]> entry(byte[] stored) {
        return new AbstractMap.SimpleEntry<>("user/f", stored);
    }

    @Test
    void aProposedVersionAfterTheStoredOneIsKept() {
        byte[] mine = record("a", 4);
        Map.Entry<String, byte[]> e = entry(record("b", 3));
        assertEquals(4L, new VersionedWrite(mine, false).process(e));
        assertArrayEquals(mine, e.getValue());
        Map.Entry<String, byte[]> empty = entry(null);
        assertEquals(4L, new VersionedWrite(mine, false).process(empty));
    }

    @Test
    void aVersionAnotherMemberWroteMeanwhileGivesTheNextOne() {
        Map.Entry<String, byte[]> e = entry(record("b", 4));
        assertEquals(5L, new VersionedWrite(record("a", 4), false).process(e));
        assertEquals(5, Envelope.version(e.getValue()));
        assertEquals("a", decode(e.getValue()).origin().memberId());
        // A writer whose newest version was stale gets past the stored one too.
        assertEquals(6L, new VersionedWrite(record("c", 2), false).process(e));
        assertEquals("c", decode(e.getValue()).origin().memberId());
    }

    @Test
    void writingTheStoredRecordAgainChangesNothing() {
        byte[] mine = record("a", 4);
        Map.Entry<String, byte[]> e = entry(mine.clone());
        assertEquals(4L, new VersionedWrite(mine, false).process(e));
        assertArrayEquals(mine, e.getValue());
    }

    @Test
    void aRepairWritesOnlyOverAnOlderVersion() {
        Map.Entry<String, byte[]> e = entry(record("b", 4));
        assertEquals(-1L, new VersionedWrite(record("a", 4), true).process(e));
        assertEquals("b", decode(e.getValue()).origin().memberId());
        assertEquals(-1L, new VersionedWrite(record("b", 4), true).process(e), "the very record: nothing written");
        assertEquals(5L, new VersionedWrite(record("a", 5), true).process(e));
        assertEquals("a", decode(e.getValue()).origin().memberId());
    }

    private static VarRecord decode(byte[] bytes) {
        try {
            return VarRecord.decode("user/f", bytes);
        } catch (Exception x) {
            throw new AssertionError(x);
        }
    }
}
