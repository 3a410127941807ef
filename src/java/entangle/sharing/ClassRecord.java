package entangle.sharing;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;

import entangle.RefusedException;

/**
 * A named class (deftype, defrecord, definterface, a protocol's interface) as the cluster holds
 * it, under its name: the unit that holds its newest definition. Code any member compiles
 * later that names the class gets that one.
 */
public record ClassRecord(String name, long version, Origin origin, String unit) implements SharedRecord {

    /** The Hazelcast map that holds named classes. */
    public static final String MAP = "entangle.classes";
    static final int MAGIC = 0x454e5443; // "ENTC"

    public ClassRecord withVersion(long v) {
        return new ClassRecord(name, v, origin, unit);
    }

    public byte[] encode() {
        return RecordIO.seal(MAGIC, version, out -> {
            out.string(name);
            out.origin(origin);
            out.string(unit);
        });
    }

    /** Reads the record stored under {@code key}, refusing it unless it is intact and is that class's. */
    public static ClassRecord decode(String key, byte[] bytes) throws RefusedException {
        Envelope.Opened o = Envelope.open(MAGIC, bytes, "class " + key);
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(o.body()))) {
            String name = RecordIO.string(in);
            Origin origin = RecordIO.origin(in);
            String unit = RecordIO.string(in);
            if (in.read() != -1) throw new IOException("trailing bytes");
            if (!key.equals(name) || unit == null) throw new IOException("it names class " + name);
            return new ClassRecord(name, o.version(), origin, unit);
        } catch (IOException e) {
            throw new RefusedException("class " + key + " was refused: its record is malformed (" + e.getMessage() + ")", e);
        }
    }
}
