package entangle.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import entangle.sharing.Batch;
import entangle.sharing.Envelope;
import entangle.sharing.Origin;
import entangle.sharing.VarRecord;

/** Which records a member writes for a writer that left before its own write was safe. */
class UnconfirmedRecordsTest {
    /** The map entangle.vars as the member sees it once the writer has left. */
    private final Map<String, byte[]> map = new HashMap<>();
    /** What the repairs wrote, key@version, in order. */
    private final List<String> repaired = new ArrayList<>();
    private final UnconfirmedRecords.Repairer repairer = (m, key, record) -> {
        Map.Entry<String, byte[]> entry = new AbstractMap.SimpleEntry<>(key, map.get(key));
        if (new VersionedWrite(record, true).process(entry) >= 0) {
            map.put(key, entry.getValue());
            repaired.add(key + "@" + Envelope.version(record));
        }
    };
    private final UnconfirmedRecords unconfirmed = new UnconfirmedRecords(repairer, 60_000);

    private static byte[] record(String name, long version) {
        return record(name, version, "writer-1");
    }

    private static byte[] record(String name, long version, String writer) {
        return new VarRecord(VarRecord.Kind.VALUE, "user", name, version, new Origin(writer, "127.0.0.1:5701", 0),
                             false, null, new byte[] {1}, List.of(), List.of(), null, null).encode();
    }

    /** The records of vars of user: a name, its record, a name... */
    private static Batch vars(Object... nameThenRecord) {
        Batch b = Batch.empty();
        for (int i = 0; i < nameThenRecord.length; i += 2) b.addVar("user/" + nameThenRecord[i], (byte[]) nameThenRecord[i + 1]);
        return b;
    }

    /** The map holds {@code record} under {@code user/name}, and its entry event came. */
    private void written(String name, byte[] record) {
        map.put("user/" + name, record);
        unconfirmed.seen(VarRecord.MAP, "user/" + name, record);
    }

    @Test
    void whatTheMapsNeverShowedIsWrittenWhenItsWriterLeaves() {
        unconfirmed.handedOff("writer-1", vars("f", record("f", 3), "g", record("g", 1)));
        written("g", record("g", 1));
        assertEquals(1, unconfirmed.unshown());
        unconfirmed.writerLeft("writer-2");
        assertEquals(List.of(), repaired, "another writer left");
        unconfirmed.writerLeft("writer-1");
        assertEquals(List.of("user/f@3"), repaired);
        unconfirmed.writerLeft("writer-1");
        assertEquals(List.of("user/f@3"), repaired, "written once");
    }

    @Test
    void aLaterVersionInTheMapsConfirmsAndAnOlderOneDoesNot() {
        unconfirmed.handedOff("writer-1", vars("f", record("f", 3), "g", record("g", 3)));
        written("f", record("f", 4, "writer-2"));
        written("g", record("g", 2));
        unconfirmed.writerLeft("writer-1");
        assertEquals(List.of("user/g@3"), repaired);
    }

    @Test
    void anEntryEventBeforeTheHandOffMeansNothingIsWrittenWhileTheMapHoldsIt() {
        written("h", record("h", 5));
        unconfirmed.handedOff("writer-1", vars("h", record("h", 5)));
        assertEquals(0, unconfirmed.unshown());
        unconfirmed.writerLeft("writer-1");
        assertEquals(List.of(), repaired);
    }

    /**
     * The writer owned the keys' partition: it sent the entry events when it wrote, and died
     * before its backups reached the member that took its place, which holds no entry of f and
     * g's previous version.
     */
    @Test
    void whatTheMapsShowedAndThenLostWithTheirWriterIsWrittenWhenItLeaves() {
        unconfirmed.handedOff("writer-1", vars("f", record("f", 3), "g", record("g", 3)));
        unconfirmed.seen(VarRecord.MAP, "user/f", record("f", 3));
        unconfirmed.seen(VarRecord.MAP, "user/g", record("g", 3));
        map.put("user/g", record("g", 2));
        assertEquals(2, unconfirmed.held());
        assertEquals(0, unconfirmed.unshown());
        unconfirmed.writerLeft("writer-1");
        assertEquals(List.of("user/f@3", "user/g@3"), repaired.stream().sorted().toList());
    }

    @Test
    void aNewerVersionAnotherMemberWroteIsLeftAloneWhenTheWriterLeaves() {
        unconfirmed.handedOff("writer-1", vars("f", record("f", 3)));
        unconfirmed.seen(VarRecord.MAP, "user/f", record("f", 3));
        byte[] newer = record("f", 4, "writer-2");
        written("f", newer);
        unconfirmed.writerLeft("writer-1");
        assertEquals(List.of(), repaired);
        assertEquals(newer, map.get("user/f"));
    }

    @Test
    void aRecordThatNoLongerMatchesItsChecksumIsNeverWritten() {
        byte[] bad = record("f", 2);
        bad[bad.length / 2] ^= 1;
        unconfirmed.handedOff("writer-1", vars("f", bad));
        unconfirmed.writerLeft("writer-1");
        assertEquals(List.of(), repaired);
    }

    @Test
    void heldRecordsExpire() throws Exception {
        unconfirmed.handedOff("writer-1", vars("f", record("f", 1)));
        Thread.sleep(5);
        unconfirmed.expire(1);
        unconfirmed.writerLeft("writer-1");
        assertEquals(List.of(), repaired);
    }

    /** A large evaluation's records are not all kept until the maximum age: those shown go after the grace period. */
    @Test
    void shownRecordsAreDroppedAfterTheGracePeriodAndTheOthersKept() throws Exception {
        UnconfirmedRecords brief = new UnconfirmedRecords(repairer, 1);
        brief.handedOff("writer-1", vars("f", record("f", 1), "g", record("g", 1)));
        brief.seen(VarRecord.MAP, "user/f", record("f", 1));
        unconfirmed.handedOff("writer-1", vars("h", record("h", 1)));
        unconfirmed.seen(VarRecord.MAP, "user/h", record("h", 1));
        Thread.sleep(5);
        brief.expire(60_000);
        unconfirmed.expire(60_000);
        assertEquals(1, brief.held());
        assertEquals(1, unconfirmed.held(), "within its grace period");
        brief.writerLeft("writer-1");
        assertEquals(List.of("user/g@1"), repaired);
    }
}
