package entangle.unit;

import java.lang.ref.Reference;
import java.lang.ref.SoftReference;
import java.lang.reflect.Field;
import java.util.concurrent.ConcurrentHashMap;

import clojure.lang.DynamicClassLoader;

/**
 * The Clojure compiler's cache of classes by name ({@code DynamicClassLoader.classCache}),
 * through which code compiled later finds a deftype, defrecord or interface by its name. It
 * holds the newest class a loader defined under each name; entangle puts classes from other
 * members' units in it the same way.
 */
final class NameCache {
    private static final ConcurrentHashMap<String, Reference<Class<?>>> CACHE = cache();

    private NameCache() {}

    @SuppressWarnings("unchecked")
    private static ConcurrentHashMap<String, Reference<Class<?>>> cache() {
        try {
            Field f = DynamicClassLoader.class.getDeclaredField("classCache");
            f.setAccessible(true);
            return (ConcurrentHashMap<String, Reference<Class<?>>>) f.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("this Clojure has no DynamicClassLoader.classCache: " + e, e);
        }
    }

    static void put(String name, Class<?> c) {
        // Soft, as the compiler holds its own entries: an unused class can still go.
        CACHE.put(name, new SoftReference<>(c));
    }
}
