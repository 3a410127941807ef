package entangle.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmarks' results, side by side: each with what entangle measured, its baseline, the
 * ratio and the target; written as a markdown table (for the README) and as JSON (with the raw
 * numbers).
 */
final class Report {
    /**
     * One result: {@code ratio} is entangle over baseline; {@code verdict} is "met" or "missed"
     * (the ratio is on the target's side or not), "no measure" (the numbers cannot be compared,
     * and the note says why), or empty for a result without a target.
     */
    record Result(String id, String what, double entangle, double baseline, String unit, double ratio,
                  String target, String verdict, String note, Map<String, Object> raw) {}

    private final Map<String, String> machine;
    private final List<Result> results = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    /** By result id: the 95% bootstrap interval of its ratio, for results measured over samples on both sides. */
    private final Map<String, double[]> intervals = new LinkedHashMap<>();

    Report(Map<String, String> machine) {
        this.machine = machine;
    }

    /** A result whose ratio must be at most {@code max}. */
    void atMost(String id, String what, double entangle, double baseline, String unit, double max, String note,
                Map<String, Object> raw) {
        double ratio = entangle / baseline;
        add(new Result(id, what, entangle, baseline, unit, ratio, "≤ " + fmt(max) + "x", verdict(ratio <= max), note, raw));
    }

    /**
     * A growth whose ratio must be at most {@code max}. A side that did not grow gives no
     * measure, whatever the ratio says: a negative growth means a collection at the end of the
     * measure reclaimed what one at its start did not, not that entangle saves memory, and a
     * baseline that did not grow leaves nothing to compare with.
     */
    void growthAtMost(String id, String what, double entangle, double baseline, String unit, double max, String note,
                      Map<String, Object> raw) {
        if (entangle >= 0 && baseline > 0) {
            atMost(id, what, entangle, baseline, unit, max, note, raw);
            return;
        }
        String why = (entangle < 0 ? "entangle's side shrank" : "the baseline did not grow") + " (" + fmt(entangle)
            + " and " + fmt(baseline) + " " + unit + ")";
        add(new Result(id, what, entangle, baseline, unit, Double.NaN, "≤ " + fmt(max) + "x", NO_MEASURE,
                       why + (note == null || note.isEmpty() ? "" : "; " + note), raw));
    }

    /** A result whose ratio (baseline over entangle: how many times faster) must be at least {@code min}. */
    void speedupAtLeast(String id, String what, double entangle, double baseline, String unit, double min, String note,
                        Map<String, Object> raw) {
        double ratio = baseline / entangle;
        add(new Result(id, what, entangle, baseline, unit, ratio, "≥ " + fmt(min) + "x faster", verdict(ratio >= min), note,
                       raw));
    }

    /** A result whose ratio (entangle over baseline, higher is better) must be at least {@code min}. */
    void atLeast(String id, String what, double entangle, double baseline, String unit, double min, String note,
                 Map<String, Object> raw) {
        double ratio = entangle / baseline;
        add(new Result(id, what, entangle, baseline, unit, ratio, "≥ " + fmt(min) + "x", verdict(ratio >= min), note, raw));
    }

    /** A measurement beside its baseline, without a target: entangle over baseline. */
    void compared(String id, String what, double entangle, double baseline, String unit, String note,
                  Map<String, Object> raw) {
        add(new Result(id, what, entangle, baseline, unit, entangle / baseline, "", "", note, raw));
    }

    /** A measurement without a target. */
    void info(String id, String what, double entangle, String unit, String note, Map<String, Object> raw) {
        add(new Result(id, what, entangle, Double.NaN, unit, Double.NaN, "", "", note, raw));
    }

    /**
     * Gives result {@code id}'s ratio its 95% interval, {@code {low, high}} (see {@link
     * Benchmarks.Stats#ratioInterval}): where it straddles the target, this run cannot tell met
     * from missed, whatever the verdict of the ratio itself.
     */
    void interval(String id, double[] lowHigh) {
        intervals.put(id, lowHigh);
    }

    static final String NO_MEASURE = "no measure";

    private static String verdict(boolean met) {
        return met ? "met" : "missed";
    }

    void note(String text) {
        notes.add(text);
    }

    private synchronized void add(Result r) {
        results.add(r);
        System.out.println("bench: " + r.id() + " " + r.what() + ": " + fmt(r.entangle()) + " vs " + fmt(r.baseline())
            + " " + r.unit() + (Double.isNaN(r.ratio()) ? "" : ", ratio " + fmt(r.ratio()))
            + (r.target().isEmpty() ? "" : " (target " + r.target() + ", " + r.verdict().toUpperCase(Locale.ROOT) + ")"));
    }

