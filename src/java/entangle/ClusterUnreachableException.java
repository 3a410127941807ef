package entangle;

/**
 * This member cannot reach its cluster now: a client whose connection to the cluster was
 * lost, while it tries to reconnect. What needed the cluster was not done; definitions made
 * meanwhile stay in place on this member and are shared once it is reconnected.
 */
public final class ClusterUnreachableException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    /**
     * {@code hazelcasts}, Hazelcast's own exception, is kept as suppressed, not as the cause:
     * the REPL reports an error's root cause, and this message is the one the user needs.
     */
    public ClusterUnreachableException(String message, Throwable hazelcasts) {
        super(message);
        if (hazelcasts != null) addSuppressed(hazelcasts);
    }
}
