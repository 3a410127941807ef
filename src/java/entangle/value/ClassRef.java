package entangle.value;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;

/**
 * A class as a value: a key of a protocol's extensions, a class a fn closed over, one in a
 * collection. Java serialization writes a Class as the descriptor of a class whose instances
 * travel, which only the classes a shared value may contain pass; a class as a value is written
 * by its name (with its unit, if it has one) instead, so that {@code java.io.File} or
 * {@code java.io.InputStream} can key a protocol's extensions. Reading one loads the class
 * without initializing it, and makes nothing of it.
 */
final class ClassRef implements Serializable {
    private static final long serialVersionUID = 1L;

    private transient Class<?> type;

    private ClassRef(Class<?> type) {
        this.type = type;
    }

    /** {@code o} as a ClassRef if it is a Class, else itself. */
    static Object wrap(Object o) {
        return o instanceof Class<?> c ? new ClassRef(c) : o;
    }

    /** {@code items} with each Class in it as a ClassRef: the same array if it holds none, else a copy. */
    static Object[] wrap(Object[] items) {
        Object[] out = items;
        for (int i = 0; i < items.length; i++) {
            if (items[i] instanceof Class<?> c) {
                if (out == items) out = items.clone();
                out[i] = new ClassRef(c);
            }
        }
        return out;
    }

    private void writeObject(ObjectOutputStream out) throws IOException {
        if (!(out instanceof ValueWriter w)) throw new IOException("a ClassRef is written by entangle's value writer only");
        w.writeClassName(type);
    }

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        if (!(in instanceof ValueReader r)) throw new IOException("a ClassRef is read by entangle's value reader only");
        type = r.readClassName();
    }

    private Object readResolve() {
        return type;
    }
}
