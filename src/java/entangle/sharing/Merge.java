package entangle.sharing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import clojure.lang.IPersistentMap;
import clojure.lang.PersistentArrayMap;
import clojure.lang.PersistentHashMap;
import clojure.lang.Util;

/**
 * How two members' changes to one table meet. A table is a map that evaluation changes entry
 * by entry: a multimethod's methods and prefers, the extensions of a protocol of Clojure's, a
 * namespace's aliases, refers and imports. Two members that change one table at once change
 * different entries, as a rule (two defmethods, two imports), so a record of the table does
 * not replace what another member changed and the record did not see; it is merged with it:
 *
 * <ul>
 *   <li>what this member changed and has not published yet (its table now against the record
 *       it last published or applied) stays on top of any record it applies, and is published
 *       by its next scan;</li>
 *   <li>what this member published last stays on top of a record written without seeing it
 *       (the record's base is older than this member's write), and is published again: the two
 *       writes crossed, and the one the cluster's map kept lacks it.</li>
 * </ul>
 *
 * A change is an entry put or removed; for one entry, this member's change wins over the
 * record's, which it is newer than or concurrent with. Tables are lists of maps (a multimethod
 * has two); pure functions.
 */
final class Merge {
    private Merge() {}

    /**
     * This member's last write of a table: the version it was written with, the version and
     * tables of the record it was made from, and the tables it wrote.
     */
    record Own(long version, long baseVersion, List<IPersistentMap> base, List<IPersistentMap> written) {
        /** True if a record made from {@code recordBase} was written without seeing this write. */
        boolean unseenBy(long recordBase) {
            return recordBase < version;
        }
    }

    /**
     * The tables a member holds after applying a record of tables {@code theirs} made from
     * version {@code theirBase}: those, with this member's last write on top if the record did
     * not see it, and with what this member changed since {@code known} (the tables of the record
     * it last published or applied; null if none) and {@code now} holds.
     */
    static List<IPersistentMap> applied(List<IPersistentMap> theirs, long theirBase, Own own,
                                        List<IPersistentMap> known, List<IPersistentMap> now) {
        List<IPersistentMap> out = theirs;
        if (own != null && own.unseenBy(theirBase)) out = redo(out, own.base(), own.written());
        if (known != null) out = redo(out, known, now);
        return out;
    }

    /**
     * {@code onto} with the changes that make {@code from} into {@code to} made to it: an entry
     * {@code to} has that {@code from} had otherwise (or lacked) is put, one it lacks that
     * {@code from} had is removed.
     */
    static List<IPersistentMap> redo(List<IPersistentMap> onto, List<IPersistentMap> from, List<IPersistentMap> to) {
        List<IPersistentMap> out = new ArrayList<>(onto.size());
        for (int i = 0; i < onto.size(); i++) out.add(redo(onto.get(i), from.get(i), to.get(i)));
        return out;
    }

    private static IPersistentMap redo(IPersistentMap onto, IPersistentMap from, IPersistentMap to) {
        if (from == to) return onto;
        IPersistentMap out = onto;
        for (Object o : (Iterable<?>) to) {
            Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
            if (!from.containsKey(e.getKey()) || !Util.equiv(from.valAt(e.getKey()), e.getValue())) {
                out = out.assoc(e.getKey(), e.getValue());
            }
        }
        for (Object o : (Iterable<?>) from) {
            Object k = ((Map.Entry<?, ?>) o).getKey();
            if (!to.containsKey(k)) out = out.without(k);
        }
        return out;
    }

    /** True if the tables hold the same entries. */
    static boolean same(List<IPersistentMap> a, List<IPersistentMap> b) {
        if (a.size() != b.size()) return false;
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i) != b.get(i) && !Util.equiv(a.get(i), b.get(i))) return false;
        }
        return true;
    }

    /** A table of strings (a namespace's aliases, refers or imports) as a map. */
    static IPersistentMap table(Map<String, String> m) {
        return m.isEmpty() ? PersistentArrayMap.EMPTY : PersistentHashMap.create(m);
    }

    /** A map of strings back from {@link #table}, sorted as a namespace's content is. */
    static Map<String, String> strings(IPersistentMap table) {
        Map<String, String> out = new java.util.TreeMap<>();
        for (Object o : (Iterable<?>) table) {
            Map.Entry<?, ?> e = (Map.Entry<?, ?>) o;
            out.put((String) e.getKey(), (String) e.getValue());
        }
        return out;
    }
}
