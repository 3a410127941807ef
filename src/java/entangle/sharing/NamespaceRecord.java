package entangle.sharing;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.Map;

import entangle.RefusedException;

/**
 * A shared namespace as the cluster holds it, under its name: whether it is shared by value,
 * loaded by each member from its own classpath, removed, or local to each member; its meta,
 * and the aliases, refers and imports evaluation gave it. The vars it interns are
 * {@link VarRecord}s of their own. Its base is the version of the record its writer changed (its
 * aliases, refers and imports are merged against it, see {@link Merge}). A classpath namespace's
 * record is {@code reloaded} when its writer loaded the namespace again ({@code require} with
 * {@code :reload}, a tools.namespace refresh): a member that has it loads it again too.
 */
public record NamespaceRecord(Kind kind, String name, long version, long base, Origin origin, byte[] meta,
                              Map<String, String> aliases, Map<String, String> refers,
                              Map<String, String> imports, boolean reloaded) implements SharedRecord {

    /** The Hazelcast map that holds shared namespaces. */
    public static final String MAP = "entangle.namespaces";
    static final int MAGIC = 0x454e544e; // "ENTN"

    public enum Kind {
        /** Shared by value: its vars are {@link VarRecord}s. */
        SHARED,
        /** Required from the classpath: every member loads it from its own. */
        CLASSPATH,
        /** Removed with remove-ns. */
        REMOVED,
        /** Never shared: each member keeps its own. */
        LOCAL
    }

    /** A record made from the one before its version. */
    public NamespaceRecord(Kind kind, String name, long version, Origin origin, byte[] meta, Map<String, String> aliases,
                           Map<String, String> refers, Map<String, String> imports) {
        this(kind, name, version, version - 1, origin, meta, aliases, refers, imports, false);
    }

    public NamespaceRecord withVersion(long v) {
        return new NamespaceRecord(kind, name, v, base, origin, meta, aliases, refers, imports, reloaded);
    }

    public byte[] encode() {
        return RecordIO.seal(MAGIC, version, out -> {
            out.writeByte(kind.ordinal());
            out.string(name);
            out.writeLong(base);
            out.origin(origin);
            out.blob(meta);
            out.pairs(aliases);
            out.pairs(refers);
            out.pairs(imports);
            out.writeBoolean(reloaded);
        });
    }

    /** Reads the record stored under {@code key}, refusing it unless it is intact and is that namespace's. */
    public static NamespaceRecord decode(String key, byte[] bytes) throws RefusedException {
        Envelope.Opened o = Envelope.open(MAGIC, bytes, "namespace " + key);
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(o.body()))) {
            int k = in.readUnsignedByte();
            if (k >= Kind.values().length) throw new IOException("unknown kind " + k);
            String name = RecordIO.string(in);
            long base = in.readLong();
            Origin origin = RecordIO.origin(in);
            byte[] meta = RecordIO.blob(in);
            Map<String, String> aliases = RecordIO.pairs(in);
            Map<String, String> refers = RecordIO.pairs(in);
            Map<String, String> imports = RecordIO.pairs(in);
            boolean reloaded = in.readBoolean();
            if (in.read() != -1) throw new IOException("trailing bytes");
            if (!key.equals(name)) throw new IOException("it names namespace " + name);
            return new NamespaceRecord(Kind.values()[k], name, o.version(), base, origin, meta, aliases, refers, imports,
                                       reloaded);
        } catch (IOException e) {
            throw new RefusedException("namespace " + key + " was refused: its record is malformed (" + e.getMessage() + ")", e);
        }
    }
}
