package entangle.unit;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import clojure.lang.DynamicClassLoader;
import entangle.RefusedException;
import entangle.hook.CapturedClasses;
import entangle.hook.CapturedClasses.LoaderClasses;

/**
 * This member's view of units: which unit a class belongs to (sealing the classes this member
 * compiled into units on first use), and which class a (unit, name) pair names, loading
 * units from the cluster as needed. Loaders are held weakly: a unit no value refers to any
 * more goes away, as an old definition's classes do in a plain REPL (with the units it shares
 * a loader with, see {@link UnitGroups}).
 */
public final class Units {
    private final UnitStore store;
    private final ClassLoader base;
    private final Map<String, WeakReference<UnitLoader>> clusterLoaders = new ConcurrentHashMap<>();
    private final Map<String, WeakReference<ClassLoader>> localLoaders = new ConcurrentHashMap<>();

    public Units(UnitStore store) {
        this.store = store;
        this.base = clojure.lang.RT.class.getClassLoader();
    }

    public UnitStore store() { return store; }

    /**
     * The unit {@code c} belongs to, followed by the units it is nested in; empty for a class
     * no DynamicClassLoader defined since capture began (a classpath or AOT class).
     */
    public List<Unit> unitsOf(Class<?> c) {
        List<Unit> out = new ArrayList<>(2);
        for (ClassLoader p = c.getClassLoader(); p != null; p = p.getParent()) {
            if (p instanceof UnitLoader ul) {
                out.addAll(ul.chain(p == c.getClassLoader() ? c.getName() : null));
                break;
            }
            LoaderClasses group = CapturedClasses.of(p);
            if (group != null && group.size() > 0) out.add(seal(p, group));
            else if (!(p instanceof DynamicClassLoader)) break;
        }
        return out;
    }

    /** The unit of the classes {@code loader} defined, followed by the units it is nested in. */
    public List<Unit> unitsOf(ClassLoader loader) {
        List<Unit> out = new ArrayList<>(2);
        LoaderClasses group = CapturedClasses.of(loader);
        if (group == null || group.size() == 0) return out;
        out.add(seal(loader, group));
        String parent = out.get(0).parent();
        if (parent != null) {
            for (ClassLoader p = loader.getParent(); p != null; p = p.getParent()) {
                List<Unit> up = unitsOfLoader(p);
                if (!up.isEmpty()) {
                    out.addAll(up);
                    break;
                }
                if (!(p instanceof DynamicClassLoader)) break;
            }
        }
        return out;
    }

    private List<Unit> unitsOfLoader(ClassLoader p) {
        if (p instanceof UnitLoader ul) return ul.chain(null);
        return unitsOf(p);
    }

    // Resolves names as the Clojure compiler does, whatever thread asks: the newest class a
    // DynamicClassLoader defined under the name, then the classpath.
    private static final ClassLoader NAMES = new NameLookup(clojure.lang.RT.class.getClassLoader());

    private static final class NameLookup extends DynamicClassLoader implements CapturedClasses.ClusterLoader {
        NameLookup(ClassLoader parent) {
            super(parent);
        }
    }

    /** Finds a named class in the cluster's records when this member does not know it yet; see {@link #lookUpNamedClassesWith}. */
    private static volatile java.util.function.Function<String, Class<?>> clusterNames = name -> null;

    /**
     * Sets how a class name this member does not know is looked up in the cluster: the
     * function returns the class (made the newest of its name here) or null.
     */
    public static void lookUpNamedClassesWith(java.util.function.Function<String, Class<?>> lookup) {
        clusterNames = lookup;
    }

    static Class<?> fromCluster(String name) {
        return clusterNames.apply(name);
    }

    /**
     * The class {@code name} of a value written by its name: this member's own of a namespace
     * loaded from the classpath, if it loaded one under that name (a type the file was loaded
     * at a REPL again since, changed, made newer under that name: a record made before is of
     * the type the load made); else the class this member's compiler finds under it.
     */
    public static Class<?> byNameAsLoaded(String name) throws ClassNotFoundException {
        Class<?> loaded = classpathClass(name);
        return loaded != null ? loaded : byName(name);
    }

