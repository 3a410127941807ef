package entangle.sharing;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.List;

import entangle.RefusedException;

/**
 * A cluster atom's state as the cluster holds it: the var it was made for ("#'ns/name", for
 * messages), its value and validator, serialized, and their units.
 */
record AtomState(long version, String name, byte[] value, List<String> units, byte[] validator) {
    static final int MAGIC = 0x454e5441; // "ENTA"

    byte[] encode() {
        return RecordIO.seal(MAGIC, version, out -> {
            out.string(name);
            out.blob(value);
            out.strings(units);
            out.blob(validator);
        });
    }

    static AtomState decode(String what, byte[] bytes) throws RefusedException {
        Envelope.Opened o = Envelope.open(MAGIC, bytes, what);
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(o.body()))) {
            String name = RecordIO.string(in);
            byte[] value = RecordIO.blob(in);
            List<String> units = RecordIO.strings(in);
            byte[] validator = RecordIO.blob(in);
            if (in.read() != -1 || value == null) throw new IOException("trailing or missing bytes");
            return new AtomState(o.version(), name, value, List.copyOf(units), validator);
        } catch (IOException e) {
            throw new RefusedException(what + " was refused: its record is malformed (" + e.getMessage() + ")", e);
        }
    }
}
