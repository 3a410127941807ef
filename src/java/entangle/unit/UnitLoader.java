package entangle.unit;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import clojure.lang.DynamicClassLoader;
import entangle.hook.CapturedClasses;

/**
 * Loads the classes of units that came from the cluster: one unit, or several sibling units
 * (nested in the same unit, or in none) that {@link UnitGroups} found can share a loader.
 * A class's siblings (its unit) and the classes of the units it was nested in resolve here
 * first, so that another member's same-named class never stands in for them; a named class
 * they extend or implement resolves to the one they were defined with where they were
 * compiled (their unit's links); any other name resolves as it does for the Clojure compiler:
 * the newest class of that name, then the classpath.
 */
final class UnitLoader extends DynamicClassLoader implements CapturedClasses.ClusterLoader {
    private final Map<String, Unit> byHash = new LinkedHashMap<>();
    private final Map<String, Unit> byClassName = new HashMap<>();
    /** What {@link #namesNotFound} found for each unit here, by its hash. */
    private final Map<String, List<String>> notFound = new java.util.concurrent.ConcurrentHashMap<>();
    /** The unit every unit here was nested in, and the loader that holds it; both null if none. */
    private final Unit parentUnit;
    private final UnitLoader parentLoader;
    /** The links of the units here (see {@link Unit#linkedUnit}), and how a linked class is had. */
    private final Map<String, String> links = new HashMap<>();
    private final java.util.function.BiFunction<String, String, Class<?>> linked;

    /**
     * {@code units} are nested in the same unit (or none), held by {@code parentLoader}, and
     * define no class name twice. The JVM parent is {@code base} whatever the nesting: the
     * units they are nested in are looked up by name here (see loadClass), so that a loader
     * holding several units never answers for a sibling unit's class.
     */
    UnitLoader(Collection<Unit> units, UnitLoader parentLoader, ClassLoader base,
               java.util.function.BiFunction<String, String, Class<?>> linked) {
        super(base);
        this.linked = linked;
        String parent = units.iterator().next().parent();
        for (Unit u : units) {
            if (!java.util.Objects.equals(u.parent(), parent)) {
                throw new IllegalArgumentException("units nested in different units cannot share a loader");
            }
            byHash.put(u.hash(), u);
            u.links().forEach(links::putIfAbsent);
            for (String name : u.classNames()) {
                if (byClassName.putIfAbsent(name, u) != null) {
                    throw new IllegalArgumentException("two units define " + name + ": they cannot share a loader");
                }
            }
        }
        this.parentLoader = parentLoader;
        this.parentUnit = parentLoader == null ? null : parentLoader.unit(parent);
        if (parent != null && parentUnit == null) {
            throw new IllegalArgumentException("the parent loader does not hold unit " + ContentHash.shortHex(parent));
        }
    }

    /** The unit of {@code hash} if this loader holds it, else null. */
    Unit unit(String hash) { return byHash.get(hash); }

    /** The unit that defines {@code className} here, or null. */
    Unit unitOfClass(String className) { return byClassName.get(className); }

    /**
     * The unit of {@code className} followed by the units it is nested in. For a name this
     * loader does not define (a loader that nests other code), that of a loader of one unit is
     * the same list; a loader of several units gives only the units they are all nested in.
     */
    List<Unit> chain(String className) {
        List<Unit> out = new ArrayList<>(2);
        Unit own = className == null ? null : byClassName.get(className);
        if (own == null && byHash.size() == 1) own = byHash.values().iterator().next();
        if (own != null) out.add(own);
        for (UnitLoader l = this; l.parentLoader != null; l = l.parentLoader) out.add(l.parentUnit);
        return out;
    }

