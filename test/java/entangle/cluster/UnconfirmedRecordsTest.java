package entangle.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import entangle.sharing.Batch;
import entangle.sharing.Envelope;
import entangle.sharing.Origin;
import entangle.sharing.VarRecord;

/** Which records a member writes for a writer that left before its own write landed. */
class UnconfirmedRecordsTest {
    private final List<String> repaired = new ArrayList<>();
    private final UnconfirmedRecords unconfirmed =
        new UnconfirmedRecords((map, key, record) -> repaired.add(key + "@" + Envelope.version(record)));

    private static byte[] record(String name, long version) {
        return new VarRecord(VarRecord.Kind.VALUE, "user", name, version, new Origin("writer-1", "127.0.0.1:5701", 0),
                             false, null, new byte[] {1}, List.of(), List.of(), null, null).encode();
    }

    /** The records of vars of user: a name, its record, a name... */
    private static Batch vars(Object... nameThenRecord) {
        Batch b = Batch.empty();
        for (int i = 0; i < nameThenRecord.length; i += 2) b.addVar("user/" + nameThenRecord[i], (byte[]) nameThenRecord[i + 1]);
        return b;
    }

    @Test
    void whatTheMapsNeverShowedIsWrittenWhenItsWriterLeaves() {
        unconfirmed.handedOff("writer-1", vars("f", record("f", 3), "g", record("g", 1)));
        unconfirmed.seen(VarRecord.MAP, "user/g", record("g", 1));
        assertEquals(1, unconfirmed.held());
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
        unconfirmed.seen(VarRecord.MAP, "user/f", record("f", 4));
        unconfirmed.seen(VarRecord.MAP, "user/g", record("g", 2));
        unconfirmed.writerLeft("writer-1");
        assertEquals(List.of("user/g@3"), repaired);
    }

    @Test
    void anEntryEventBeforeTheHandOffMeansNothingIsHeld() {
        unconfirmed.seen(VarRecord.MAP, "user/h", record("h", 5));
        unconfirmed.handedOff("writer-1", vars("h", record("h", 5)));
        assertEquals(0, unconfirmed.held());
        unconfirmed.writerLeft("writer-1");
        assertEquals(List.of(), repaired);
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
}
