package entangle.sharing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

import clojure.lang.IPersistentMap;
import clojure.lang.Keyword;
import clojure.lang.RT;

/** A var's source is the form at its :line, found as the reader counted lines. */
class SourceTextTest {
    private static IPersistentMap at(String file, int line) {
        return (IPersistentMap) RT.map(Keyword.intern("file"), file, Keyword.intern("line"), line);
    }

    @Test
    void eachVarOfALoadedDocumentGetsTheFormOnItsLine() {
        String document = "(ns shop.cart)\n\n(defn total \"Sums.\" [items]\n  (reduce + items))\n"
            + "(def a 1) (def b 2)\n;; the end\n(defn last-one [] :last)";
        SourceText sources = new SourceText("(load-file \"cart.clj\")", document);
        assertEquals("(defn total \"Sums.\" [items]\n  (reduce + items))", sources.of(at("cart.clj", 3)));
        assertEquals("(defn last-one [] :last)", sources.of(at("cart.clj", 7)));
        // The reader gives b line 5 too: the first form on a line is what source finds, as in Clojure.
        assertEquals("(def a 1)", sources.of(at("cart.clj", 5)));
        assertEquals("(ns shop.cart)", sources.of(at("cart.clj", 1)));
    }

    @Test
    void linesEndAsTheReaderCountsThem() {
        String document = "(ns x)\r\n(def crlf 1)\r(def cr 2)\n(def lf 3)";
        SourceText sources = new SourceText(null, document);
        assertEquals("(def crlf 1)", sources.of(at("x.clj", 2)));
        assertEquals("(def cr 2)", sources.of(at("x.clj", 3)));
        assertEquals("(def lf 3)", sources.of(at("x.clj", 4)));
    }

    @Test
    void aLineThatHoldsNoFormFallsBackToTheEvaluatedText() {
        SourceText sources = new SourceText("(eval-text)", "(ns x)\n;; only a comment\n");
        assertEquals("(eval-text)", sources.of(at("x.clj", 2)), "a comment to the end: no form");
        assertEquals("(eval-text)", sources.of(at("x.clj", 9)), "past the end");
        assertEquals("(eval-text)", sources.of(at("x.clj", 0)));
        assertEquals("(eval-text)", sources.of(at("NO_SOURCE_PATH", 1)), "a REPL eval");
        assertEquals("(eval-text)", sources.of(null));
        assertNull(new SourceText(null, null).of(at("/no/such/file.clj", 1)));
    }

    @Test
    void withoutADocumentTheFileIsRead() throws Exception {
        Path file = Files.createTempFile("entangle-source", ".cljc");
        try {
            Files.writeString(file, "(ns y)\n(defn f [] #?(:clj :jvm :cljs :js))\n");
            SourceText sources = new SourceText("(load-file ...)", null);
            assertEquals("(defn f [] #?(:clj :jvm :cljs :js))", sources.of(at(file.toString(), 2)));
            assertEquals("(ns y)", sources.of(at(file.toString(), 1)));
        } finally {
            Files.delete(file);
        }
    }
}
