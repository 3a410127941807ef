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
 * was nested in, if any, and the units of the named classes they extend or implement (their
 * links, see {@link #linkedUnit}). Its address is the SHA-256 of its encoding, so two members
 * that compiled different classes under one name hold two different units, and a unit read
 * back from the cluster is checked against its address before a byte of it is used.
 *
 * <p>A unit that defines a named class (a {@code deftype}, a protocol's interface) also holds
 * an id of the evaluation that defined it: evaluating the same {@code defprotocol} again makes
 * a new interface in one JVM, one that the records made before do not implement, and the
 * same bytes must then make a new unit, and a new class on every member, too.
 */
public final class Unit {
    private static final int MAGIC = 0x454e5455; // "ENTU"
    private static final int FORMAT = 2;
    /**
     * The link to a class of a namespace loaded from the classpath (see {@link #linkedUnit}):
     * each member's own, the one its classpath load defined.
     */
    public static final String CLASSPATH = "classpath";

    private final String hash;
    private final String parent;
    private final Map<String, byte[]> classes;
    private final Map<String, String> links;
    private final String definition;
    private final byte[] encoded;

    private Unit(String hash, String parent, Map<String, byte[]> classes, Map<String, String> links, String definition,
                 byte[] encoded) {
        this.hash = hash;
        this.definition = definition;
        this.parent = parent;
        this.classes = classes;
        this.links = links;
        this.encoded = encoded;
    }

    /** The unit of {@code defined}, nested in the unit {@code parent} (a hash, or null), with no links. */
    public static Unit of(String parent, List<Defined> defined) {
        return of(parent, defined, Map.of(), "");
    }

    /**
     * The unit of {@code defined}, nested in the unit {@code parent} (a hash, or null), whose
     * classes extend or implement the named classes of {@code links} (by name, the hash of the
     * unit that defined the one they were defined with); {@code definition} is the id of the
     * evaluation that defined them, or "" (see above).
     */
    public static Unit of(String parent, List<Defined> defined, Map<String, String> links, String definition) {
        Map<String, byte[]> classes = new LinkedHashMap<>();
        // A loader can define one name twice (a form that redefines a fn); the later one wins,
        // as it does in the loader's own lookups.
        for (Defined d : defined) classes.put(d.name(), d.bytes());
        Map<String, String> sorted = Collections.unmodifiableMap(new java.util.TreeMap<>(links));
        byte[] encoded = encode(parent, classes, sorted, definition);
        return new Unit(ContentHash.hex(encoded), parent, Collections.unmodifiableMap(classes), sorted, definition, encoded);
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
            String definition = in.readUTF();
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
            int m = in.readInt();
            if (m < 0 || m > 100_000) throw new IOException("bad link count " + m);
            Map<String, String> links = new java.util.TreeMap<>();
            for (int i = 0; i < m; i++) links.put(in.readUTF(), in.readUTF());
            if (in.read() != -1) throw new IOException("trailing bytes");
            return new Unit(expectedHash, parent.isEmpty() ? null : parent, Collections.unmodifiableMap(classes),
                            Collections.unmodifiableMap(links), definition, encoded);
        } catch (IOException e) {
            throw new RefusedException("unit " + ContentHash.shortHex(expectedHash) + " is malformed: " + e.getMessage(), e);
        }
    }

    private static byte[] encode(String parent, Map<String, byte[]> classes, Map<String, String> links, String definition) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(MAGIC);
            out.writeByte(FORMAT);
            out.writeUTF(parent == null ? "" : parent);
            out.writeUTF(definition);
            out.writeInt(classes.size());
            for (Map.Entry<String, byte[]> e : classes.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeInt(e.getValue().length);
                out.write(e.getValue());
            }
            out.writeInt(links.size());
            for (Map.Entry<String, String> e : links.entrySet()) {
                out.writeUTF(e.getKey());
                out.writeUTF(e.getValue());
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

    /**
     * The hash of the unit whose class {@code className} a class of this unit extends or
     * implements, as it was defined where it was compiled; null if none does. A named class
     * (a protocol's interface, a {@code definterface}) may since have been defined again: this
     * unit's classes still extend the one they were defined with, on every member, as they do
     * on the member that compiled them.
     */
    public String linkedUnit(String className) { return links.get(className); }

    /** Every link: the names of the classes this unit's classes extend or implement, to their unit's hash. */
    public Map<String, String> links() { return links; }

    /** The bytes stored in the cluster under {@link #hash()}. */
    public byte[] encoded() { return encoded; }

    @Override
    public String toString() {
        return "unit " + ContentHash.shortHex(hash) + " " + classes.keySet();
    }
}
