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

    /** The name of the class that cannot travel. */
    public String type() { return type; }

    /** Why, when it is not simply that the type cannot be serialized; may be null. */
    public String why() { return why; }
}
