package entangle;

/**
 * An entry read from the cluster was refused: its bytes do not match their hash or checksum,
 * it is not in a format this member reads, or a value in it is not one a shared value may
 * contain. The message names what was refused and why; nothing was defined from it.
 */
public final class RefusedException extends Exception {
    public RefusedException(String message) { super(message); }
    public RefusedException(String message, Throwable cause) { super(message, cause); }
}
