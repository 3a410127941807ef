package entangle.sharing;

import static entangle.value.UnshareableValueException.withArticle;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.Function;

import clojure.lang.Atom;
import clojure.lang.IFn;
import clojure.lang.IPersistentVector;
import clojure.lang.Namespace;
import clojure.lang.RT;
import clojure.lang.Symbol;
import clojure.lang.Var;
import entangle.ClusterUnreachableException;
import entangle.RefusedException;
import entangle.unit.Unit;
import entangle.unit.Units;
import entangle.value.UnshareableValueException;
import entangle.value.ValueReader;
import entangle.value.ValueWriter;

/**
 * This member's cluster atoms: it makes them from local atoms, gives each id one object on
 * this member, and carries out their operations against the {@link AtomStore}.
 */
public final class ClusterAtoms {
    private static volatile ClusterAtoms current;
    /** Why this member left the cluster, once it has; else null. */
    private volatile String left;

    private final AtomStore store;
    private final Units units;
    private final Consumer<String> warn;
    private final Map<String, ClusterAtom> atoms = new ConcurrentHashMap<>();
    private final Map<String, Read> lastRead = new ConcurrentHashMap<>();
    private final Set<String> watched = ConcurrentHashMap.newKeySet();
    /**
     * States this member wrote to a watched atom whose watches it ran then, as one JVM runs
     * them inside swap!: their entry events, when they come, fire nothing more.
     */
    private final Set<java.nio.ByteBuffer> ownWrites = ConcurrentHashMap.newKeySet();

    /** A state read from the cluster, with its value and validator deserialized once. */
    record Read(byte[] bytes, AtomState state, Object value, IFn validator) {}

    public ClusterAtoms(AtomStore store, Units units, Consumer<String> warn) {
        this.store = store;
        this.units = units;
        this.warn = warn;
        current = this;
    }

    /** The cluster atoms of this JVM's member, or null. */
    static ClusterAtoms current() {
        return current;
    }

    /** Forgets this member's atoms when it leaves the cluster; {@code why} is the sentence that says why. */
    public void close(String why) {
        left = why;
        if (current == this) current = null;
    }

    /**
     * A cluster atom made of {@code local}, held by the var {@code var}: the cluster gets its
     * value and validator, the new atom its watches and meta.
     */
    public ClusterAtom create(Atom local, String var) throws UnshareableValueException {
        String id = UUID.randomUUID().toString();
        IFn validator = local.getValidator();
        byte[] validatorBytes = validator == null ? null : write(validator, "validator");
        byte[] state;
        try {
            state = state(1, var, local.deref(), validatorBytes).encode();
        } catch (UnshareableValueException e) {
            throw new UnshareableValueException(e.type(), "value");
        }
        store.put(id, state, var, callersWarn());
        ClusterAtom a = new ClusterAtom(id, var, this, local.meta());
        atoms.put(id, a);
        for (Object o : (Iterable<?>) local.getWatches()) {
            Map.Entry<?, ?> w = (Map.Entry<?, ?>) o;
            a.addWatch(w.getKey(), (IFn) w.getValue());
        }
        return a;
    }

    /** What an atom is called before this member knows the var it was made for (then its id). */
    static final String UNNAMED = "cluster atom ";

    /** This member's atom for {@code id}. */
    ClusterAtom get(String id) {
        return atoms.computeIfAbsent(id, k -> new ClusterAtom(k, UNNAMED + k, this, null));
    }

    /** Serializes part of an atom's state; a refusal's reason names the part ("value", "validator"). */
    private byte[] write(Object value, String part) throws UnshareableValueException {
        try {
            ValueWriter.Written w = ValueWriter.write(value, units);
            units.store().storeAll(w.units());
            return w.bytes();
        } catch (UnshareableValueException e) {
            throw new UnshareableValueException(e.type(), part);
        }
    }

    private AtomState state(long version, String name, Object value, byte[] validator) throws UnshareableValueException {
        ValueWriter.Written w = ValueWriter.write(value, units);
        units.store().storeAll(w.units());
        List<String> hashes = new ArrayList<>();
        for (Unit u : w.units()) hashes.add(u.hash());
        return new AtomState(version, name, w.bytes(), hashes, validator);
    }

