package entangle.sharing;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.LineNumberReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import clojure.lang.IPersistentMap;
import clojure.lang.LineNumberingPushbackReader;
import clojure.lang.LispReader;
import clojure.lang.RT;

/** The source text of the form that defined a var, as {@code clojure.repl/source} would find it. */
final class SourceText {
    private static final int MAX = 1 << 20;
    private static final clojure.lang.Keyword FILE = clojure.lang.Keyword.intern("file");
    private static final clojure.lang.Keyword LINE = clojure.lang.Keyword.intern("line");

    private SourceText() {}

    /**
     * The form at the var's {@code :line} in {@code document} if given, or else in its
     * {@code :file} when that file can be read (a loaded file); otherwise the text of the form
     * being evaluated (a REPL or nREPL eval).
     */
    static String of(IPersistentMap meta, String evalText, String document) {
        if (meta != null) {
            Object file = meta.valAt(FILE);
            Object line = meta.valAt(LINE);
            if (file instanceof String f && !"NO_SOURCE_PATH".equals(f) && !"NO_SOURCE_FILE".equals(f)
                && line instanceof Number n) {
                String text = formAt(f, document, n.intValue());
                if (text != null) return text;
            }
        }
        return evalText;
    }

    private static String formAt(String file, String document, int line) {
        try (Reader r = document != null ? new java.io.StringReader(document) : open(file)) {
            if (r == null) return null;
            LineNumberReader lines = new LineNumberReader(r);
            for (int i = 1; i < line; i++) {
                if (lines.readLine() == null) return null;
            }
            LineNumberingPushbackReader in = new LineNumberingPushbackReader(lines);
            in.captureString();
            Object eof = new Object();
            Object opts = file.endsWith(".cljc")
                ? RT.map(clojure.lang.Keyword.intern("read-cond"), clojure.lang.Keyword.intern("allow"),
                         clojure.lang.Keyword.intern("eof"), eof)
                : RT.map(clojure.lang.Keyword.intern("eof"), eof);
            Object form = LispReader.read(in, opts);
            String text = in.getString();
            return form == eof || text == null || text.length() > MAX ? null : text.strip();
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static Reader open(String file) throws IOException {
        Path p = Path.of(file);
        if (Files.isRegularFile(p)) return Files.newBufferedReader(p, StandardCharsets.UTF_8);
        InputStream in = RT.baseLoader().getResourceAsStream(file);
        return in == null ? null : new InputStreamReader(in, StandardCharsets.UTF_8);
    }
}