    /** The class {@code name} this member's last load of a namespace from the classpath defined, or null. */
    private static Class<?> classpathClass(String name) {
        ClassLoader l = CapturedClasses.classpathLoaderOf(name);
        try {
            return l == null ? null : Class.forName(name, false, l);
        } catch (ClassNotFoundException | LinkageError e) {
            return null; // gone with its loader
        }
    }

    /** The class this member's compiler finds under {@code name}. */
    public static Class<?> byName(String name) throws ClassNotFoundException {
        return Class.forName(name, false, NAMES);
    }

    /**
     * Makes {@code c} the class this member's compiler finds by its name, as it finds the
     * newest class a DynamicClassLoader defined under a name.
     */
    public static void makeNewest(Class<?> c) {
        NameCache.put(c.getName(), c);
    }

    /**
     * Makes {@code c}, if a unit from the cluster defined it, the class this member's compiler
     * finds by its name, as the compiler's own loader made it on the member that compiled it.
     */
    public static void nameAsCompiled(Class<?> c) {
        if (c.getClassLoader() instanceof UnitLoader) makeNewest(c);
    }

    /** True if {@code c} was compiled by a DynamicClassLoader before capture began. */
    public static boolean compiledBeforeCapture(Class<?> c) {
        ClassLoader l = c.getClassLoader();
        return l instanceof DynamicClassLoader && !(l instanceof UnitLoader) && CapturedClasses.of(l) == null;
    }

    private Unit seal(ClassLoader loader, LoaderClasses group) {
        String parentHash = parentHash(group.parent());
        Unit u = group.sealed(parentHash, classes -> Unit.of(parentHash, classes, linksOf(loader, classes),
                                                             definition(group, classes)));
        localLoaders.putIfAbsent(u.hash(), new WeakReference<>(loader));
        return u;
    }

