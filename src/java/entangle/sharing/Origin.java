package entangle.sharing;

/** Which member wrote a record, and when: shown to users, never trusted for ordering. */
public record Origin(String memberId, String address, long time) {}
