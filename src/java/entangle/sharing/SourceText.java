package entangle.sharing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import clojure.lang.IPersistentMap;
import clojure.lang.LineNumberingPushbackReader;
import clojure.lang.LispReader;
import clojure.lang.RT;

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
    private static final clojure.lang.Keyword EOF = clojure.lang.Keyword.intern("eof");
    private static final clojure.lang.Keyword READ_COND = clojure.lang.Keyword.intern("read-cond");
    private static final clojure.lang.Keyword ALLOW = clojure.lang.Keyword.intern("allow");
    /** What a file that cannot be read gives: no form, and no second try in this publish. */
    private static final Lines UNREADABLE = new Lines("");

    private final String evalText;
    private final String document;
    private final Map<String, Lines> files = new HashMap<>();

    /**
     * @param evalText the text of the form being evaluated (a REPL or nREPL eval), or null
     * @param document the text of the file being loaded, or null
     */
    SourceText(String evalText, String document) {
        this.evalText = evalText;
        this.document = document;
    }

    /**
     * The form at the var's {@code :line} in the document if given, or else in its
     * {@code :file} when that file can be read (a loaded file); otherwise the text of the form
     * being evaluated.
     */
    String of(IPersistentMap meta) {
        if (meta != null) {
            Object file = meta.valAt(FILE);
            Object line = meta.valAt(LINE);
            if (file instanceof String f && !"NO_SOURCE_PATH".equals(f) && !"NO_SOURCE_FILE".equals(f)
                && line instanceof Number n) {
                Lines lines = files.computeIfAbsent(f, this::read);
                String text = lines.formAt(n.intValue(), f.endsWith(".cljc"));
                if (text != null) return text;
            }
        }
        return evalText;
    }

    private Lines read(String file) {
        try {
            if (document != null) return new Lines(document);
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

        /** The first form that starts on {@code line} (1-based), or null. */
        String formAt(int line, boolean cljc) {
            if (line < 1 || line > starts.length) return null;
            try {
                java.io.StringReader from = new java.io.StringReader(text);
                from.skip(starts[line - 1]); // moves an index; copies nothing
                LineNumberingPushbackReader in = new LineNumberingPushbackReader(from);
                in.captureString();
                Object eof = new Object();
                Object opts = cljc ? RT.map(READ_COND, ALLOW, EOF, eof) : RT.map(EOF, eof);
                Object form = LispReader.read(in, opts);
                String read = in.getString();
                return form == eof || read == null || read.length() > MAX ? null : read.strip();
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
    }
}