    /**
     * The named classes that Clojure compiled (here or on another member) and that the classes
     * {@code loader} defined extend or implement, each with the hash of the unit of the one the
     * JVM linked them to here; or {@link Unit#CLASSPATH} for one of a namespace loaded from the
     * classpath, which each member loads itself: there, its own. Those of {@code loader} and
     * of the loaders it is nested in resolve inside the unit's chain anyway.
     */
    private Map<String, String> linksOf(ClassLoader loader, List<CapturedClasses.Defined> classes) {
        Map<String, String> links = new HashMap<>();
        for (CapturedClasses.Defined d : classes) {
            Class<?> c;
            try {
                c = Class.forName(d.name(), false, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                continue;
            }
            if (c.getClassLoader() != loader) continue;
            List<Class<?>> supertypes = new ArrayList<>(List.of(c.getInterfaces()));
            if (c.getSuperclass() != null) supertypes.add(c.getSuperclass());
            for (Class<?> s : supertypes) {
                if (nestedIn(loader, s.getClassLoader())) continue;
                if (loadedFromClasspath(s) || compiledBeforeCapture(s)) {
                    links.putIfAbsent(s.getName(), Unit.CLASSPATH);
                    continue;
                }
                if (!evaluated(s)) continue;
                List<Unit> chain = unitsOf(s);
                if (!chain.isEmpty()) links.putIfAbsent(s.getName(), chain.get(0).hash());
            }
        }
        return links;
    }

    /**
     * The id of the evaluation that defined {@code classes} if one of them is a named class,
     * found by its name (a deftype, a record, an interface; not a fn's or a reify's, named from
     * the evaluation): see {@link Unit}. Else "", and for a namespace loaded from the classpath,
     * whose classes every member compiles from its own copy of the file, alike.
     */
    private static String definition(LoaderClasses group, List<CapturedClasses.Defined> classes) {
        if (group.classpath()) return "";
        for (CapturedClasses.Defined d : classes) if (d.name().indexOf('$') < 0) return group.definition();
        return "";
    }

    private static boolean nestedIn(ClassLoader loader, ClassLoader other) {
        for (ClassLoader p = loader; p != null; p = p.getParent()) if (p == other) return true;
        return false;
    }

    /**
     * The class {@code name} of unit {@code hash}, for a class of another unit that extends or
     * implements it (see {@link Unit#linkedUnit}); null if that unit cannot be had, and the
     * name then resolves as any other.
     */
    private Class<?> linked(String hash, String name) {
        try {
            return hash.equals(Unit.CLASSPATH) ? classpathClass(name) : resolve(hash, name);
        } catch (RefusedException | ClassNotFoundException | LinkageError e) {
            return null;
        }
    }

    private String parentHash(ClassLoader p) {
        for (; p != null; p = p.getParent()) {
            if (p instanceof UnitLoader ul) {
                List<Unit> chain = ul.chain(null);
                return chain.isEmpty() ? null : chain.get(0).hash();
            }
            LoaderClasses group = CapturedClasses.of(p);
            if (group != null && group.size() > 0) return seal(p, group).hash();
            if (!(p instanceof DynamicClassLoader)) return null;
        }
        return null;
    }

    /** The class {@code name} of unit {@code hash}: this member's own if it compiled that unit. */
    public Class<?> resolve(String hash, String name) throws RefusedException, ClassNotFoundException {
        WeakReference<ClassLoader> ref = localLoaders.get(hash);
        ClassLoader local = ref == null ? null : ref.get();
        if (local != null) return Class.forName(name, false, local);
        UnitLoader l = loaderFor(hash);
        if (!l.unit(hash).defines(name) && !name.startsWith("[")) {
            throw new RefusedException("unit " + ContentHash.shortHex(hash) + " does not define " + name);
        }
        return Class.forName(name, false, l);
    }

    /**
     * True if {@code c} is a class a unit from the cluster defined and its bytes declare no
     * instance fields; false if it has some, or is not such a class. Reflection would build
     * {@code c}'s reflection data to say so: 0.4 s of CPU in a joining member's sync of 10,000
     * fns that captured nothing.
     */
    public static boolean declaresNoInstanceFields(Class<?> c) {
        if (!(c.getClassLoader() instanceof UnitLoader l)) return false;
        Unit u = l.unitOfClass(c.getName());
        byte[] bytes = u == null ? null : u.classBytes(c.getName());
        if (bytes == null) return false;
        boolean[] found = {false};
        new clojure.asm.ClassReader(bytes).accept(new clojure.asm.ClassVisitor(clojure.asm.Opcodes.ASM6) {
            @Override
            public clojure.asm.FieldVisitor visitField(int access, String name, String desc, String signature, Object value) {
                if ((access & clojure.asm.Opcodes.ACC_STATIC) == 0) found[0] = true;
                return null;
            }
        }, clojure.asm.ClassReader.SKIP_CODE | clojure.asm.ClassReader.SKIP_DEBUG | clojure.asm.ClassReader.SKIP_FRAMES);
        return !found[0];
    }

    /**
     * True if evaluation compiled {@code c}, on this member or another (from the cluster): not
     * loading a namespace from the classpath, which each member does itself.
     */
    public static boolean evaluated(Class<?> c) {
        ClassLoader l = c.getClassLoader();
        if (l instanceof UnitLoader) return true;
        CapturedClasses.LoaderClasses group = l == null ? null : CapturedClasses.of(l);
        return group != null && !group.classpath();
    }

    /**
     * True if {@code c} was compiled as its namespace was loaded from the classpath, since
     * capture began: every member compiles its own from its own copy of the file, and finds it
     * by name.
     */
    public static boolean loadedFromClasspath(Class<?> c) {
        ClassLoader l = c.getClassLoader();
        if (!(l instanceof DynamicClassLoader) || l instanceof UnitLoader) return false;
        CapturedClasses.LoaderClasses group = CapturedClasses.of(l);
        return group != null && group.classpath();
    }

    /** True if {@code c} came from a unit: code the cluster holds, checked against its hash. */
    public static boolean fromUnit(Class<?> c) {
        ClassLoader l = c.getClassLoader();
        return l instanceof UnitLoader || (l != null && CapturedClasses.of(l) != null);
    }

    /**
     * The classes that the code of unit {@code hash}, from another member, names and this
     * member cannot find by name (see {@link UnitLoader#namesNotFound}); none for a unit this
     * member compiled, or has no loader for.
     */
    public List<String> namesNotFound(String hash) {
        UnitLoader l = liveClusterLoader(hash);
        return l == null ? List.of() : l.namesNotFound(hash);
    }

    private UnitLoader liveClusterLoader(String hash) {
        WeakReference<UnitLoader> ref = clusterLoaders.get(hash);
        return ref == null ? null : ref.get();
    }

    UnitLoader loaderFor(String hash) throws RefusedException {
        UnitLoader l = liveClusterLoader(hash);
        if (l != null) return l;
        return install(store.fetch(hash));
    }

    private synchronized UnitLoader install(Unit u) throws RefusedException {
        UnitLoader l = liveClusterLoader(u.hash());
        if (l != null) return l;
        UnitLoader parent = u.parent() == null ? null : loaderFor(u.parent());
        l = new UnitLoader(List.of(u), parent, base, this::linked);
        clusterLoaders.put(u.hash(), new WeakReference<>(l));
        return l;
    }

    /**
     * One loader for {@code group} (see {@link UnitGroups}), less any unit that has a loader
     * already; null if fewer than two are left.
     */
    private synchronized UnitLoader installGroup(List<Unit> group, UnitLoader parent) {
        List<Unit> left = new ArrayList<>(group.size());
        for (Unit u : group) if (liveClusterLoader(u.hash()) == null) left.add(u);
        if (left.size() < 2) return null;
        UnitLoader l = new UnitLoader(left, parent, base, this::linked);
        for (Unit u : left) clusterLoaders.put(u.hash(), new WeakReference<>(l));
        return l;
    }

    /**
     * Loads many units (and the units they are nested in) in as few round trips as it can.
     * Returns the loaders, which the caller holds while it uses them; units that failed their
     * check are reported in {@code refused}.
     */
    public List<Object> prefetch(Collection<String> hashes, Map<String, RefusedException> refused) {
        return prefetch(hashes, Map.of(), refused);
    }

    /**
     * As {@link #prefetch(Collection, Map)}, reading the units in {@code given} (hash to
     * encoding, as a var record carries them) from there rather than from the cluster.
     */
    public List<Object> prefetch(Collection<String> hashes, Map<String, byte[]> given, Map<String, RefusedException> refused) {
        List<Object> held = new ArrayList<>();
        Map<String, Unit> batch = new HashMap<>();
        Set<String> toFetch = new LinkedHashSet<>();
        for (String h : hashes) {
            Object l = available(h);
            if (l != null) held.add(l);
            else if (!refused.containsKey(h)) toFetch.add(h);
        }
        while (!toFetch.isEmpty()) {
            Map<String, Unit> fetched = store.fetchAll(toFetch, given, refused);
            batch.putAll(fetched);
            toFetch = new LinkedHashSet<>();
            for (Unit u : fetched.values()) {
                String p = u.parent();
                if (p != null && !batch.containsKey(p) && available(p) == null && !refused.containsKey(p)) {
                    toFetch.add(p);
                }
            }
        }
        for (List<Unit> group : UnitGroups.of(batch.values())) {
            String p = group.get(0).parent();
            try {
                UnitLoader parent = p == null ? null : batch.containsKey(p) ? installWithParents(batch.get(p), batch) : loaderFor(p);
                UnitLoader l = installGroup(group, parent);
                if (l != null) held.add(l);
            } catch (RefusedException e) {
                // Left to the loop below, which refuses each unit of the group for it.
            }
        }
        for (Unit u : batch.values()) {
            try {
                held.add(installWithParents(u, batch));
            } catch (RefusedException e) {
                refused.put(u.hash(), e);
            }
        }
        return held;
    }

    private Object available(String hash) {
        UnitLoader l = liveClusterLoader(hash);
        if (l != null) return l;
        WeakReference<ClassLoader> local = localLoaders.get(hash);
        return local == null ? null : local.get();
    }

    private UnitLoader installWithParents(Unit u, Map<String, Unit> batch) throws RefusedException {
        if (u.parent() != null && liveClusterLoader(u.parent()) == null && batch.containsKey(u.parent())) {
            installWithParents(batch.get(u.parent()), batch);
        }
        return install(u);
    }
}
