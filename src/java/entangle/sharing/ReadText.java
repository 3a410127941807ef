package entangle.sharing;

/**
 * The text an evaluation read its forms from, and where that text sits: the forms' vars name
 * {@code file} as their {@code :file} (the value {@code *file*} had), and the reader counted
 * their {@code :line} from {@code line} and their {@code :column} from {@code column}: where the
 * text's first character is. A loaded file is read from its first line and column; an
 * editor's eval of a form in a file, from the form's place in it. The vars take their source
 * from this text rather than from {@code file} on disk, which may not hold what was sent (an
 * editor's unsaved buffer).
 */
public record ReadText(String file, int line, int column, String text) {
    public ReadText {
        if (text == null) throw new IllegalArgumentException("a read text needs its text");
        if (line < 1 || column < 1) {
            throw new IllegalArgumentException("a read text starts at line 1, column 1 or later, not " + line + ":" + column);
        }
    }
}
