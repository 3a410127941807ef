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
 */
final class Overwritten {
    /** How long the first var told waits for others, to go in one line with them. */
    private static final long GATHER_MS = 1_000;
    /** How many vars a line names; the rest are counted. */
    private static final int NAMED = 5;

    private final Consumer<String> warn;
    private final Executor later;
    /** The vars to tell, by the address of the member whose definitions replaced them; guarded by this. */
    private final Map<String, Set<String>> byMember = new LinkedHashMap<>();

    Overwritten(Consumer<String> warn, Executor later) {
        this.warn = warn;
        this.later = later;
    }

    /**
     * True if a record based on {@code base} (the stamp of the record its writer changed), of
     * source {@code source}, takes away a definition this member made: {@code known} is its own
     * record, of source {@code ownSource}, and the writer had not seen it.
     */
    static boolean takesAway(Stamp base, String source, Stamp known, String ownSource) {
        boolean seen = base.version() > known.version() || base.equals(known);
        return !seen && (source == null || !Objects.equals(source, ownSource));
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

    /** Tells, with the others gathered meanwhile, that var {@code varName} now holds {@code address}'s definition. */
    synchronized void note(String varName, String address) {
        if (byMember.isEmpty()) {
            CompletableFuture.delayedExecutor(GATHER_MS, TimeUnit.MILLISECONDS, later).execute(this::tell);
        }
        byMember.computeIfAbsent(address, a -> new TreeSet<>()).add(varName);
    }

    private void tell() {
        Map<String, Set<String>> told;
        synchronized (this) {
            told = new LinkedHashMap<>(byMember);
            byMember.clear();
        }
        told.forEach((address, vars) -> warn.accept(line(List.copyOf(vars), address)));
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
