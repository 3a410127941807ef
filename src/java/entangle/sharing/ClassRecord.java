package entangle.sharing;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;

import entangle.RefusedException;

/**
 * A named class (deftype, defrecord, definterface, a protocol's interface, a proxy's class) as
 * the cluster holds it, under its name: the unit that holds its newest definition. Code any
 * member compiles later that names the class gets that one.
 */
public record ClassRecord(String name, long version, Origin origin, String unit) implements SharedRecord {

    /** The Hazelcast map that holds named classes. */
    public static final String MAP = "entangle.classes";
    static final int MAGIC = 0x454e5443; // "ENTC"

    /**
     * The namespace a named class belongs to ("my_app.core.Point" is my-app.core's), or null if
     * the name is not one code refers to by name: fn classes ("ns$f"), compile stubs. A proxy
     * class is named ("my_app.core.proxy$java.lang.Object$ff19274a"): proxy names it after the
     * namespace, the superclass and the interfaces, defines it once, and every later proxy of
     * the same classes, in any evaluation, creates its instances by that name.
     */
    static String namespaceOf(String className) {
        int proxy = className.indexOf(".proxy$");
        if (proxy > 0) return clojure.lang.Compiler.demunge(className.substring(0, proxy));
        int dot = className.lastIndexOf('.');
        if (dot <= 0 || className.indexOf('$', dot) >= 0 || className.startsWith("compile__stub")) return null;
        return clojure.lang.Compiler.demunge(className.substring(0, dot));
    }

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
