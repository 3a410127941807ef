package entangle.unit;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256, the address of everything stored by content. */
public final class ContentHash {
    private ContentHash() {}

    public static byte[] sha256(byte[] bytes, int off, int len) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(bytes, off, len);
            return md.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM has no SHA-256", e);
        }
    }

    public static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(sha256(bytes, 0, bytes.length));
    }

    /** The first 12 hex digits: enough to name a unit in a message. */
    public static String shortHex(String hex) {
        return hex.length() > 12 ? hex.substring(0, 12) : hex;
    }
}
