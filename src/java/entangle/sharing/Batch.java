package entangle.sharing;

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
        switch (map) {
            case NamespaceRecord.MAP -> b.addNamespace(key, record);
            case ClassRecord.MAP -> b.addClass(key, record);
            case VarRecord.MAP -> b.addVar(key, record);
            default -> throw new IllegalArgumentException("not a map of records: " + map);
        }
        return b;
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
}
