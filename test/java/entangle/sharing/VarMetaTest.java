package entangle.sharing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import clojure.lang.Keyword;
import clojure.lang.Namespace;
import clojure.lang.PersistentHashMap;
import clojure.lang.Symbol;
import clojure.lang.Var;

/** A scan reads each var's meta without taking its monitor, and sees what the var's own accessor does. */
class VarMetaTest {
    @Test
    void aScanReadsAVarsMetaAsTheVarDoes() {
        assertTrue(Vars.readsMetaDirectly(), "this Clojure's AReference keeps meta in _meta");
        Var v = Var.intern(Namespace.findOrCreate(Symbol.intern("entangle.test.var-meta")), Symbol.intern("x"), 1L);
        assertSame(v.meta(), Vars.metaOf(v));
        v.setMeta(PersistentHashMap.create(Keyword.intern("doc"), "set"));
        assertSame(v.meta(), Vars.metaOf(v));
        assertEquals("set", Vars.metaOf(v).valAt(Keyword.intern("doc")));
        v.alterMeta(clojure.java.api.Clojure.var("clojure.core", "assoc"),
                    clojure.lang.RT.list(Keyword.intern("doc"), "altered"));
        assertSame(v.meta(), Vars.metaOf(v));
        assertEquals("altered", Vars.metaOf(v).valAt(Keyword.intern("doc")));
    }
}
