package entangle.sharing;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Queue;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

import clojure.lang.IPersistentMap;
import clojure.lang.Keyword;

/**
 * The texts of this member's evaluations, where a shared var's source finds the form that
 * defined it: the text evaluated, the text that compiled its fn (a def inside code run later),
 * the text of an evaluation still running (another session's, whose definitions a publication
 * shares), or the newest earlier one that names it.
 *
 * <p>What {@link #compiled} records is guarded by the caller (one publication at a time);
 * {@link #running} may be called from any thread.
 */
final class EvaluatedTexts {
    private static final Keyword LINE = Keyword.intern("line");

    /**
     * The text each evaluation read, by the class loader its code was compiled in, while the
     * loader lives: a fn that a def inside other code made (a def run by a future, or by a fn
     * called in a later evaluation) finds its form in the text that compiled it, not in the
     * text of the evaluation that ran the def.
     */
    private final Map<ClassLoader, Evaluated> compiledIn = new WeakHashMap<>();
    /** How many evaluations {@link #compiled} recorded. */
    private long order;
    /** The evaluations running now (see {@link #running}). */
    private final Queue<Evaluated> running = new ConcurrentLinkedQueue<>();

    /**
     * An evaluation's text: the code evaluated and what it was read from (either may be null),
     * and which it was of those {@link #compiled} recorded, in order (0: one running).
     */
    private record Evaluated(String evalText, ReadText read, long order) {
        SourceText text() {
            return new SourceText(evalText, read);
        }

        boolean sameText(SourceText t) {
            return Objects.equals(evalText, t.evalText()) && Objects.equals(read, t.read());
        }

        /** True if the text holds {@code name} anywhere: a quick look before reading a form of it. */
        boolean mentions(String name) {
            return evalText != null && evalText.contains(name) || read != null && read.text().contains(name);
        }
    }

    /**
     * Records that the evaluation of {@code evalText} (read from {@code read}; either may be
     * null, not both) compiled its code in {@code loaders}.
     */
    void compiled(String evalText, ReadText read, Collection<ClassLoader> loaders) {
        Evaluated evaluated = new Evaluated(evalText, read, ++order);
        for (ClassLoader l : loaders) compiledIn.put(l, evaluated);
    }

    /**
     * Marks the evaluation of {@code evalText} (read from {@code read}; either may be null)
     * running until the returned action runs: what a publication meanwhile shares of it finds
     * its forms in its text.
     */
    Runnable running(String evalText, ReadText read) {
        if (evalText == null && read == null) return () -> { };
        Evaluated e = new Evaluated(evalText, read, 0);
        running.add(e);
        return () -> running.remove(e);
    }

    /** The forms of one publication, whose evaluation's text is {@code text}: each text is indexed once. */
    Forms forms(SourceText text) {
        return new Forms(text);
    }

    /** Finds the forms that defined the vars of one publication. */
    final class Forms {
        private final SourceText text;
        private final Map<Evaluated, SourceText> others = new HashMap<>();

        private Forms(SourceText text) {
            this.text = text;
        }

        /**
         * The text of the form that defined var {@code name} (with meta {@code meta}, and
         * {@code root}, its value), found by its :line and :column in the text evaluated, in
         * the text that compiled its fn, or in the text of an evaluation still running; the
         * first of those forms that names the var, else the first that is a call (a
         * defrecord's {@code ->R} is named by none); else the form in the newest earlier
         * evaluation that names it. Null if none.
         */
        String formOf(String name, IPersistentMap meta, Object root) {
            List<Evaluated> candidates = new ArrayList<>();
            Evaluated compiledBy = root == null ? null : compiledIn.get(root.getClass().getClassLoader());
            if (compiledBy != null) candidates.add(compiledBy);
            candidates.addAll(running);
            SourceText.Form call = null;
            for (int i = -1; i < candidates.size(); i++) {
                if (i >= 0 && candidates.get(i).sameText(text)) continue;
                SourceText t = i < 0 ? text : others.computeIfAbsent(candidates.get(i), Evaluated::text);
                SourceText.Form form = t.formAt(meta);
                if (form == null) continue;
                if (form.names(name)) return form.text();
                if (call == null && form.isCall()) call = form;
            }
            if (call != null) return call.text();
            // Only for a var that has a place to look at: not one interned by code (intern, a
            // loop making thousands of vars), which would look through every text for each.
            SourceText.Form earlier = meta.valAt(LINE) instanceof Number ? newestNaming(meta, name) : null;
            return earlier == null ? null : earlier.text();
        }

        /**
         * The form at {@code meta}'s place that names {@code name}, in the newest earlier
         * evaluation whose code is still loaded: the source of a var that a def in code
         * compiled then made later ({@code (defn init! [] (def config {...}))}, then {@code
         * (init!)}), whose value, not a fn, does not say which evaluation compiled it. Null if
         * none.
         */
        private SourceText.Form newestNaming(IPersistentMap meta, String name) {
            Evaluated newest = null;
            SourceText.Form found = null;
            // Every loader of an evaluation maps to its one Evaluated (a loaded file's
            // thousands): each text is looked through once.
            Set<Evaluated> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
            for (Evaluated e : compiledIn.values()) {
                if (!seen.add(e) || newest != null && e.order() <= newest.order() || !e.mentions(name)) continue;
                SourceText.Form form = others.computeIfAbsent(e, Evaluated::text).formAt(meta);
                if (form != null && form.names(name)) {
                    newest = e;
                    found = form;
                }
            }
            return found;
        }
    }
}
