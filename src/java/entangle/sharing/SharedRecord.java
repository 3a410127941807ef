package entangle.sharing;

/** What every record in the cluster's maps has: its place in its key's order, and who wrote it. */
interface SharedRecord {
    long version();

    Origin origin();
}
