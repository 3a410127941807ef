package entangle.sharing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import clojure.lang.IPersistentMap;
import clojure.lang.Keyword;

/**
 * Definitions made at this member that another member's replaced without having seen them,
 * told to the user: two members changed a var at the same moment, or on the two sides of a
 * split (the cluster keeps one side's record of a var both changed: see
 * {@code NewestRecordMergePolicy}). Every member converges on the other's definition, and the
 * one who made this member's would otherwise find it gone without a word.
 *
 * <p>Whether a record's writer had seen this member's definition is in the record: its base,
 * the version and digest of the record its writer changed. A definition replaced by one of the
 * same source text (members loading the same file) loses nothing its author wrote, and is not
 * told. Nor are tables that merge (a multimethod's methods, specs, a protocol's extensions),
 * which keep both sides' changes.
 *
 * <p>The vars are told a second after the first of them, in one line for each member whose
 * definitions replaced them: a merge applies the other side's records one entry event each.
 * What a var holds is looked at again then: of three members defining it at once, the record
 * applied last here need not be the one whose write landed last, which may have been made
 * from this member's definition.
 */
final class Overwritten {
    /** How long the first var told waits for others, to go in one line with them. */
    private static final long GATHER_MS = 1_000;
    /** How many vars a line names; the rest are counted. */
    private static final int NAMED = 5;

    private final Consumer<String> warn;
    private final Executor later;
    private final Holders holders;
    /** The vars to tell, by key: this member's definition, and who replaced it; guarded by this. */
    private final Map<String, Noted> noted = new LinkedHashMap<>();

    /** Who holds a var now. */
    interface Holders {
        /**
         * The address of the member whose record the var {@code key} holds now, if that
         * record takes away {@code own} (see {@link #takesAway}); null if it does not (the var
         * holds this member's definition again, or one made after seeing it); {@code noted},
         * the member whose record took it away, if what the var holds now has no known writer.
         */
        String takingAway(String key, Own own, String noted);
    }

    /**
     * This member's definition of a var: the stamp of its record, the stamp its hand-off
     * carried if the write gave the record another version (null otherwise), and its source.
     */
    record Own(Stamp stamp, Stamp proposed, String source) {
        /**
         * True if a record based on {@code base} was made after its writer saw this
         * definition, or one after it: a writer that applied the hand-off before the write
         * landed names the stamp the hand-off had.
         */
        boolean seenBy(Stamp base) {
            return base.version() > stamp.version() || base.equals(stamp) || base.equals(proposed);
        }
    }

    private record Noted(String varName, Own own, String address) {}

    Overwritten(Consumer<String> warn, Executor later, Holders holders) {
        this.warn = warn;
        this.later = later;
        this.holders = holders;
    }

    /**
     * True if a record based on {@code base} (the stamp of the record its writer changed), of
     * source {@code source}, takes away {@code own}: its writer had not seen it.
     */
    static boolean takesAway(Stamp base, String source, Own own) {
        return !own.seenBy(base) && (source == null || !Objects.equals(source, own.source()));
    }

    /**
     * True if replacing what this member knows of a var ({@code k}) loses nothing of its
     * own: the var's changes merge or stay on each member (a multimethod, specs, a protocol's
     * extensions or methods: {@code merged}, with {@code meta} the var's; a local var), or
     * {@code k} and the other record are both removals ({@code removal}: the other is one).
     */
    static boolean losesNothing(KnownVar k, boolean merged, IPersistentMap meta, boolean removal) {
        return merged || k.local || k.methods != null || k.registryState != null
            || meta != null && meta.valAt(PROTOCOL) != null || k.removed && removal;
    }

    private static final Keyword PROTOCOL = Keyword.intern("protocol");

    /**
     * Tells, with the others gathered meanwhile, that var {@code varName} ({@code key}) now
     * holds {@code address}'s definition, which took away {@code own}. What is told is what
     * holds the var when the line is made: records of a race can arrive in another order than
     * the one their writes landed in, and the last may have seen this member's definition.
     */
    synchronized void note(String key, String varName, Own own, String address) {
        if (noted.isEmpty()) {
            CompletableFuture.delayedExecutor(GATHER_MS, TimeUnit.MILLISECONDS, later).execute(this::tell);
        }
        noted.put(key, new Noted(varName, own, address));
    }

    private void tell() {
        Map<String, Noted> gathered;
        synchronized (this) {
            gathered = new LinkedHashMap<>(noted);
            noted.clear();
        }
        Map<String, Set<String>> byMember = new LinkedHashMap<>();
        gathered.forEach((key, n) -> {
            String now = holders.takingAway(key, n.own(), n.address());
            if (now != null) byMember.computeIfAbsent(now, a -> new TreeSet<>()).add(n.varName());
        });
        byMember.forEach((address, vars) -> warn.accept(line(List.copyOf(vars), address)));
    }

    /** The line that tells of {@code vars}, which the definitions of the member at {@code address} replaced. */
    static String line(List<String> vars, String address) {
        boolean one = vars.size() == 1;
        List<String> named = new ArrayList<>(vars.subList(0, Math.min(NAMED, vars.size())));
        String names = vars.size() > NAMED ? String.join(", ", named) + " and " + (vars.size() - NAMED) + " more"
            : named.size() == 1 ? named.get(0)
            : String.join(", ", named.subList(0, named.size() - 1)) + " and " + named.get(named.size() - 1);
        return names + (one ? ": the definition" : ": the definitions") + " made here "
            + (one ? "was" : "were") + " replaced by member " + address + "'s, made without seeing "
            + (one ? "it" : "them") + " (at the same moment, or while the two members were apart); evaluate "
            + (one ? "it" : "them") + " again to make " + (one ? "it" : "them") + " the cluster's.";
    }
}
