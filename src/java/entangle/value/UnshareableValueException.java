package entangle.value;

import java.io.NotSerializableException;

/**
 * A value cannot travel to other members: it holds an object of a type that cannot be
 * serialized, or one a shared value may not contain. {@link #type()} names that type.
 */
public final class UnshareableValueException extends NotSerializableException {
    private final String type;
    private final String why;

    public UnshareableValueException(String type, String why) {
        super(type + (why == null ? "" : " (" + why + ")"));
        this.type = type;
        this.why = why;
    }

    /**
     * What to call a value of class {@code c} in a message: its class name, or what it is when
     * that name is the compiler's (a promise is a clojure.core$promise$reify__8591); an array
     * as Java writes its type ({@code byte[]}, not {@code [B}).
     */
    public static String friendlyName(Class<?> c) {
        String n = c.getTypeName();
        if (n.matches("clojure\\.core\\$promise\\$reify__\\d+")) return "promise (" + n + ")";
        if (n.matches("clojure\\.core\\$future_call\\$reify__\\d+")) return "future (" + n + ")";
        return n;
    }

    /**
     * {@code type} after its article, as a sentence says it: "a java.net.Socket", "an
     * entangle.remote.RemoteFuture", "an org.h2.jdbc.JdbcConnection".
     */
    public static String withArticle(String type) {
        return (!type.isEmpty() && "aeioAEIO".indexOf(type.charAt(0)) >= 0 ? "an " : "a ") + type;
    }

    /** The name of the class that cannot travel. */
    public String type() { return type; }

    /** Why, when it is not simply that the type cannot be serialized; may be null. */
    public String why() { return why; }

    /** The type, then why in brackets if there is more to say: what a message says the value holds. */
    public String typeAndWhy() {
        return type + (why == null ? "" : " (" + why + ")");
    }
}
