package entangle.sharing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

import clojure.lang.Namespace;
import clojure.lang.Symbol;

/**
 * What a member says of classes that other members' code names and its classpath lacks: each
 * once a namespace and class, and nothing of a class that is still to come with its record
 * (a named class or a direct-linked fn of a namespace this member or the cluster has). The
 * cross-JVM behaviour is ClasspathNamespacesTest's; these are the rules, one JVM, no cluster.
 */
class ClasspathTest {
    private static final String A = "127.0.0.1:5701";

    private final List<String> said = new ArrayList<>();
    /** Namespaces the cluster holds records of, though this JVM has not made them. */
    private final Set<String> clusterHas = Set.of("app.cluster-only");
    private final Classpath classpath = new Classpath(clusterHas::contains, said::add);

    static {
        clojure.java.api.Clojure.var("clojure.core", "+"); // Clojure's runtime, as in any member
        Namespace.findOrCreate(Symbol.intern("app.here"));
    }

    @Test
    void aClassCodeUsesIsSaidOnceANamespaceAndClass() {
        classpath.sayNotFound("app.fns", "#'app.fns/loud", A, List.of("extra.java.Shout"));
        classpath.sayNotFound("app.fns", "#'app.fns/louder", A, List.of("extra.java.Shout"));
        classpath.sayNotFound("app.other", "#'app.other/loud", A, List.of("extra.java.Shout"));
        assertEquals(List.of(
            "#'app.fns/loud from member 127.0.0.1:5701 uses class extra.java.Shout, which is not on this member's"
                + " classpath; it was defined here and will fail where it uses it.",
            "#'app.other/loud from member 127.0.0.1:5701 uses class extra.java.Shout, which is not on this member's"
                + " classpath; it was defined here and will fail where it uses it."), said);
    }

    @Test
    void classesStillToComeWithTheirRecordsAreNotSaid() {
        classpath.sayNotFound("app.fns", "#'app.fns/f", A, List.of(
            "app.here.Point",                          // a deftype of a namespace this member has
            "app.cluster_only.Point",                  // ... or the cluster has
            "app.here.proxy$java.lang.Object$ff19274a", // a proxy's class, named after its namespace
            "app.here$helper",                         // a direct-linked call's fn class
            "app.cluster_only$helper"));
        assertEquals(List.of(), said);
    }

    @Test
    void anImportIsSaidOnceAndOneThatMayStillArriveIsLeftToWait() {
        assertFalse(classpath.sayImportNotFound("app.ns", "app.here.Point"));
        assertFalse(classpath.sayImportNotFound("app.ns", "app.cluster_only.Point"));
        // A fn's class is never imported by name, so never waited for as one.
        assertTrue(classpath.sayImportNotFound("app.ns", "app.here$helper"));
        said.clear();
        assertTrue(classpath.sayImportNotFound("app.ns", "extra.java.Shout"));
        assertTrue(classpath.sayImportNotFound("app.ns", "extra.java.Shout"));
        // Said as an import: the namespace's code that uses it is not said again.
        classpath.sayNotFound("app.ns", "#'app.ns/f", A, List.of("extra.java.Shout"));
        assertEquals(List.of("namespace app.ns imports extra.java.Shout, which is not on this member's classpath;"
            + " shared definitions that use it will fail here."), said);
    }

    @Test
    void aNamespaceThatCannotBeLoadedIsSaidOnceALoad() {
        classpath.require("no.such.namespace", "required on member 127.0.0.1:5701");
        classpath.require("no.such.namespace", "required on member 127.0.0.1:5701");
        assertEquals(1, said.size(), said.toString());
        assertTrue(said.get(0).startsWith("namespace no.such.namespace (required on member 127.0.0.1:5701) cannot be"
            + " loaded from this member's classpath: Could not locate no/such/namespace__init.class"), said.get(0));
        assertTrue(said.get(0).endsWith("; shared definitions that use it will fail here."), said.get(0));
        assertFalse(Classpath.loaded("no.such.namespace"));
    }
}