    Read read(ClusterAtom a) {
        stillMember(a);
        byte[] bytes;
        try {
            bytes = store.get(a.id(), a.name(), callersWarn());
        } catch (ClusterUnreachableException e) {
            throw unreachable(a, e);
        }
        if (bytes == null) {
            // A split is the other way to get here, on the side that holds neither the atom's
            // entry nor its backup: the advice must not send the user to replace it then.
            throw new IllegalStateException(a.name() + " holds a cluster atom that the cluster no longer has: the"
                + " members that held it stopped, or have lost sight of this one (a split, which ends by itself"
                + " once the two sides find each other, and brings the atom back); if they are gone for good,"
                + " define " + a.name() + " again to make a new one");
        }
        Read last = lastRead.get(a.id());
        if (last != null && Arrays.equals(last.bytes(), bytes)) return last;
        Read r = decode(a, bytes, last);
        lastRead.put(a.id(), r);
        return r;
    }

    private Read decode(ClusterAtom a, byte[] bytes) {
        return decode(a, bytes, null);
    }

    /**
     * The state {@code bytes}; a value or validator whose bytes are those of {@code last}'s (a
     * state read before; may be null) is {@code last}'s object: a change that kept the value
     * ((swap! a identity) on another member, a validator set) keeps its identity here, which
     * compare-and-set! compares, as in one JVM.
     */
    private Read decode(ClusterAtom a, byte[] bytes, Read last) {
        try {
            AtomState s = AtomState.decode(a.name(), bytes);
            a.named(s.name());
            Object value = last != null && Arrays.equals(last.state().value(), s.value()) ? last.value()
                : ValueReader.read(s.value(), units);
            IFn validator = s.validator() == null ? null
                : last != null && Arrays.equals(last.state().validator(), s.validator()) ? last.validator()
                : (IFn) ValueReader.read(s.validator(), units);
            return new Read(bytes, s, value, validator);
        } catch (RefusedException | ClassCastException e) {
            throw new IllegalStateException(a.name() + " cannot be read here: " + e.getMessage(), e);
        }
    }

    /** Applies {@code f} until a compare-and-set succeeds; returns [old new]. */
    IPersistentVector swap(ClusterAtom a, Function<Object, Object> f, boolean unused) {
        while (true) {
            Read cur = read(a);
            Object next = f.apply(cur.value());
            if (set(a, cur, next, cur.state().validator(), cur.validator(), true)) return ClusterAtom.pair(cur.value(), next);
        }
    }

    boolean compareAndSet(ClusterAtom a, Object oldv, Object newv) {
        Read cur = read(a);
        return cur.value() == oldv && set(a, cur, newv, cur.state().validator(), cur.validator(), true);
    }

    void setValidator(ClusterAtom a, IFn vf) {
        while (true) {
            Read cur = read(a);
            validate(vf, cur.value());
            byte[] validator;
            try {
                validator = vf == null ? null : write(vf, "validator");
            } catch (UnshareableValueException e) {
                IllegalArgumentException refused = new IllegalArgumentException(
                    "the validator of " + a.name() + " holds " + withArticle(e.type())
                    + ", which cannot be shared with other members; the validator is unchanged");
                refused.addSuppressed(e);
                throw refused;
            }
            if (set(a, cur, cur.value(), validator, vf, false)) return;
        }
    }

