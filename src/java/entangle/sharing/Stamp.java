package entangle.sharing;

/**
 * A record's place in the order of its key's records: its version and, to tell two records of
 * one version apart, a prefix of its checksum.
 *
 * <p>A writer proposes the version after the newest it knows; the write on the key's partition
 * keeps it, or, if another member wrote that version meanwhile, gives the next one. So the
 * cluster's map holds one record per version of a key, and a version can name two records
 * only for the moment a writer's hand-off runs ahead of its write.
 */
record Stamp(long version, long digest) {
    /** What a member has for a key it never saw. */
    static final Stamp NONE = new Stamp(-1, 0);

    static Stamp of(byte[] record) {
        return new Stamp(Envelope.version(record), Envelope.digest(record));
    }

    /**
     * True if a record with this stamp takes the place of one stamped {@code known}: it is
     * newer; or it was read from the cluster's maps and is another record of the same version,
     * which makes it the one that was written and {@code known} one whose write never landed.
     */
    boolean replaces(Stamp known, boolean fromMaps) {
        return version > known.version || fromMaps && rivals(known);
    }

    /** True if this stamp is of another record of {@code known}'s version. */
    boolean rivals(Stamp known) {
        return version == known.version && digest != known.digest;
    }
}
