package entangle.hook;

import java.lang.ref.WeakReference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The bytes of every class a {@code clojure.lang.DynamicClassLoader} defined since the hook
 * was installed, grouped by the loader that defined them. A loader's group becomes a unit of
 * classes when something shared refers to it. Entries go away with their loader.
 */
public final class CapturedClasses {
    /** Loaders entangle creates itself to load units from the cluster; never captured. */
    public interface ClusterLoader {}

    /** One defined class. */
    public record Defined(String name, byte[] bytes) {}

    /** The classes one loader defined, in definition order. */
    public static final class LoaderClasses {
        private final WeakReference<ClassLoader> parent;
        private final boolean classpath;
        private final List<Defined> classes = new ArrayList<>(2);
        private Object sealed;
        private int sealedCount = -1;
        private String sealedParent;

        LoaderClasses(ClassLoader parent, boolean classpath) {
            this.parent = new WeakReference<>(parent);
            this.classpath = classpath;
        }

        private String definition;

        /**
         * An id of this loader's definition, random, the same every time it is asked: two
         * loaders that define the same bytes made two different classes (see {@code Unit}).
         */
        public synchronized String definition() {
            if (definition == null) definition = java.util.UUID.randomUUID().toString();
            return definition;
        }

        /** The loader's parent loader, or null once it has gone. */
        public ClassLoader parent() { return parent.get(); }

        /** True if the classes were compiled while loading a namespace from the classpath. */
        public boolean classpath() { return classpath; }

        public synchronized List<Defined> classes() { return List.copyOf(classes); }

        public synchronized int size() { return classes.size(); }

        synchronized void add(Defined d) { classes.add(d); }

        /**
         * The value {@code sealer} made of these classes under {@code parentHash}, made again
         * only when classes were added or the parent changed since; a unit's hash is computed
         * once per content.
         */
        public synchronized <T> T sealed(String parentHash, java.util.function.Function<List<Defined>, T> sealer) {
            if (sealedCount != classes.size() || !java.util.Objects.equals(sealedParent, parentHash)) {
                sealed = sealer.apply(List.copyOf(classes));
                sealedCount = classes.size();
                sealedParent = parentHash;
            }
            @SuppressWarnings("unchecked") T t = (T) sealed;
            return t;
        }
    }

    private static final Map<ClassLoader, LoaderClasses> LOADERS = new WeakHashMap<>();
    /** The loader that last defined each class name while loading a namespace from the classpath. */
    private static final Map<String, WeakReference<ClassLoader>> CLASSPATH_NAMES =
        new java.util.concurrent.ConcurrentHashMap<>();
    /** Loaders that defined their first class since the last {@link #drainNew()}. */
    private static final List<WeakReference<ClassLoader>> NEW = new ArrayList<>();
    private static volatile boolean capturing;

    private CapturedClasses() {}

    static void start() {
        capturing = true;
    }

    /**
     * Called from inside {@code DynamicClassLoader.defineClass}; never throws. Public because
     * the call to it is patched into clojure.lang, another package.
     */
    public static void defined(ClassLoader loader, String name, byte[] bytes) {
        if (!capturing || loader instanceof ClusterLoader || bytes == null) return;
        try {
            boolean classpath = ResourceLoads.inProgress();
            LoaderClasses group;
            synchronized (LOADERS) {
                group = LOADERS.get(loader);
                if (group == null) {
                    group = new LoaderClasses(loader.getParent(), classpath);
                    LOADERS.put(loader, group);
                    NEW.add(new WeakReference<>(loader));
                }
            }
            group.add(new Defined(name, bytes.clone()));
            if (classpath) CLASSPATH_NAMES.put(name, new WeakReference<>(loader));
        } catch (Throwable t) {
            // The compiler must go on; a definition made of this class then cannot be shared.
        }
    }

    /** The classes {@code loader} defined, or null if it defined none since capture began. */
    public static LoaderClasses of(ClassLoader loader) {
        if (loader == null) return null;
        synchronized (LOADERS) {
            return LOADERS.get(loader);
        }
    }

    /**
     * The loader that last defined class {@code name} as a namespace was loaded from this
     * member's classpath (since capture began), or null.
     */
    public static ClassLoader classpathLoaderOf(String name) {
        WeakReference<ClassLoader> ref = CLASSPATH_NAMES.get(name);
        return ref == null ? null : ref.get();
    }

    /** The loaders (still alive) that defined their first class since the last call. */
    public static List<ClassLoader> drainNew() {
        List<ClassLoader> out = new ArrayList<>();
        synchronized (LOADERS) {
            for (WeakReference<ClassLoader> ref : NEW) {
                ClassLoader l = ref.get();
                if (l != null) out.add(l);
            }
            NEW.clear();
        }
        return out;
    }

    /** True once the hook is in place and capturing. */
    public static boolean capturing() {
        return capturing;
    }
}
