package entangle.sharing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

import clojure.lang.IPersistentMap;
import clojure.lang.ISeq;
import clojure.lang.LineNumberingPushbackReader;
import clojure.lang.LispReader;
import clojure.lang.RT;
import clojure.lang.Symbol;

/**
 * The source text of the form that defined a var, as {@code clojure.repl/source} would find it.
 * One per publish: a loaded file's vars all point into the same document, so each document is
 * read and its lines indexed once, not once a var (a file of 10,000 defs read 10,000 times
 * made a load-file's publish take longer than the load).
 */
final class SourceText {
    private static final int MAX = 1 << 20;
    private static final clojure.lang.Keyword FILE = clojure.lang.Keyword.intern("file");
    private static final clojure.lang.Keyword LINE = clojure.lang.Keyword.intern("line");
    private static final clojure.lang.Keyword COLUMN = clojure.lang.Keyword.intern("column");
    private static final clojure.lang.Keyword EOF = clojure.lang.Keyword.intern("eof");
    private static final clojure.lang.Keyword READ_COND = clojure.lang.Keyword.intern("read-cond");
    private static final clojure.lang.Keyword ALLOW = clojure.lang.Keyword.intern("allow");
    /** What a file that cannot be read gives: no form, and no second try in this publish. */
    private static final Lines UNREADABLE = new Lines("");

    private final String evalText;
    private final ReadText read;
    private final Lines readLines;
    private final Map<String, Lines> files = new HashMap<>();

    /**
     * @param evalText the text evaluated (a REPL's form, the code an nREPL eval sent): the source
     *     of a var found in no text or file, or null
     * @param read the text the evaluation read its forms from, and where it sits, or null
     */
    SourceText(String evalText, ReadText read) {
        this.evalText = evalText;
        this.read = read;
        this.readLines = read == null ? null : linesOf(read.text());
    }

    private static String lastText;
    private static Lines lastLines;

    /**
     * The lines of {@code text}, kept for the next publish: an editor's eval of a whole buffer
     * publishes once a form, each with the same text, which is indexed once.
     */
    private static synchronized Lines linesOf(String text) {
        if (text != lastText) {
            lastLines = new Lines(text);
            lastText = text;
        }
        return lastLines;
    }

    /** A form found at a var's {@code :line} and {@code :column}: its text, and the form read from it. */
    record Form(String text, Object form) {
        /** How many parts of a form {@link #names} looks at, at most: a var's form is small. */
        private static final int LOOKED_AT = 100_000;

        /** True if the form holds the symbol {@code name} (unqualified), as a var's def does. */
        boolean names(String name) {
            ArrayDeque<Object> parts = new ArrayDeque<>();
            if (form != null) parts.push(form);
            for (int looked = 0; !parts.isEmpty() && looked < LOOKED_AT; looked++) {
                Object o = parts.pop();
                if (o instanceof Symbol s) {
                    if (s.getNamespace() == null && s.getName().equals(name)) return true;
                } else if (o instanceof Map<?, ?> m) {
                    for (Map.Entry<?, ?> e : m.entrySet()) {
                        if (e.getValue() != null) parts.push(e.getValue());
                        if (e.getKey() != null) parts.push(e.getKey());
                    }
                } else if (o instanceof Collection<?> c) {
                    for (Object x : c) if (x != null) parts.push(x);
                }
            }
            return false;
        }

        /** True if the form is a call, {@code (name ...)}: what a def or a macro that defines is. */
        boolean isCall() {
            return form instanceof ISeq seq && seq.first() instanceof Symbol;
        }
    }

