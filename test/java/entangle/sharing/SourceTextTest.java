package entangle.sharing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import clojure.lang.IPersistentMap;
import clojure.lang.Keyword;
import clojure.lang.RT;

/** A var's source is the form at its :line, found as the reader counted lines. */
class SourceTextTest {
    /** The text of the form {@code sources} finds at {@code meta}'s place, or null. */
    private static String form(SourceText sources, IPersistentMap meta) {
        SourceText.Form f = sources.formAt(meta);
        return f == null ? null : f.text();
    }

    private static IPersistentMap at(String file, int line) {
        return (IPersistentMap) RT.map(Keyword.intern("file"), file, Keyword.intern("line"), line);
    }

    @Test
    void eachVarOfALoadedDocumentGetsTheFormOnItsLine() {
        String document = "(ns shop.cart)\n\n(defn total \"Sums.\" [items]\n  (reduce + items))\n"
            + "(def a 1) (def b 2)\n;; the end\n(defn last-one [] :last)";
        SourceText sources = new SourceText("(load-file \"cart.clj\")", new ReadText("cart.clj", 1, 1, document));
        assertEquals("(defn total \"Sums.\" [items]\n  (reduce + items))", form(sources, at("cart.clj", 3)));
        assertEquals("(defn last-one [] :last)", form(sources, at("cart.clj", 7)));
        // The reader gives b line 5 too: the first form on a line is what source finds, as in Clojure.
        assertEquals("(def a 1)", form(sources, at("cart.clj", 5)));
        assertEquals("(ns shop.cart)", form(sources, at("cart.clj", 1)));
    }

    private static IPersistentMap at(String file, int line, int column) {
        return (IPersistentMap) RT.map(Keyword.intern("file"), file, Keyword.intern("line"), line,
                                       Keyword.intern("column"), column);
    }

    @Test
    void formsThatStartOnOneLineAreToldApartByTheirColumn() {
        String code = "(ns host.defs) (defn tripled [x] (* 3 x))\n  (def a 1), (def b 2)";
        SourceText sources = new SourceText(code, new ReadText("NO_SOURCE_PATH", 1, 1, code));
        assertEquals("(defn tripled [x] (* 3 x))", form(sources, at("NO_SOURCE_PATH", 1, 16)));
        assertEquals("(def b 2)", form(sources, at("NO_SOURCE_PATH", 2, 14)));
        assertNull(form(sources, at("NO_SOURCE_PATH", 1, 99)), "past the line's end: no form there");
        // An editor's code that starts mid-line in its file: the first line's columns count from there.
        String sent = "(def c 3) (def d 4)\n(def e 5)";
        SourceText placed = new SourceText(sent, new ReadText("/src/f.clj", 7, 5, sent));
        assertEquals("(def d 4)", form(placed, at("/src/f.clj", 7, 15)));
        assertEquals("(def e 5)", form(placed, at("/src/f.clj", 8, 1)));
    }

    @Test
    void aFormFoundAtAPlaceSaysWhetherItNamesTheVar() {
        // Another evaluation's text, where a var's :line and :column fall mid-symbol or on another def.
        String other = "(defn later-session [] 2) (def config {:n nil, :tags #{a b}})";
        SourceText sources = new SourceText(other, new ReadText("NO_SOURCE_PATH", 1, 1, other));
        SourceText.Form midSymbol = sources.formAt(at("NO_SOURCE_PATH", 1, 5));
        assertEquals("n", midSymbol.text());
        assertFalse(midSymbol.names("held-open"));
        assertFalse(midSymbol.isCall());
        SourceText.Form def = sources.formAt(at("NO_SOURCE_PATH", 1, 27));
        assertTrue(def.names("config") && def.isCall());
        assertTrue(def.names("b"), "a symbol anywhere in the form, nils beside it");
        assertFalse(def.names("held-data"));
        // A defrecord's constructors are named by no symbol of its form; it is a call.
        String code = "(defrecord Point [x y])";
        SourceText.Form recordForm = new SourceText(code, new ReadText("NO_SOURCE_PATH", 1, 1, code))
            .formAt(at("NO_SOURCE_PATH", 1, 1));
        assertFalse(recordForm.names("->Point"));
        assertTrue(recordForm.isCall());
    }

