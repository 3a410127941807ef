package entangle.unit;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Which units of a batch read from the cluster can share one loader. A loader a unit costs the
 * JVM about 30 µs (its loader data, and every class the unit's code names resolved again
 * through it): about half of what defining 10,000 one-fn units costs, and a fifth of the sync
 * of a member joining a cluster that holds a loaded file of 10,000 defns. Units share a loader
 * only where no lookup can tell: they are fns (every class a subclass of {@code AFunction} or
 * {@code RestFn}, so none is a type that code finds by name), nested in the same unit (or in
 * none), no name is defined by two of them, and none of their classes names a class another of
 * them defines (a direct-linked call does): every name a class's code resolves through the
 * shared loader is then one of its own unit's or one it would resolve the same way alone.
 *
 * <p>What sharing keeps: a loader's classes go together, once no value refers to any of
 * them, so an old definition's class stays until its loader's other units are unused too.
 */
final class UnitGroups {
    /** At most this many units a loader, so that what one old definition keeps is bounded. */
    static final int MAX_UNITS = 512;

    private static final Set<String> FN_SUPERCLASSES = Set.of("clojure/lang/AFunction", "clojure/lang/RestFn");

    private UnitGroups() {}

    /** The groups of two or more of {@code units} that can share a loader, each of at most {@link #MAX_UNITS}. */
    static List<List<Unit>> of(Collection<Unit> units) {
        if (units.size() < 2) return List.of();
        Map<String, List<Unit>> byParent = new LinkedHashMap<>();
        for (Unit u : units) {
            if (isFns(u)) byParent.computeIfAbsent(Objects.toString(u.parent(), ""), p -> new ArrayList<>()).add(u);
        }
        List<List<Unit>> out = new ArrayList<>();
        for (List<Unit> siblings : byParent.values()) {
            List<Unit> kept = independent(siblings);
            for (int from = 0; from + 1 < kept.size(); from += MAX_UNITS) {
                out.add(kept.subList(from, Math.min(from + MAX_UNITS, kept.size())));
            }
        }
        return out;
    }

    /** The units of {@code siblings} that define no name another defines, and name no class another defines. */
    private static List<Unit> independent(List<Unit> siblings) {
        Map<String, Unit> owner = new HashMap<>();
        Set<Unit> out = new HashSet<>();
        for (Unit u : siblings) {
            for (String name : u.classNames()) {
                Unit before = owner.putIfAbsent(name, u);
                if (before != null && before != u) {
                    out.add(before);
                    out.add(u);
                }
            }
        }
        List<Unit> kept = new ArrayList<>();
        for (Unit u : siblings) {
            if (!out.contains(u) && !namesAnother(u, owner)) kept.add(u);
        }
        return kept;
    }

    private static boolean namesAnother(Unit u, Map<String, Unit> owner) {
        try {
            return namesAnotherIn(u, owner);
        } catch (RuntimeException e) {
            return true; // bytes ASM cannot walk: left to a loader of its own, whose JVM will say what is wrong
        }
    }

    private static boolean isFns(Unit u) {
        for (String name : u.classNames()) {
            try {
                if (!FN_SUPERCLASSES.contains(new clojure.asm.ClassReader(u.classBytes(name)).getSuperName())) return false;
            } catch (RuntimeException e) {
                return false; // not a class file ASM reads: left to a loader of its own, whose JVM will say so
            }
        }
        return true;
    }

    /**
     * True if a class of {@code u} names a class another unit in {@code owner} defines: any
     * constant of its class file (a class reference, a descriptor, a string) that is, or holds
     * as {@code L...;}, such a name.
     */
    private static boolean namesAnotherIn(Unit u, Map<String, Unit> owner) {
        for (String name : u.classNames()) {
            byte[] b = u.classBytes(name);
            clojure.asm.ClassReader r = new clojure.asm.ClassReader(b);
            for (int i = 1; i < r.getItemCount(); i++) {
                int at = r.getItem(i);
                if (at == 0 || b[at - 1] != 1) continue; // CONSTANT_Utf8 only
                String s = utf8(b, at);
                if (s == null || othersName(s.replace('/', '.'), u, owner)) return true;
                for (int l = s.indexOf('L'); l >= 0; l = s.indexOf('L', l + 1)) {
                    int end = s.indexOf(';', l);
                    if (end < 0) break;
                    if (othersName(s.substring(l + 1, end).replace('/', '.'), u, owner)) return true;
                }
            }
        }
        return false;
    }

    private static boolean othersName(String name, Unit u, Map<String, Unit> owner) {
        Unit o = owner.get(name);
        return o != null && o != u;
    }

    /** The CONSTANT_Utf8 whose length is at {@code at}, or null if it is not modified UTF-8. */
    private static String utf8(byte[] b, int at) {
        int len = ((b[at] & 0xFF) << 8) | (b[at + 1] & 0xFF);
        boolean ascii = true;
        for (int i = at + 2; i < at + 2 + len && ascii; i++) ascii = b[i] > 0;
        if (ascii) return new String(b, at + 2, len, java.nio.charset.StandardCharsets.ISO_8859_1);
        try {
            return new DataInputStream(new ByteArrayInputStream(b, at, len + 2)).readUTF();
        } catch (IOException e) {
            return null;
        }
    }
}
