package entangle;

/**
 * A shared var was called (through {@link Entangle#var}) before any member defined it. The
 * message names the var.
 */
public final class UndefinedVarException extends IllegalStateException {
    private final String var;

    UndefinedVarException(String var) {
        super("shared var " + var + " is not defined in the cluster");
        this.var = var;
    }

    /** The var's qualified name, ns/name. */
    public String var() { return var; }
}
