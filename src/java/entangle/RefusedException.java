package entangle;

/**
 * An entry read from the cluster was refused: its bytes do not match their hash or checksum,
 * it is not in a format this member reads, or a value in it is not one a shared value may
 * contain. The message names what was refused and why; nothing was defined from it.
 */
public final class RefusedException extends Exception {
    private static final java.util.regex.Pattern CLASS_NAME = java.util.regex.Pattern.compile("[\\w$]+([./][\\w$]+)+");

    private final boolean missing;
    private final String lackedClass;

    public RefusedException(String message) { this(message, null, false, null); }
    public RefusedException(String message, Throwable cause) { this(message, cause, false, null); }

    private RefusedException(String message, Throwable cause, boolean missing, String lackedClass) {
        super(message, cause);
        this.missing = missing;
        this.lackedClass = lackedClass;
    }

    /** The entry is not in the cluster's maps at all (as opposed to there and refused). */
    public static RefusedException missing(String message) { return new RefusedException(message, null, true, null); }

    /** True if the entry was not found rather than found wanting. */
    public boolean missing() { return missing; }

    /** The entry needs class {@code name}, which is not on this member's classpath (a library another member has). */
    public static RefusedException lacking(String name, Throwable cause) {
        return new RefusedException(needs(name), cause, false, name);
    }

    /** Why an entry that needs class {@code name}, which is not on this member's classpath, is refused. */
    public static String needs(String name) {
        return "it needs class " + notOnClasspath(name);
    }

    /** How every message names class {@code name}, which a library another member has and this one lacks. */
    public static String notOnClasspath(String name) {
        return name + ", which is not on this member's classpath";
    }

    /** The class this member lacks, for an entry refused {@link #lacking} it; else null. */
    public String lackedClass() { return lackedClass; }

    /**
     * The class that {@code e} says this member lacks, or null if {@code e} is about something
     * else (a class whose initialization failed, one defined twice): code from another member
     * that names a class of a library this member has not got.
     */
    public static String lackedClassOf(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if ((t instanceof ClassNotFoundException || t instanceof NoClassDefFoundError)
                && t.getMessage() != null && CLASS_NAME.matcher(t.getMessage()).matches()) {
                return t.getMessage().replace('/', '.');
            }
        }
        return null;
    }
}
