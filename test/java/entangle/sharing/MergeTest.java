package entangle.sharing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

import clojure.lang.IPersistentMap;
import clojure.lang.PersistentArrayMap;
import clojure.lang.PersistentHashMap;

class MergeTest {
    private static IPersistentMap map(Object... kvs) {
        return kvs.length == 0 ? PersistentArrayMap.EMPTY : PersistentHashMap.create(kvs);
    }

    private static List<IPersistentMap> tables(IPersistentMap... maps) {
        return List.of(maps);
    }

    @Test
    void whatThisMemberChangedAndHasNotPublishedStaysOnTopOfTheRecord() {
        // Known {:a 1 :b 2}; this member then put :c and removed :b; the record put :d and changed :a.
        List<IPersistentMap> held = Merge.applied(tables(map("a", 10, "b", 2, "d", 4)), 3, null,
                                                  tables(map("a", 1, "b", 2)), tables(map("a", 1, "c", 3)));
        assertEquals(map("a", 10, "c", 3, "d", 4), held.get(0));
    }

    @Test
    void thisMembersLastWriteStaysOnTopOfARecordThatDidNotSeeIt() {
        // Both made from version 1 ({:a 1}): this member wrote version 2 with :b added and :a removed,
        // the other member's write landed after it as version 3, with :c added.
        Merge.Own own = new Merge.Own(2, 1, tables(map("a", 1)), tables(map("b", 2)));
        List<IPersistentMap> theirs = tables(map("a", 1, "c", 3));
        assertEquals(map("b", 2, "c", 3), Merge.applied(theirs, 1, own, tables(map("b", 2)), tables(map("b", 2))).get(0));
        // A record made from this member's write has seen it: taken as it is, a removal of :b included.
        assertEquals(map("c", 3), Merge.applied(tables(map("c", 3)), 2, own, tables(map("b", 2)), tables(map("b", 2)))
            .get(0));
    }

    @Test
    void onOneEntryThisMembersChangeWins() {
        Merge.Own own = new Merge.Own(2, 1, tables(map("a", 1)), tables(map("a", 2)));
        assertEquals(map("a", 2), Merge.applied(tables(map("a", 3)), 1, own, tables(map("a", 2)), tables(map("a", 2)))
            .get(0));
    }

    @Test
    void tablesMergeEachWithItsOwnCounterpart() {
        List<IPersistentMap> held = Merge.redo(tables(map("x", 1), map()), tables(map(), map()),
                                               tables(map(), map("y", 2)));
        assertEquals(tables(map("x", 1), map("y", 2)), held);
        assertEquals(true, Merge.same(held, tables(map("x", 1), map("y", 2))));
    }
}
