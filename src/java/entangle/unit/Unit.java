package entangle.unit;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import entangle.RefusedException;
import entangle.hook.CapturedClasses.Defined;

/**
 * A unit of classes: the classes one {@code DynamicClassLoader} defined (one per evaluated
 * form, or per form of a loaded file), in definition order, with the unit of the loader it
 * was nested in, if any. Its address is the SHA-256 of its encoding, so two members that
 * compiled different classes under one name hold two different units, and a unit read back
 * from the cluster is checked against its address before a byte of it is used.
 */
public final class Unit {
    private static final int MAGIC = 0x454e5455; // "ENTU"
    private static final int FORMAT = 1;

    private final String hash;
    private final String parent;
    private final Map<String, byte[]> classes;
    private final byte[] encoded;

    private Unit(String hash, String parent, Map<String, byte[]> classes, byte[] encoded) {
        this.hash = hash;
        this.parent = parent;
        this.classes = classes;
        this.encoded = encoded;
    }

    /** The unit of {@code defined}, nested in the unit {@code parent} (a hash, or null). */
    public static Unit of(String parent, List<Defined> defined) {
        Map<String, byte[]> classes = new LinkedHashMap<>();
        // A loader can define one name twice (a form that redefines a fn); the later one wins,
        // as it does in the loader's own lookups.
        for (Defined d : defined) classes.put(d.name(), d.bytes());
        byte[] encoded = encode(parent, classes);
        return new Unit(ContentHash.hex(encoded), parent, Collections.unmodifiableMap(classes), encoded);
    }

    /** Reads a unit stored under {@code expectedHash}, refusing it unless its bytes hash to it. */
    public static Unit decode(String expectedHash, byte[] encoded) throws RefusedException {
        if (encoded == null) {
            throw RefusedException.missing("unit " + ContentHash.shortHex(expectedHash) + " is missing from the cluster");
        }
        String actual = ContentHash.hex(encoded);
        if (!actual.equals(expectedHash)) {
            throw new RefusedException("unit " + ContentHash.shortHex(expectedHash)
                + " was refused: its bytes do not match their SHA-256 (corrupted or tampered)");
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(encoded))) {
            if (in.readInt() != MAGIC || in.readUnsignedByte() != FORMAT) {
                throw new RefusedException("unit " + ContentHash.shortHex(expectedHash) + " is not in a format this member reads");
            }
            String parent = in.readUTF();
            int n = in.readInt();
            if (n < 0 || n > 100_000) throw new IOException("bad class count " + n);
            Map<String, byte[]> classes = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                int len = in.readInt();
                if (len < 0 || len > encoded.length) throw new IOException("bad class length " + len);
                byte[] b = new byte[len];
                in.readFully(b);
                classes.put(name, b);
            }
            if (in.read() != -1) throw new IOException("trailing bytes");
            return new Unit(expectedHash, parent.isEmpty() ? null : parent, Collections.unmodifiableMap(classes), encoded);
        } catch (IOException e) {
            throw new RefusedException("unit " + ContentHash.shortHex(expectedHash) + " is malformed: " + e.getMessage(), e);
        }
    }

    private static byte[] encode(String parent, Map<String, byte[]> classes) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeByte(FORMAT);
            out.writeUTF(parent == null ? "" : parent);
            out.writeInt(classes.size());
            for (Map.Entry<String, byte[]> e : classes.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeInt(e.getValue().length);
                out.write(e.getValue());
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    public String hash() { return hash; }

    /** The hash of the unit this one was nested in, or null. */
    public String parent() { return parent; }

    public boolean defines(String className) { return classes.containsKey(className); }

    public byte[] classBytes(String className) { return classes.get(className); }

    public java.util.Set<String> classNames() { return classes.keySet(); }

    /** The bytes stored in the cluster under {@link #hash()}. */
    public byte[] encoded() { return encoded; }

    @Override
    public String toString() {
        return "unit " + ContentHash.shortHex(hash) + " " + classes.keySet();
    }
}