    /**
     * Replaces the cluster's state {@code cur} with one of {@code value} and the validator
     * {@code validatorBytes} ({@code validator}); false if another change came first. With
     * {@code watches} (a change of the value, not a validator set), the atom's watches here
     * run on this thread once it is made.
     */
    private boolean set(ClusterAtom a, Read cur, Object value, byte[] validatorBytes, IFn validator, boolean watches) {
        validate(validator, value);
        AtomState nextState;
        try {
            // A value identical to the one read keeps the bytes it was read from.
            nextState = value == cur.value()
                ? new AtomState(cur.state().version() + 1, cur.state().name(), cur.state().value(), cur.state().units(),
                                validatorBytes)
                : state(cur.state().version() + 1, cur.state().name(), value, validatorBytes);
        } catch (UnshareableValueException e) {
            // Suppressed, not the cause: the REPL reports an error's root cause, and this sentence
            // is the one the user needs.
            IllegalArgumentException refused = new IllegalArgumentException("the new value of " + a.name()
                + " holds " + withArticle(e.type())
                + ", which cannot be shared with other members; the atom is unchanged (mark " + a.name()
                + " local, (def ^:entangle/local ...), for an atom of this member's own that may hold it)");
            refused.addSuppressed(e);
            throw refused;
        }
        byte[] next = nextState.encode();
        stillMember(a);
        // Before the write: its entry event can come before the write returns.
        java.nio.ByteBuffer own = watches && watched.contains(a.id()) ? java.nio.ByteBuffer.wrap(next) : null;
        if (own != null) ownWrites.add(own);
        boolean replaced = false;
        try {
            replaced = store.replace(a.id(), cur.bytes(), next, a.name(), callersWarn());
        } catch (ClusterUnreachableException e) {
            throw unreachable(a, e);
        } finally {
            if (!replaced && own != null) ownWrites.remove(own);
        }
        if (!replaced) return false;
        lastRead.put(a.id(), new Read(next, nextState, value, validator));
        if (own != null) a.changed(cur.value(), value); // what a watch throws, swap! throws, the change made
        return true;
    }

    /**
     * entangle.core/*warn* with this thread's bindings (bound-fn*'s way), for the line that an
     * operation waiting long for a member says from another thread: an nREPL eval's *err* is
     * a binding. Null where entangle.core is not loaded (nothing is said).
     */
    private static Consumer<String> callersWarn() {
        Var w = warnVar;
        if (w == null) {
            if (Namespace.find(Symbol.intern(WARN.getNamespace())) == null) return null;
            w = warnVar = Var.find(WARN);
            if (w == null) return null;
        }
        Var found = w;
        Object frame = Var.cloneThreadBindingFrame();
        return line -> {
            Object before = Var.getThreadBindingFrame();
            Var.resetThreadBindingFrame(frame);
            try {
                ((IFn) found.deref()).invoke(line);
            } finally {
                Var.resetThreadBindingFrame(before);
            }
        };
    }

    private static final Symbol WARN = Symbol.intern("entangle.core", "*warn*");
    private static volatile Var warnVar;

    /**
     * Refuses an operation on an atom of a member that has left: its Hazelcast is gone (its
     * own exception names no atom), and its value is the cluster's.
     */
    private void stillMember(ClusterAtom a) {
        String why = left;
        if (why != null) {
            throw new IllegalStateException(a.name() + " holds a cluster atom, whose value is the cluster's, and " + why
                + ": join again (entangle.core/start!) to reach it, or define " + a.name() + " again to make an atom of"
                + " this JVM's own");
        }
    }

    private static ClusterUnreachableException unreachable(ClusterAtom a, ClusterUnreachableException e) {
        return new ClusterUnreachableException(a.name() + " holds a cluster atom, whose value is the cluster's, and "
            + e.getMessage(), e);
    }

    /** As clojure.lang.ARef validates. */
    private static void validate(IFn vf, Object value) {
        if (vf == null) return;
        try {
            if (!RT.booleanCast(vf.invoke(value))) throw new IllegalStateException("Invalid reference state");
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("Invalid reference state", e);
        }
    }

    void watch(ClusterAtom a) {
        if (!watched.add(a.id())) return;
        store.listen(a.id(), (before, after) -> {
            if (ownWrites.remove(java.nio.ByteBuffer.wrap(after))) return;
            try {
                Read was = before == null ? null : decode(a, before);
                Read now = decode(a, after);
                // A validator set (set-validator!) changes the state but not the value, and
                // fires no watch, as in one JVM; a reset! to the same value fires them.
                if (was != null && Arrays.equals(was.state().value(), now.state().value())
                    && !Arrays.equals(was.state().validator(), now.state().validator())) {
                    return;
                }
                a.changed(was == null ? null : was.value(), now.value());
            } catch (Exception e) { // a watch is user code, which may throw checked exceptions undeclared
                warn.accept("a watch on " + a.name() + " failed: " + e.getMessage());
            }
        });
    }
}
