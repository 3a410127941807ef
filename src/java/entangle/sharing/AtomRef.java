package entangle.sharing;

import java.io.InvalidObjectException;
import java.io.ObjectStreamException;
import java.io.Serializable;

/** A cluster atom as it travels: its id; the reader gets its own member's atom of that id. */
final class AtomRef implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String id;

    AtomRef(String id) {
        this.id = id;
    }

    private Object readResolve() throws ObjectStreamException {
        ClusterAtoms atoms = ClusterAtoms.current();
        if (atoms == null) throw new InvalidObjectException("cluster atom " + id + " read outside a member");
        return atoms.get(id);
    }
}
