package entangle.value;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * What a shared value may contain, besides classes from units (code the cluster holds, each
 * checked against its hash): Clojure's own data structures and compiled fns, specs, the JDK's
 * value types and collections, enums. Checked when a member writes a value and again when one
 * reads it, so that nothing else is ever deserialized from the cluster's maps.
 *
 * <p>The system property {@code entangle.shareable.classes} adds class names, or package
 * prefixes ending in '.', separated by commas.
 */
public final class ShareableClasses {
    /** The system property that names more classes of the classpath whose instances may travel. */
    public static final String PROPERTY = "entangle.shareable.classes";

    private static final Set<String> CLASSES = Set.of(
        "entangle.value.Portable", "entangle.value.Instance", "entangle.value.FnValue",
        // A cluster atom travels as its id (AtomRef); the filter also checks what readResolve makes of it.
        "entangle.sharing.AtomRef", "entangle.sharing.ClusterAtom",
        // A class as a value, written by its name (see ClassRef).
        "entangle.value.ClassRef",
        // What a fn run on another member threw (entangle.remote): class names, messages, stack
        // traces and ex-data, which came back as plain data.
        "entangle.remote.RemoteException", "entangle.remote.RemoteException$Remote",
        // A Class in a stream is a class descriptor, resolved by its annotation like any other.
        "java.lang.Class",
        "java.lang.Object", "java.lang.String", "java.lang.Boolean", "java.lang.Character",
        "java.lang.Byte", "java.lang.Short", "java.lang.Integer", "java.lang.Long",
        "java.lang.Float", "java.lang.Double", "java.lang.Number", "java.lang.Enum",
        // An exception's stack trace (exceptions: see EXCEPTION_PACKAGES).
        "java.lang.StackTraceElement",
        "java.math.BigInteger", "java.math.BigDecimal", "java.math.MathContext", "java.math.RoundingMode",
        "java.util.UUID", "java.util.Date", "java.util.Locale", "java.util.regex.Pattern", "java.net.URI",
        // A path, as a string is: each member reads it against its own file system. (Not
        // java.net.URL, whose hashCode resolves its host: a known deserialization gadget.)
        "java.io.File",
        "java.util.ArrayList", "java.util.LinkedList", "java.util.ArrayDeque", "java.util.Vector",
        "java.util.HashMap", "java.util.LinkedHashMap", "java.util.TreeMap", "java.util.Hashtable",
        "java.util.HashSet", "java.util.LinkedHashSet", "java.util.TreeSet", "java.util.CollSer",
        "java.util.Arrays$ArrayList", "java.util.concurrent.ConcurrentHashMap",
        // Not in a stream: HashMap, HashSet and Hashtable ask the filter for an array of it as
        // they read, for the table they are about to allocate.
        "java.util.Map$Entry",
        // The edit marker in PersistentHashMap's nodes (always empty in a persistent map).
        "java.util.concurrent.atomic.AtomicReference",
        "java.util.concurrent.ConcurrentHashMap$Segment", "java.util.concurrent.locks.ReentrantLock",
        "java.util.concurrent.locks.ReentrantLock$Sync", "java.util.concurrent.locks.ReentrantLock$NonfairSync",
        "java.util.concurrent.locks.AbstractQueuedSynchronizer",
        "java.util.concurrent.locks.AbstractOwnableSynchronizer");
    /**
     * Exceptions travel (ex-info, *e: a CompilerException and the JDK exception it wraps) from
     * Clojure and from these packages of the JDK, whose exceptions hold messages, causes and
     * stack traces; not from the JDK's others (javax.management's BadAttributeValueExpException
     * is a known deserialization gadget).
     */
    private static final Set<String> EXCEPTION_PACKAGES = Set.of(
        "java.lang", "java.io", "java.util", "java.util.concurrent", "java.time", "java.net");
    private static final List<String> PREFIXES = List.of(
        "clojure.lang.", "java.time.", "java.util.Collections$", "java.util.ImmutableCollections$");
    private static final List<String> EXTRA = Arrays.stream(
            System.getProperty(PROPERTY, "").split(","))
        .map(String::trim).filter(s -> !s.isEmpty()).toList();

    private ShareableClasses() {}

    /**
     * Why an instance of a class from the classpath, Serializable but not allowed, stays: the
     * way to let it travel is the user's to take, knowing the class.
     */
    static String notNamed(String whose, Class<?> c) {
        if (c == java.net.URL.class) return "a URL resolves its host as it is read; hold a java.net.URI instead";
        if (jdk(c)) {
            return "a JDK class that is not among the value types a shared value may hold, and " + whose + "-D"
                + PROPERTY + " does not name";
        }
        return "a class from the classpath that " + whose + "-D" + PROPERTY + " does not name";
    }

    /** True if {@code c} is the JDK's own (a class of the boot layer's named modules). */
    private static boolean jdk(Class<?> c) {
        Module m = c.getModule();
        return m.isNamed() && m.getLayer() == ModuleLayer.boot() && m.getName().startsWith("java.");
    }

    /** True if a class from the classpath may be part of a shared value. */
    public static boolean allowed(Class<?> c) {
        while (c.isArray()) c = c.getComponentType();
        if (c.isPrimitive() || c.isEnum()) return true;
        if (c.getSuperclass() != null && c.getSuperclass().isEnum()) return true;
        String name = c.getName();
        if (CLASSES.contains(name)) return true;
        if (Throwable.class.isAssignableFrom(c) && EXCEPTION_PACKAGES.contains(c.getPackageName())) return true;
        // What a Path read as its string resolves to (see Portable); no Path is Serializable itself.
        if (java.nio.file.Path.class.isAssignableFrom(c)) return true;
        // What a vector-of vector, an eduction and a charset read as resolve to (see Portable).
        if (name.equals(Portable.PRIMITIVE_VECTOR) || name.equals(Portable.EDUCTION)
            || java.nio.charset.Charset.class.isAssignableFrom(c)) return true;
        for (String p : PREFIXES) if (name.startsWith(p)) return true;
        // Compiled fns, AOT or not: a fn's fields are its captured values, checked in turn.
        if (clojure.lang.AFunction.class.isAssignableFrom(c)) return true;
        // A spec's parts, rebuilt from their fields (see Instance), which are checked in turn.
        if (Instance.ofSpec(c)) return true;
        for (String e : EXTRA) {
            if (e.endsWith(".") ? name.startsWith(e) : name.equals(e)) return true;
        }
        return false;
    }
}
