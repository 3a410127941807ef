package entangle.sharing;

import java.io.NotSerializableException;
import java.io.ObjectStreamException;
import java.io.Serializable;

import java.util.Iterator;

import clojure.lang.AFn;
import clojure.lang.Counted;
import clojure.lang.ExceptionInfo;
import clojure.lang.IDeref;
import clojure.lang.ILookup;
import clojure.lang.ISeq;
import clojure.lang.Indexed;
import clojure.lang.Seqable;
import clojure.lang.Keyword;
import clojure.lang.PersistentArrayMap;

/**
 * The root a var gets on every member but the one holding its value, when that value cannot
 * travel. Calling it, dereferencing it, looking into it, counting or printing it throws the
 * same sentence the holder was warned with, naming the var, the value's type, the member that
 * holds it and the way out. (A method called on it by reflection fails in the compiler; the
 * REPL's evaluation turns that failure into the same sentence.)
 */
public final class Unshared extends AFn
    implements IDeref, ILookup, Seqable, Counted, Indexed, Iterable<Object>, Serializable {
    private final String var;
    private final String type;
    private final String holder;

    public Unshared(String var, String type, String holder) {
        this.var = var;
        this.type = type;
        this.holder = holder;
    }

    /** The warning given on the member that keeps the value. */
    public static String warning(String var, String type) {
        return var + " holds a " + type + ", which cannot be shared with other members, so it stays on this"
            + " member only; " + wayOut(var);
    }

    static String wayOut(String var) {
        String name = var.substring(var.indexOf('/') + 1);
        return "mark it local with (def ^:entangle/local " + name + " ...) or compute it on each member.";
    }

    /** The sentence every other member gets. */
    public String message() {
        return var + " holds a " + type + " on member " + holder + ", which cannot be shared with other members; "
            + wayOut(var);
    }

    public String var() { return var; }
    public String type() { return type; }
    public String holder() { return holder; }

    /** The error thrown on any use, its stack starting where the value was used. */
    public ExceptionInfo error() {
        ExceptionInfo e = new ExceptionInfo(message(), PersistentArrayMap.createAsIfByAssoc(new Object[] {
            Keyword.intern("entangle", "var"), var,
            Keyword.intern("entangle", "type"), type,
            Keyword.intern("entangle", "member"), holder}));
        e.setStackTrace(withoutOwnFrames(e.getStackTrace()));
        return e;
    }

    /**
     * The same error, caused by {@code cause}: a use that failed before reaching this object
     * (a method called on it by reflection), its stack starting where the user's code is.
     */
    public ExceptionInfo error(Throwable cause) {
        ExceptionInfo e = error();
        e.initCause(cause);
        e.setStackTrace(withoutOwnFrames(cause.getStackTrace()));
        return e;
    }

    // The REPL names the top frame ("Execution error at user/eval12 (REPL:1)"): it should be
    // the user's code, not this class or the reflector that tried to call a method on it.
    private static StackTraceElement[] withoutOwnFrames(StackTraceElement[] trace) {
        int i = 0;
        while (i < trace.length && (trace[i].getClassName().equals(Unshared.class.getName())
                                    || trace[i].getClassName().equals("clojure.lang.Reflector"))) {
            i++;
        }
        return java.util.Arrays.copyOfRange(trace, i, trace.length);
    }

    @Override
    public Object throwArity(int n) {
        throw error();
    }

    @Override
    public Object applyTo(ISeq args) {
        throw error();
    }

    @Override
    public Object deref() {
        throw error();
    }

    @Override
    public String toString() {
        throw error();
    }

    // Whatever a program does with the value fails the same way; a lookup must not answer nil.
    @Override
    public Object valAt(Object key) {
        throw error();
    }

    @Override
    public Object valAt(Object key, Object notFound) {
        throw error();
    }

    @Override
    public ISeq seq() {
        throw error();
    }

    @Override
    public int count() {
        throw error();
    }

    @Override
    public Object nth(int i) {
        throw error();
    }

    @Override
    public Object nth(int i, Object notFound) {
        throw error();
    }

    @Override
    public Iterator<Object> iterator() {
        throw error();
    }

    private Object writeReplace() throws ObjectStreamException {
        throw new NotSerializableException(type + " (the value of " + var + ", held on member " + holder + ")");
    }
}
