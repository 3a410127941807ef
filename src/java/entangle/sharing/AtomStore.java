package entangle.sharing;

import java.util.function.BiConsumer;
import java.util.function.Consumer;

/** Where cluster atoms keep their state: one entry per atom, changed by compare-and-set. */
public interface AtomStore {
    /** The Hazelcast map that holds cluster atoms. */
    String MAP = "entangle.atoms";

    /*
     * Each operation names the atom's var (for messages) and takes where to say, while it
     * waits long, which member it waits for ({@code notices}, called from another thread;
     * null: nobody is told).
     */

    byte[] get(String id, String atom, Consumer<String> notices);

    void put(String id, byte[] state, String atom, Consumer<String> notices);

    /** Replaces the state of {@code id} if it is still {@code expected}; true if it was. */
    boolean replace(String id, byte[] expected, byte[] next, String atom, Consumer<String> notices);

    /** Calls {@code onChange} with the old and new state at every change of {@code id}, made on any member. */
    void listen(String id, BiConsumer<byte[], byte[]> onChange);
}
