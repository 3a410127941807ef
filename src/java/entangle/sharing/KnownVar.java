package entangle.sharing;

import java.util.List;

import clojure.lang.IPersistentMap;
import clojure.lang.MultiFn;
import clojure.lang.Var;
import entangle.value.Specs;

/**
 * A shared var as this member last published or applied it: what a scan compares the var
 * with to find what evaluation changed, and the stamp a record must replace to be applied
 * (held in {@link Known}, under its lock).
 */
final class KnownVar {
    /** What no var's root is. */
    private static final Object UNPUBLISHED = new Object();

    Var var;
    Object root;
    IPersistentMap meta;
    boolean dynamic;
    /** The record applied or published here. */
    Stamp stamp;
    /** The stamp of the record that record's writer changed (see {@link Overwritten}). */
    Stamp base = Known.NEVER;
    /**
     * Of a record this member published: the stamp its hand-off had, where the write gave it
     * another version (see {@link Overwritten.Own}); otherwise null.
     */
    Stamp proposed;
    boolean local;
    boolean removed;
    /**
     * True if the last record published or applied here says that the root is what its
     * namespace's load from the classpath made ({@link VarRecord.Kind#LOADED}). A var of a
     * loaded namespace that no record was published or applied for (version 0) is the load's
     * too, without it.
     */
    boolean fromLoad;
    // A multimethod's methods change without its var's root changing.
    Object methods;
    Object prefers;
    /**
     * Of a multimethod or protocol of a namespace that is not shared: its evaluated methods
     * or extensions (what the cluster shares of it), as last published or applied here.
     */
    IPersistentMap extension;
    /**
     * Of clojure.spec.alpha's registry (see {@link Specs}): the map its atom held as last
     * published or applied here (the atom, its var's root, stays the same).
     */
    Object registryState;
    /** This member's last write of the var's tables, while a record may not have seen it. */
    Merge.Own own;

    KnownVar(Stamp stamp) {
        this.stamp = stamp;
    }

    long version() {
        return stamp.version();
    }

    void capture(Var v) {
        var = v;
        root = v.getRawRoot();
        meta = v.meta();
        dynamic = v.isDynamic();
        removed = false;
        captureTables(root);
    }

    /**
     * As {@link #capture}, for a multimethod or protocol of a namespace that is not shared,
     * whose evaluated methods or extensions are {@code extensions}.
     */
    void captureExtension(Var v, IPersistentMap extensions) {
        capture(v);
        extension = extensions;
    }

    /**
     * Makes the next scan look at the var: what it holds now has changes the record last
     * applied lacks (see {@link Merge}).
     */
    void unpublished() {
        root = UNPUBLISHED;
    }

    /**
     * True if the var's root is not the one last published or applied here, and no merge made
     * it so: code of this member's changed it since (an evaluation still running, a thread of
     * its own), and no scan has published that change yet.
     */
    boolean changedHere() {
        return var != null && !removed && root != UNPUBLISHED && var.getRawRoot() != root;
    }

    /** A multimethod's tables as known (methods, prefers), or null if not known as a multimethod. */
    List<IPersistentMap> methodTables() {
        return methods == null ? null : List.of((IPersistentMap) methods, (IPersistentMap) prefers);
    }

    void captureTables(Object r) {
        methods = r instanceof MultiFn m ? m.getMethodTable() : null;
        prefers = r instanceof MultiFn m ? m.getPreferTable() : null;
        registryState = Specs.isRegistry(r) ? Specs.state(r) : null;
    }

    boolean differs(Var v) {
        Object r = v.getRawRoot();
        if (removed || var != v || r != root || Vars.metaOf(v) != meta || v.isDynamic() != dynamic) return true;
        if (registryState != null) return Specs.state(r) != registryState;
        // The root known: bound as it was, and a multimethod if it was one (methods is never
        // null for a multimethod). Not looking into the root keeps a scan, which does this
        // for every var of every shared namespace, from reading 10,000 roots' headers.
        return methods != null
            && (!(r instanceof MultiFn m) || m.getMethodTable() != methods || m.getPreferTable() != prefers);
    }
}
