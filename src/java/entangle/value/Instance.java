package entangle.value;

import java.io.InvalidObjectException;
import java.io.ObjectStreamException;
import java.io.Serializable;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import clojure.lang.IProxy;
import clojure.lang.IType;
import entangle.unit.Units;

/**
 * An instance of a class the Clojure compiler generated for deftype, reify or proxy, as it
 * travels: its class (annotated with its unit) and the values of its fields. These classes are
 * not Serializable, but their state is their fields, exactly: the reader makes an instance
 * without running a constructor, as Java serialization does, and sets them. A proxy's
 * superclass is initialized by its no-argument constructor.
 *
 * <p>A spec ({@link Specs}) travels the same way, though its classes are clojure.spec.alpha's,
 * compiled ahead of time and found by name: its reify, and the fns it holds, whose fields hold
 * the delays spec keeps its parts in. Those delays travel with it (see {@link Portable#delay}),
 * unlike a delay anywhere else.
 */
final class Instance implements Serializable {
    private static final long serialVersionUID = 1L;
    private static final Pattern REIFY = Pattern.compile(".*\\$reify__\\d+");
    private static final String SPEC = "clojure.spec.alpha$";

    private final Class<?> type;
    private final String[] fields;
    private final Class<?>[] declaring;
    private final Object[] values;

    private Instance(Class<?> type, String[] fields, Class<?>[] declaring, Object[] values) {
        this.type = type;
        this.fields = fields;
        this.declaring = declaring;
        this.values = values;
    }

    /** True for an instance of a deftype, reify or proxy class compiled since capture began. */
    static boolean applies(Object o) {
        Class<?> c = o.getClass();
        if (ofSpec(c)) return true;
        return !(o instanceof Serializable) && Units.fromUnit(c)
            && (o instanceof IType || o instanceof IProxy || REIFY.matcher(c.getName()).matches());
    }

    /** True for a class of clojure.spec.alpha's compiled code: a spec's reify, a fn inside a spec. */
    static boolean ofSpec(Class<?> c) {
        return c.getName().startsWith(SPEC) && !Units.fromUnit(c);
    }

    private static boolean rebuilt(Class<?> c) {
        return Units.fromUnit(c) || ofSpec(c);
    }

    static Instance of(Object o) throws UnshareableValueException {
        List<String> names = new ArrayList<>();
        List<Class<?>> owners = new ArrayList<>();
        List<Object> values = new ArrayList<>();
        boolean spec = ofSpec(o.getClass());
        for (Class<?> c = o.getClass(); c != null && rebuilt(c); c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                if (Modifier.isStatic(f.getModifiers())) continue;
                try {
                    f.setAccessible(true);
                    Object v = f.get(o);
                    values.add(spec && v instanceof clojure.lang.Delay d ? Portable.delay(d) : v);
                } catch (ReflectiveOperationException | RuntimeException e) {
                    throw new UnshareableValueException(o.getClass().getName(), "its field " + f.getName()
                        + " cannot be read (" + e + ")");
                }
                names.add(f.getName());
                owners.add(c);
            }
        }
        baseConstructor(o.getClass()); // refuse here, not on the reader, what cannot be rebuilt
        return new Instance(o.getClass(), names.toArray(String[]::new), owners.toArray(Class<?>[]::new),
                            ClassRef.wrap(values.toArray()));
    }

    private static Constructor<?> baseConstructor(Class<?> type) throws UnshareableValueException {
        Class<?> base = type;
        while (base != null && rebuilt(base)) base = base.getSuperclass();
        if (base == null) base = Object.class;
        try {
            return base.getDeclaredConstructor();
        } catch (NoSuchMethodException e) {
            throw new UnshareableValueException(type.getName(), "its superclass " + base.getName()
                + " has no constructor without arguments to rebuild it with");
        }
    }

    private Object readResolve() throws ObjectStreamException {
        try {
            Constructor<?> ctor = sun.reflect.ReflectionFactory.getReflectionFactory()
                .newConstructorForSerialization(type, baseConstructor(type));
            Object o = ctor.newInstance();
            for (int i = 0; i < fields.length; i++) {
                Field f = declaring[i].getDeclaredField(fields[i]);
                f.setAccessible(true);
                f.set(o, values[i]);
            }
            return o;
        } catch (ReflectiveOperationException | RuntimeException | UnshareableValueException e) {
            InvalidObjectException ioe = new InvalidObjectException("cannot rebuild a " + type.getName() + ": " + e);
            ioe.initCause(e);
            throw ioe;
        }
    }
}
