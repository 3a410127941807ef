package entangle.sharing;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Arrays;

import entangle.RefusedException;
import entangle.unit.ContentHash;

/**
 * The frame of every record in the cluster's maps: a magic number naming the kind of record,
 * a format byte, the record's version (its place in the total order of writes to its key),
 * the body, and a checksum of everything before it: a SHA-256, or where the cluster has a
 * secret an HMAC-SHA256 keyed by it, so that a record made without the secret is refused as a
 * tampered one. The version is outside the body so that the write that assigns it can stamp
 * it without reading the rest.
 */
public final class Envelope {
    /**
     * 2: var and namespace records carry their base (see {@link Merge}); 3: namespace records
     * say whether their writer reloaded the namespace; 4: var records name the records they are
     * applied after (see {@link CallOrder}) and carry their base's digest.
     */
    static final int FORMAT = 4;
    private static final int HEADER = 4 + 1 + 8;
    private static final int DIGEST = 32;

    /** The key of the checksum, or null for a plain SHA-256: one member per JVM, one key. */
    private static volatile byte[] key;

    private Envelope() {}

    /**
     * Seals and checks records with {@code recordKey} (a cluster secret's), or with a plain
     * SHA-256 if it is null; set as a member starts, before it reads or writes a record.
     */
    public static void sealWith(byte[] recordKey) {
        key = recordKey == null ? null : recordKey.clone();
    }

    /** True if records are sealed with a secret's key. */
    public static boolean keyed() {
        return key != null;
    }

    private static byte[] checksum(byte[] bytes, int len) {
        byte[] k = key;
        return k == null ? ContentHash.sha256(bytes, 0, len) : ContentHash.hmacSha256(k, bytes, 0, len);
    }

    /** The record {@code magic}/{@code version}/{@code body}, with its checksum. */
    public static byte[] seal(int magic, long version, byte[] body) {
        byte[] out = new byte[HEADER + body.length + DIGEST];
        ByteBuffer b = ByteBuffer.wrap(out);
        b.putInt(magic).put((byte) FORMAT).putLong(version).put(body);
        b.put(checksum(out, out.length - DIGEST));
        return out;
    }

    /** The version in a record's header, without checking the record; -1 if there is none. */
    public static long version(byte[] record) {
        if (record == null || record.length < HEADER + DIGEST) return -1;
        return ByteBuffer.wrap(record).getLong(5);
    }

    /**
     * The first eight bytes of a record's checksum, which tell two records of one version
     * apart; 0 if it has none. Not checked: for ordering records already checked or written here.
     */
    public static long digest(byte[] record) {
        if (record == null || record.length < HEADER + DIGEST) return 0;
        return ByteBuffer.wrap(record).getLong(record.length - DIGEST);
    }

    /** True if {@code record} is framed and matches its checksum, whatever its kind. */
    public static boolean intact(byte[] record) {
        if (record == null || record.length < HEADER + DIGEST) return false;
        byte[] expected = checksum(record, record.length - DIGEST);
        return MessageDigest.isEqual(expected, Arrays.copyOfRange(record, record.length - DIGEST, record.length));
    }

    /** A copy of {@code record} stamped with {@code version}, its checksum made again. */
    public static byte[] restamp(byte[] record, long version) {
        byte[] out = record.clone();
        ByteBuffer.wrap(out).putLong(5, version);
        System.arraycopy(checksum(out, out.length - DIGEST), 0, out, out.length - DIGEST, DIGEST);
        return out;
    }

    /** A checked record: its version and body. */
    public record Opened(long version, byte[] body) {}

    /**
     * Checks a record read from the cluster under the name {@code what} and returns its
     * version and body; refuses it if it is truncated, of another kind or format, or if its
     * bytes no longer match their checksum.
     */
    public static Opened open(int magic, byte[] record, String what) throws RefusedException {
        if (record == null || record.length < HEADER + DIGEST) {
            throw new RefusedException(what + " was refused: its record is truncated");
        }
        ByteBuffer b = ByteBuffer.wrap(record);
        if (b.getInt() != magic || b.get() != FORMAT) {
            throw new RefusedException(what + " was refused: its record is not in a format this member reads");
        }
        if (!intact(record)) {
            throw new RefusedException(what + " was refused: its record does not match its checksum ("
                + (keyed() ? "corrupted, tampered, or written without this cluster's secret)" : "corrupted or tampered)"));
        }
        long version = b.getLong();
        return new Opened(version, Arrays.copyOfRange(record, HEADER, record.length - DIGEST));
    }
}
