package entangle.sharing;

import java.util.function.BiConsumer;

/** Where cluster atoms keep their state: one entry per atom, changed by compare-and-set. */
public interface AtomStore {
    /** The Hazelcast map that holds cluster atoms. */
    String MAP = "entangle.atoms";

    byte[] get(String id);

    void put(String id, byte[] state);

    /** Replaces the state of {@code id} if it is still {@code expected}; true if it was. */
    boolean replace(String id, byte[] expected, byte[] next);

    /** Calls {@code onChange} with the old and new state at every change of {@code id}, made on any member. */
    void listen(String id, BiConsumer<byte[], byte[]> onChange);
}
