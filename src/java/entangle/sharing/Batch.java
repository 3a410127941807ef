package entangle.sharing;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Records to apply together. They are applied in this order: named classes (which namespaces
 * import), namespaces (which vars live in and refer to), then vars.
 */
public record Batch(List<String> nsKeys, List<byte[]> ns, List<String> classKeys, List<byte[]> classes,
                    List<String> varKeys, List<byte[]> vars) {

    public static Batch empty() {
        return new Batch(new ArrayList<>(), new ArrayList<>(), new ArrayList<>(), new ArrayList<>(),
                         new ArrayList<>(), new ArrayList<>());
    }

    /** One record from the map {@code map}, as an entry event brings it. */
    public static Batch of(String map, String key, byte[] record) {
        Batch b = empty();
        b.add(map, key, record);
        return b;
    }

    /** Adds a record of the map {@code map}. */
    public void add(String map, String key, byte[] record) {
        switch (map) {
            case NamespaceRecord.MAP -> addNamespace(key, record);
            case ClassRecord.MAP -> addClass(key, record);
            case VarRecord.MAP -> addVar(key, record);
            default -> throw new IllegalArgumentException("not a map of records: " + map);
        }
    }

    /** What {@link #forEach} gives each record to. */
    public interface RecordConsumer {
        void accept(String map, String key, byte[] record);
    }

    /** Each record with the name of its map, in the order they are applied. */
    public void forEach(RecordConsumer c) {
        for (int i = 0; i < classKeys.size(); i++) c.accept(ClassRecord.MAP, classKeys.get(i), classes.get(i));
        for (int i = 0; i < nsKeys.size(); i++) c.accept(NamespaceRecord.MAP, nsKeys.get(i), ns.get(i));
        for (int i = 0; i < varKeys.size(); i++) c.accept(VarRecord.MAP, varKeys.get(i), vars.get(i));
    }

    public void addNamespace(String key, byte[] record) {
        nsKeys.add(key);
        ns.add(record);
    }

    public void addClass(String key, byte[] record) {
        classKeys.add(key);
        classes.add(record);
    }

    public void addVar(String key, byte[] record) {
        varKeys.add(key);
        vars.add(record);
    }

    public boolean isEmpty() {
        return nsKeys.isEmpty() && classKeys.isEmpty() && varKeys.isEmpty();
    }

    /** How many records it holds. */
    public int size() {
        return nsKeys.size() + classKeys.size() + varKeys.size();
    }

    /** Writes the records, for a hand-off to another member. */
    public void writeTo(DataOutput out) throws IOException {
        write(out, nsKeys, ns);
        write(out, classKeys, classes);
        write(out, varKeys, vars);
    }

    /** Reads what {@link #writeTo} wrote. */
    public static Batch readFrom(DataInput in) throws IOException {
        Batch b = empty();
        read(in, b.nsKeys, b.ns);
        read(in, b.classKeys, b.classes);
        read(in, b.varKeys, b.vars);
        return b;
    }

    private static void write(DataOutput out, List<String> keys, List<byte[]> records) throws IOException {
        out.writeInt(keys.size());
        for (int i = 0; i < keys.size(); i++) {
            out.writeUTF(keys.get(i));
            out.writeInt(records.get(i).length);
            out.write(records.get(i));
        }
    }

    private static void read(DataInput in, List<String> keys, List<byte[]> records) throws IOException {
        int n = in.readInt();
        for (int i = 0; i < n; i++) {
            keys.add(in.readUTF());
            byte[] r = new byte[in.readInt()];
            in.readFully(r);
            records.add(r);
        }
    }
}
