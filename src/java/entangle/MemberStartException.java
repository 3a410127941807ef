package entangle;

/** A member could not start; the message is one line a user can act on. */
public final class MemberStartException extends RuntimeException {
    public MemberStartException(String message, Throwable cause) { super(message, cause); }
    public MemberStartException(String message) { super(message); }
}
