package entangle.sharing;

import static entangle.value.UnshareableValueException.withArticle;

import java.util.Iterator;
import java.util.function.Predicate;

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
import entangle.RefusedException;

/**
 * The root a var gets on every member but the one holding its value, when that value cannot
 * travel; and on a member that cannot read a value that did travel, for a class it lacks
 * ({@link #unreadable}). Calling it, dereferencing it, looking into it, counting it or turning it into a
 * string throws the same sentence the holder was warned with, naming the var, the value's
 * type, the member that holds it (or that it left the cluster, taking the value with it) and
 * the way out. (A method called on it by reflection fails in the compiler; the REPL's
 * evaluation turns that failure into the same sentence.) Printed inside other data, it is one
 * short form (see {@link #printed}; entangle.core gives it its print-method). It never travels:
 * ValueWriter refuses it with the type of the value it stands for.
 */
public final class Unshared extends AFn
    implements IDeref, ILookup, Seqable, Counted, Indexed, Iterable<Object> {
    private final String var;
    private final String type;
    private final String holderId;
    private final String holder;
    private final Predicate<String> inCluster;
    /** The class this member lacks to read the value, or null for a value that could not travel. */
    private final String missingClass;

    /**
     * {@code holderId} and {@code holder} are the id and address of the member that keeps the
     * value; {@code inCluster} says whether a member id is in the cluster now. The id, not the
     * address, tells whether the holder is still there: a member that joins after it left can
     * take its address.
     */
    public Unshared(String var, String type, String holderId, String holder, Predicate<String> inCluster) {
        this(var, type, holderId, holder, inCluster, null);
    }

    private Unshared(String var, String type, String holderId, String holder, Predicate<String> inCluster,
                     String missingClass) {
        this.var = var;
        this.type = type;
        this.holderId = holderId;
        this.holder = holder;
        this.inCluster = inCluster;
        this.missingClass = missingClass;
    }

    /**
     * What a var holds on a member that cannot read the value member {@code holder} defined it
     * with, for want of {@code missingClass} (a class of a library that member has).
     */
    public static Unshared unreadable(String var, String missingClass, String holderId, String holder,
                                      Predicate<String> inCluster) {
        return new Unshared(var, "value that needs class " + missingClass, holderId, holder, inCluster, missingClass);
    }

    /** The warning given on the member that keeps the value. */
    public static String warning(String var, String type) {
        return var + " holds " + withArticle(type) + ", which cannot be shared with other members, so it stays on this"
            + " member only; " + wayOut(var);
    }

    static String wayOut(String var) {
        String name = var.substring(var.indexOf('/') + 1);
        return "mark it local with (def ^:entangle/local " + name + " ...) or compute it on each member.";
    }

    /** The sentence every other member gets. */
    public String message() {
        return message(holderLeft());
    }

    private String message(boolean left) {
        if (missingClass != null) {
            return var + " from member " + holder + " needs class " + RefusedException.notOnClasspath(missingClass)
                + ", so its value cannot be read here; start this member with that class's library on its classpath";
        }
        if (left) {
            return var + " held " + withArticle(type) + " on member " + holder
                + ", which has left the cluster: the value is"
                + " gone, as it could not be shared with other members; " + wayOut(var);
        }
        return var + " holds " + withArticle(type) + " on member " + holder
            + ", which cannot be shared with other members; "
            + wayOut(var);
    }

    /**
     * True if the member that held the value is no longer in the cluster. False when this
     * member cannot tell (it has left the cluster itself): the holder may still be there.
     */
    public boolean holderLeft() {
        try {
            return !inCluster.test(holderId);
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** What it prints as inside other data: short, and not readable back as the value it stands for. */
    public String printed() {
        if (missingClass != null) return "#<unshared " + var + ": needs class " + missingClass + ">";
        return "#<unshared " + var + ": " + type + (holderLeft() ? ", gone with member " : " on member ") + holder + ">";
    }

    /** Why a value that contains it cannot travel, beside the type it stands for. */
    public String whyNotShared() {
        if (missingClass != null) return "the value of " + var + ", which this member cannot read";
        return "the value of " + var + (holderLeft() ? ", gone with member " + holder + " when it left the cluster"
                                                     : ", which stays on member " + holder);
    }

    public String var() { return var; }
    public String type() { return type; }
    public String holderId() { return holderId; }
    public String holder() { return holder; }

    /** The error thrown on any use, its stack starting where the value was used. */
    public ExceptionInfo error() {
        boolean left = holderLeft();
        ExceptionInfo e = new ExceptionInfo(message(left), PersistentArrayMap.createAsIfByAssoc(new Object[] {
            Keyword.intern("entangle", "var"), var,
            Keyword.intern("entangle", "type"), type,
            Keyword.intern("entangle", "member"), holder,
            Keyword.intern("entangle", "member-id"), holderId,
            Keyword.intern("entangle", "member-left"), left,
            Keyword.intern("entangle", "missing-class"), missingClass}));
        e.setStackTrace(withoutOwnFrames(e.getStackTrace()));
        return e;
    }

    /**
     * The same error, for a use that failed before reaching this object (a method called on it
     * by reflection, a cast): its stack is {@code cause}'s, from where the user's code is, and
     * {@code cause} is kept as suppressed, not as its cause, since the REPL prints the message
     * of the last cause ("Unshared cannot be cast to class clojure.lang.Agent"). (An
     * ExceptionInfo made without a cause cannot be given one: initCause threw, and the user got
     * an IllegalStateException.)
     */
    public ExceptionInfo error(Throwable cause) {
        ExceptionInfo e = error();
        e.setStackTrace(withoutOwnFrames(cause.getStackTrace()));
        e.addSuppressed(cause);
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
}