    /**
     * The classes that the code of unit {@code hash} (held here) names and this member cannot
     * find by name, in the order the code names them: none if it finds them all. The JVM
     * resolves a name only when the code that names it runs, so a definition that uses a class
     * of a library this member lacks is defined here as on the member that compiled it, and
     * fails only when it is called. Names of its own units, and of Java's and Clojure's
     * runtime, are not looked up; a named class of the cluster that has not arrived yet is
     * one of the names given.
     */
    List<String> namesNotFound(String hash) {
        return notFound.computeIfAbsent(hash, h -> lookUpNames(byHash.get(h)));
    }

    private static final int CONSTANT_CLASS = 7;

    private List<String> lookUpNames(Unit u) {
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        java.util.Set<String> looked = new java.util.HashSet<>();
        for (String className : u.classNames()) {
            try {
                lookUpNames(u, className, looked, out);
            } catch (RuntimeException e) {
                // Bytes ASM cannot read: the JVM refuses them when the class is defined, which says so.
            }
        }
        return out.isEmpty() ? List.of() : List.copyOf(out);
    }

    /** Adds to {@code out} the names that class {@code className} of {@code u} names and this member cannot find. */
    private void lookUpNames(Unit u, String className, java.util.Set<String> looked, java.util.Set<String> out) {
        clojure.asm.ClassReader r = new clojure.asm.ClassReader(u.classBytes(className));
        char[] chars = new char[r.getMaxStringLength()];
        for (int i = 1; i < r.getItemCount(); i++) {
            int at = r.getItem(i); // past the entry's tag; 0 for the slot after a long or double
            if (at == 0 || r.readByte(at - 1) != CONSTANT_CLASS) continue;
            String name = classOfEntry(r.readUTF8(at, chars));
            if (name == null || !looked.add(name) || name.startsWith("java.") || name.startsWith("clojure.lang.")
                || ownName(name)) {
                continue;
            }
            try {
                Units.byName(name);
            } catch (ClassNotFoundException e) {
                out.add(name);
            } catch (LinkageError e) {
                // Found, but a class it needs is not (its superclass, say): that one is missing.
                String needed = entangle.RefusedException.lackedClassOf(e);
                out.add(needed != null ? needed : name);
            }
        }
    }

    /** The class a constant pool's class entry names (an array's element class), or null for a primitive array. */
    private static String classOfEntry(String internalName) {
        if (!internalName.startsWith("[")) return internalName.replace('/', '.');
        String element = internalName.substring(internalName.lastIndexOf('[') + 1);
        return element.startsWith("L") ? element.substring(1, element.length() - 1).replace('/', '.') : null;
    }

    /** True if {@code name} is a class of a unit here or of a unit they are nested in. */
    private boolean ownName(String name) {
        if (byClassName.containsKey(name)) return true;
        for (UnitLoader l = this; l.parentLoader != null; l = l.parentLoader) {
            if (l.parentUnit.defines(name)) return true;
        }
        return false;
    }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        Unit own = byClassName.get(name);
        Class<?> c = own != null ? defineOwn(name, own) : null;
        for (UnitLoader l = this; c == null && l.parentLoader != null; l = l.parentLoader) {
            if (l.parentUnit.defines(name)) c = l.parentLoader.defineOwn(name, l.parentUnit);
        }
        String link = c == null ? links.get(name) : null;
        if (link != null) c = linked.apply(link, name);
        if (c != null) {
            if (resolve) resolveClass(c);
            return c;
        }
        try {
            return super.loadClass(name, resolve);
        } catch (ClassNotFoundException e) {
            // A named class another member defined whose record has not reached this member yet
            // (records from different maps arrive in any order): ask the cluster.
            c = Units.fromCluster(name);
            if (c == null) throw e;
            return c;
        }
    }

    private synchronized Class<?> defineOwn(String name, Unit unit) {
        Class<?> c = findLoadedClass(name);
        if (c == null) {
            byte[] b = unit.classBytes(name);
            c = defineClass(name, b, 0, b.length);
        }
        return c;
    }

    @Override
    public String toString() {
        return "UnitLoader[" + (byHash.size() == 1 ? byHash.values().iterator().next() : byHash.size() + " units") + "]";
    }
}