    String markdown() {
        StringBuilder b = new StringBuilder();
        b.append("| | measured | entangle | baseline | ratio | target | |\n|---|---|---|---|---|---|---|\n");
        for (Result r : results) {
            b.append("| ").append(r.id()).append(" | ").append(r.what()).append(" | ")
                .append(fmt(r.entangle())).append(' ').append(r.unit()).append(" | ")
                .append(Double.isNaN(r.baseline()) ? "" : fmt(r.baseline()) + " " + r.unit()).append(" | ")
                .append(Double.isNaN(r.ratio()) ? "" : fmt(r.ratio()) + "x" + intervalText(r.id())).append(" | ")
                .append(r.target()).append(" | ")
                .append(r.verdict().equals("met") || r.verdict().isEmpty() ? r.verdict() : "**" + r.verdict() + "**")
                .append(" |\n");
        }
        b.append("\nMachine: ").append(machine.get("summary")).append('\n');
        if (!intervals.isEmpty()) {
            b.append("\nIn brackets after a ratio: its 95% interval, from resampling each side's samples (forks, JVMs,"
                + " definitions) with replacement ").append(Benchmarks.Stats.RESAMPLES).append(" times; where it"
                + " straddles the target, this run cannot tell met from missed.\n");
        }
        for (Result r : results) {
            if (r.note() != null && !r.note().isEmpty()) b.append("\n- ").append(r.id()).append(": ").append(r.note());
        }
        for (String n : notes) b.append("\n- ").append(n);
        if (results.stream().anyMatch(r -> r.verdict().equals("missed"))) {
            b.append("\n\nWhat profiling found for the targets missed, what was fixed and what is left: README.md,"
                + " section Benchmarks, and test/bench/FINDINGS.md.");
        }
        return b.append('\n').toString();
    }

    String json() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("date", Instant.now().toString());
        root.put("machine", machine);
        List<Object> rs = new ArrayList<>();
        for (Result r : results) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", r.id());
            m.put("what", r.what());
            m.put("entangle", r.entangle());
            m.put("baseline", r.baseline());
            m.put("unit", r.unit());
            m.put("ratio", r.ratio());
            double[] ci = intervals.get(r.id());
            m.put("ratio_interval_95", ci == null ? null : List.of(ci[0], ci[1]));
            m.put("target", r.target());
            m.put("verdict", r.verdict());
            m.put("note", r.note());
            m.put("raw", r.raw());
            rs.add(m);
        }
        root.put("results", rs);
        root.put("notes", notes);
        StringBuilder b = new StringBuilder();
        write(b, root, "");
        return b.append('\n').toString();
    }

    void writeTo(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("report.md"), markdown());
        Files.writeString(dir.resolve("report.json"), json());
    }

    private String intervalText(String id) {
        double[] ci = intervals.get(id);
        return ci == null ? "" : " (" + fmt(ci[0]) + "–" + fmt(ci[1]) + ")";
    }

    static String fmt(double d) {
        if (Double.isNaN(d)) return "";
        if (Math.abs(d) >= 100) return String.format(Locale.ROOT, "%.0f", d);
        if (Math.abs(d) >= 10) return String.format(Locale.ROOT, "%.1f", d);
        return String.format(Locale.ROOT, "%.2f", d);
    }

    private static void write(StringBuilder b, Object v, String indent) {
        if (v == null) {
            b.append("null");
        } else if (v instanceof Map<?, ?> m) {
            b.append("{");
            String sep = "\n";
            for (Map.Entry<?, ?> e : m.entrySet()) {
                b.append(sep).append(indent).append("  ");
                string(b, String.valueOf(e.getKey()));
                b.append(": ");
                write(b, e.getValue(), indent + "  ");
                sep = ",\n";
            }
            b.append(m.isEmpty() ? "}" : "\n" + indent + "}");
        } else if (v instanceof List<?> l) {
            b.append("[");
            String sep = "";
            for (Object o : l) {
                b.append(sep);
                write(b, o, indent + "  ");
                sep = ", ";
            }
            b.append("]");
        } else if (v instanceof double[] ds) {
            List<Object> l = new ArrayList<>();
            for (double d : ds) l.add(d);
            write(b, l, indent);
        } else if (v instanceof Double d) {
            b.append(d.isNaN() || d.isInfinite() ? "null" : String.format(Locale.ROOT, "%.4f", d));
        } else if (v instanceof Number || v instanceof Boolean) {
            b.append(v);
        } else {
            string(b, v.toString());
        }
    }

    private static void string(StringBuilder b, String s) {
        b.append('"');
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                default -> {
                    if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
                    else b.append(c);
                }
            }
        }
        b.append('"');
    }
}