    @Test
    void linesEndAsTheReaderCountsThem() {
        String document = "(ns x)\r\n(def crlf 1)\r(def cr 2)\n(def lf 3)";
        SourceText sources = new SourceText(null, new ReadText("x.clj", 1, 1, document));
        assertEquals("(def crlf 1)", form(sources, at("x.clj", 2)));
        assertEquals("(def cr 2)", form(sources, at("x.clj", 3)));
        assertEquals("(def lf 3)", form(sources, at("x.clj", 4)));
    }

    @Test
    void aLineThatHoldsNoFormHasNone() {
        SourceText sources = new SourceText("(eval-text)", new ReadText("x.clj", 1, 1, "(ns x)\n;; only a comment\n"));
        assertNull(form(sources, at("x.clj", 2)), "a comment to the end: no form");
        assertNull(form(sources, at("x.clj", 9)), "past the end");
        SourceText blank = new SourceText("(eval-text)", new ReadText("y.clj", 1, 1, "(ns y)\n   \n(def later 1)"));
        assertNull(form(blank, at("y.clj", 2)), "a blank line: not the form on the next one");
        assertNull(form(sources, at("x.clj", 0)));
        assertNull(form(sources, at("NO_SOURCE_PATH", 1)), "a REPL eval");
        assertNull(form(sources, null));
        assertNull(form(new SourceText(null, null), at("/no/such/file.clj", 1)));
    }

    @TempDir
    Path dir;

    private String file(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text).toString();
    }

    @Test
    void codeAnEditorSentFromAFileIsTheSourceNotTheFileOnDisk() throws Exception {
        // What is saved: the buffer the editor sent from has changed since.
        String saved = file("z.clj", "(ns z)\n\n(defn area [r] (* r r))\n(defn old [] :saved)\n");
        String sent = "(defn area [r]\n  (* 3.14 r r))\n(defn added [] :unsaved)";
        SourceText sources = new SourceText(sent, new ReadText(saved, 3, 1, sent));
        assertEquals("(defn area [r]\n  (* 3.14 r r))", form(sources, at(saved, 3)));
        assertEquals("(defn added [] :unsaved)", form(sources, at(saved, 5)));
        // Lines of the file outside the code sent (a form of it the code loaded): from disk.
        assertEquals("(ns z)", form(sources, at(saved, 1)));
    }

    @Test
    void theTextReadIsTheSourceOnlyOfVarsThatNameItsFile() throws Exception {
        String other = file("other.clj", "(ns other)\n(defn from-disk [] 1)\n");
        // A loaded file that loads another one: the other's vars are not in the text read.
        SourceText sources = new SourceText(null, new ReadText("/src/outer.clj", 1, 1, "(ns outer)\n(def here 2)\n"));
        assertEquals("(def here 2)", form(sources, at("/src/outer.clj", 2)));
        assertEquals("(defn from-disk [] 1)", form(sources, at(other, 2)));
        // Code evaluated with no file (a REPL's, an nREPL eval without :file): each var its own form.
        SourceText code = new SourceText("(def a 1)\n(def b 2)", new ReadText("NO_SOURCE_PATH", 1, 1, "(def a 1)\n(def b 2)"));
        assertEquals("(def b 2)", form(code, at("NO_SOURCE_PATH", 2)));
        // A file loaded without a path (an nREPL load-file without :file-path): its vars have no :file.
        SourceText pathless = new SourceText(null, new ReadText(null, 1, 1, "(ns p)\n(def c 3)"));
        assertEquals("(def c 3)", form(pathless, (IPersistentMap) RT.map(Keyword.intern("line"), 2)));
    }

    @Test
    void withoutATextReadTheFileIsRead() throws Exception {
        String cljc = file("y.cljc", "(ns y)\n(defn f [] #?(:clj :jvm :cljs :js))\n");
        SourceText sources = new SourceText("(load-file ...)", null);
        assertEquals("(defn f [] #?(:clj :jvm :cljs :js))", form(sources, at(cljc, 2)));
        assertEquals("(ns y)", form(sources, at(cljc, 1)));
    }
}
