package entangle.unit;

import clojure.lang.DynamicClassLoader;
import entangle.hook.CapturedClasses;

/**
 * Loads the classes of one unit that came from the cluster. A class's siblings (its unit) and
 * the classes of the units it was nested in resolve here first, so that another member's
 * same-named class never stands in for them; any other name resolves as it does for the
 * Clojure compiler: the newest class of that name, then the classpath.
 */
final class UnitLoader extends DynamicClassLoader implements CapturedClasses.ClusterLoader {
    private final Unit unit;
    private final UnitLoader parentUnit;

    UnitLoader(Unit unit, UnitLoader parentUnit, ClassLoader base) {
        super(parentUnit != null ? parentUnit : base);
        this.unit = unit;
        this.parentUnit = parentUnit;
    }

    Unit unit() { return unit; }

    UnitLoader parentUnit() { return parentUnit; }

    @Override
    protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        for (UnitLoader l = this; l != null; l = l.parentUnit) {
            if (l.unit.defines(name)) {
                Class<?> c = l.defineOwn(name);
                if (resolve) resolveClass(c);
                return c;
            }
        }
        try {
            return super.loadClass(name, resolve);
        } catch (ClassNotFoundException e) {
            // A named class another member defined whose record has not reached this member yet
            // (records from different maps arrive in any order): ask the cluster.
            Class<?> c = Units.fromCluster(name);
            if (c == null) throw e;
            return c;
        }
    }

    private synchronized Class<?> defineOwn(String name) {
        Class<?> c = findLoadedClass(name);
        if (c == null) {
            byte[] b = unit.classBytes(name);
            c = defineClass(name, b, 0, b.length);
        }
        return c;
    }

    @Override
    public String toString() {
        return "UnitLoader[" + unit + "]";
    }
}
