package entangle.sharing;

/** Which member wrote a record, and when: shown to users, never trusted for ordering. */
public record Origin(String memberId, String address, long time) {
    /**
     * The member as messages at member {@code here} name it: its address, and, if that is
     * {@code here}'s own, that it is an earlier member there (one that left, whose port {@code
     * here} took), so that a message about what it made does not read as about {@code here}.
     */
    public String shownAt(SharedVars.Cluster here) {
        boolean earlier = address.equals(here.address()) && !here.isThisMember(memberId);
        return address + (earlier ? " (an earlier member at this member's address)" : "");
    }
}
