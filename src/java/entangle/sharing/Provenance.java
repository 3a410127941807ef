package entangle.sharing;

/** Where the current definition of a shared var came from: the member, when, and its source text. */
public record Provenance(String var, long version, Origin origin, String source) {}
