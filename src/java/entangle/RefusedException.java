package entangle;

/**
 * An entry read from the cluster was refused: its bytes do not match their hash or checksum,
 * it is not in a format this member reads, or a value in it is not one a shared value may
 * contain. The message names what was refused and why; nothing was defined from it.
 */
public final class RefusedException extends Exception {
    private final boolean missing;

    public RefusedException(String message) { this(message, null, false); }
    public RefusedException(String message, Throwable cause) { this(message, cause, false); }

    private RefusedException(String message, Throwable cause, boolean missing) {
        super(message, cause);
        this.missing = missing;
    }

    /** The entry is not in the cluster's maps at all (as opposed to there and refused). */
    public static RefusedException missing(String message) { return new RefusedException(message, null, true); }

    /** True if the entry was not found rather than found wanting. */
    public boolean missing() { return missing; }
}
