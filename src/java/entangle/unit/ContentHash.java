package entangle.unit;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** SHA-256, the address of everything stored by content; and HMAC-SHA256, its keyed form. */
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

    /** The HMAC-SHA256 under {@code key} of {@code len} bytes of {@code bytes} from {@code off}. */
    public static byte[] hmacSha256(byte[] key, byte[] bytes, int off, int len) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            mac.update(bytes, off, len);
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no HmacSHA256", e);
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