    /**
     * The form at the var's {@code :line} and {@code :column}: in the text the evaluation read,
     * if the var names its file and a line inside it; else in its {@code :file} when that file
     * can be read (a file loaded while evaluating). Null if neither holds one there.
     */
    Form formAt(IPersistentMap meta) {
        if (meta != null) {
            Object file = meta.valAt(FILE);
            Object line = meta.valAt(LINE);
            // Several forms can start on one line ("(ns x) (defn f [])"): the column tells them apart.
            int column = meta.valAt(COLUMN) instanceof Number c ? c.intValue() : 0;
            if (line instanceof Number n) {
                int at = n.intValue();
                if (read != null && java.util.Objects.equals(file, read.file()) && at >= read.line()) {
                    int offset = column < 1 ? 0 : column - (at == read.line() ? read.column() : 1);
                    Form form = readLines.formAt(at - read.line() + 1, offset, cljc(file));
                    if (form != null) return form;
                }
                if (file instanceof String f && !"NO_SOURCE_PATH".equals(f) && !"NO_SOURCE_FILE".equals(f)) {
                    Lines lines = files.computeIfAbsent(f, this::readFile);
                    Form form = lines.formAt(at, column < 1 ? 0 : column - 1, cljc(f));
                    if (form != null) return form;
                }
            }
        }
        return null;
    }

    /** The text of the form being evaluated, or null. */
    String evalText() {
        return evalText;
    }

    /** The text the evaluation read its forms from, or null. */
    ReadText read() {
        return read;
    }

    /** True if there is no text to look in: a publication outside any evaluation. */
    boolean none() {
        return evalText == null && read == null;
    }

    private static boolean cljc(Object file) {
        return file instanceof String f && f.endsWith(".cljc");
    }

    private Lines readFile(String file) {
        try {
            Path p = Path.of(file);
            if (Files.isRegularFile(p)) return new Lines(Files.readString(p, StandardCharsets.UTF_8));
            try (InputStream in = RT.baseLoader().getResourceAsStream(file)) {
                return in == null ? UNREADABLE : new Lines(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        } catch (IOException | RuntimeException e) {
            return UNREADABLE;
        }
    }

    /** A document and where each of its lines starts. */
    private static final class Lines {
        private final String text;
        private final int[] starts;

        Lines(String text) {
            this.text = text;
            int count = 1;
            for (int i = 0; i < text.length(); i++) if (endsLine(text, i)) count++;
            starts = new int[count];
            for (int i = 0, line = 1; i < text.length(); i++) {
                if (endsLine(text, i)) starts[line++] = i + 1;
            }
        }

        /** As the reader counts {@code :line}: a line ends at \n, \r\n or a lone \r. */
        private static boolean endsLine(String text, int i) {
            char c = text.charAt(i);
            return c == '\n' || c == '\r' && (i + 1 == text.length() || text.charAt(i + 1) != '\n');
        }

        /**
         * The form that starts on {@code line} (1-based), {@code offset} characters into it
         * (its :column less one; 0 when not known: the line's first form), or null.
         */
        Form formAt(int line, int offset, boolean cljc) {
            if (line < 1 || line > starts.length || offset < 0) return null;
            int at = starts[line - 1] + offset;
            if (at >= (line < starts.length ? starts[line] : text.length())) return null;
            try {
                java.io.StringReader from = new java.io.StringReader(text);
                from.skip(at); // moves an index; copies nothing
                LineNumberingPushbackReader in = new LineNumberingPushbackReader(from);
                // The form must start on this line: a var whose :line does not match the text
                // (its file changed since) gets no source rather than the next form's.
                int c;
                do {
                    c = in.read();
                } while (c != -1 && c != '\n' && c != '\r' && (Character.isWhitespace(c) || c == ','));
                if (c == -1 || c == '\n' || c == '\r' || c == ';') return null;
                in.unread(c);
                in.captureString();
                Object eof = new Object();
                Object opts = cljc ? RT.map(READ_COND, ALLOW, EOF, eof) : RT.map(EOF, eof);
                Object form = LispReader.read(in, opts);
                String read = in.getString();
                return form == eof || read == null || read.length() > MAX ? null : new Form(read.strip(), form);
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
    }
}
