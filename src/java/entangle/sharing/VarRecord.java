package entangle.sharing;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.List;

import entangle.RefusedException;

/**
 * A shared var as the cluster holds it, under the key "ns/name": what it is (a value, unbound,
 * a value that stayed on its member, removed, or local to each member), its serialized meta
 * and value, the units its classes come from (their hashes, and their encodings: a record
 * carries its classes, so that no member ever holds a var whose classes it cannot get, and a
 * member applying it reads nothing else), the source text of the form that defined it, its
 * base: the version of the record its writer changed (a table's changes are merged against it,
 * see {@link Merge}), the vars written with it that it is applied after (the keys of those its
 * fn's code names, or a method's protocol: see {@link CallOrder}), and the digest of its base's
 * record (see {@link Stamp}; 0 if its writer had none), which tells of two records of one
 * version which one its writer changed (see {@link Overwritten}).
 */
public record VarRecord(Kind kind, String ns, String name, long version, long base, Origin origin,
                        boolean dynamic, byte[] meta, byte[] value, List<String> units, List<byte[]> unitBytes,
                        String unshareableType, String source, List<String> after, long baseDigest)
    implements SharedRecord {

    /** The Hazelcast map that holds shared vars. */
    public static final String MAP = "entangle.vars";
    static final int MAGIC = 0x454e5456; // "ENTV"

    public enum Kind {
        /** The var has a root value, in {@code value}. */
        VALUE,
        /** The var exists without a root. */
        UNBOUND,
        /** The var's value stayed on the member that made it; {@code unshareableType} says why. */
        UNSHAREABLE,
        /** The var was unmapped from its namespace. */
        REMOVED,
        /** The var keeps a root of its own on each member and is never shipped. */
        LOCAL,
        /**
         * The var holds what its namespace's load from the classpath made, on each member its
         * own load's (a reload after evaluation had changed it): the record carries no value.
         */
        LOADED
    }

    /** A record applied after none written with it, whose base's digest is not known. */
    public VarRecord(Kind kind, String ns, String name, long version, long base, Origin origin, boolean dynamic,
                     byte[] meta, byte[] value, List<String> units, List<byte[]> unitBytes, String unshareableType,
                     String source) {
        this(kind, ns, name, version, base, origin, dynamic, meta, value, units, unitBytes, unshareableType, source,
             List.of(), 0);
    }

    /** A record made from the one before its version. */
    public VarRecord(Kind kind, String ns, String name, long version, Origin origin, boolean dynamic, byte[] meta,
                     byte[] value, List<String> units, List<byte[]> unitBytes, String unshareableType, String source) {
        this(kind, ns, name, version, version - 1, origin, dynamic, meta, value, units, unitBytes, unshareableType,
             source);
    }

    public static String key(String ns, String name) {
        return ns + "/" + name;
    }

    public String key() {
        return key(ns, name);
    }

    /** "#'ns/name", as Clojure prints a var. */
    public String varName() {
        return varName(key());
    }

    /** "#'ns/name" for the key "ns/name". */
    public static String varName(String key) {
        return "#'" + key;
    }

    public VarRecord withVersion(long v) {
        return new VarRecord(kind, ns, name, v, base, origin, dynamic, meta, value, units, unitBytes, unshareableType,
                             source, after, baseDigest);
    }

    public byte[] encode() {
        return RecordIO.seal(MAGIC, version, out -> {
            out.writeByte(kind.ordinal());
            out.string(ns);
            out.string(name);
            out.writeLong(base);
            out.origin(origin);
            out.writeBoolean(dynamic);
            out.blob(meta);
            out.blob(value);
            out.strings(units);
            out.blobs(unitBytes);
            out.string(unshareableType);
            out.string(source);
            out.strings(after);
            out.writeLong(baseDigest);
        });
    }

    /** Reads the record stored under {@code key}, refusing it unless it is intact and is that var's. */
    public static VarRecord decode(String key, byte[] bytes) throws RefusedException {
        Envelope.Opened o = Envelope.open(MAGIC, bytes, varName(key));
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(o.body()))) {
            int k = in.readUnsignedByte();
            if (k >= Kind.values().length) throw new IOException("unknown kind " + k);
            String ns = RecordIO.string(in);
            String name = RecordIO.string(in);
            long base = in.readLong();
            Origin origin = RecordIO.origin(in);
            boolean dynamic = in.readBoolean();
            byte[] meta = RecordIO.blob(in);
            byte[] value = RecordIO.blob(in);
            List<String> units = RecordIO.strings(in);
            List<byte[]> unitBytes = RecordIO.blobs(in);
            if (unitBytes.size() != units.size()) throw new IOException(units.size() + " units but " + unitBytes.size() + " encodings");
            String unshareable = RecordIO.string(in);
            String source = RecordIO.string(in);
            List<String> after = RecordIO.strings(in);
            if (after.contains(null)) throw new IOException("a missing key of a var it is applied after");
            long baseDigest = in.readLong();
            if (in.read() != -1) throw new IOException("trailing bytes");
            if (ns == null || name == null || !key(ns, name).equals(key)) {
                throw new IOException("it names #'" + ns + "/" + name);
            }
            return new VarRecord(Kind.values()[k], ns, name, o.version(), base, origin, dynamic, meta, value,
                                 List.copyOf(units), List.copyOf(unitBytes), unshareable, source, List.copyOf(after),
                                 baseDigest);
        } catch (IOException e) {
            throw new RefusedException(varName(key) + " was refused: its record is malformed (" + e.getMessage() + ")", e);
        }
    }
}
