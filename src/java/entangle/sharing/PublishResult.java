package entangle.sharing;

import java.util.List;

/**
 * What sharing the changes of one evaluation did: how many namespaces, named classes and vars it published,
 * and the warnings to show the user who evaluated (a value that stayed on this member, a
 * cluster that could not be reached).
 */
public record PublishResult(int namespaces, int classes, int vars, List<String> warnings) {
    static final PublishResult NOTHING = new PublishResult(0, 0, 0, List.of());

    /** This and {@code more}, published after it by the same evaluation. */
    PublishResult and(PublishResult more) {
        if (more == NOTHING) return this;
        List<String> all = new java.util.ArrayList<>(warnings);
        all.addAll(more.warnings);
        return new PublishResult(namespaces + more.namespaces, classes + more.classes, vars + more.vars, List.copyOf(all));
    }
}
