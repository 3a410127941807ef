package entangle.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Set;

import entangle.unit.ContentHash;

/**
 * A cluster's secret: what a member or client must hold, besides the cluster's name, to be
 * let into a cluster that has one. It is read from a file only its owner can read (as ssh
 * refuses a private key and Erlang a cookie that others can read), and never travels itself:
 * members and clients show proofs made from it (a keyed hash of what they claim), and every
 * record in the cluster's maps is sealed with a key made from it, so that a record written
 * without it is refused as a tampered one.
 */
public final class ClusterSecret {
    /** The longest secret file read: a secret is a line, not a document. */
    private static final int MAX_BYTES = 4096;

    private final Path file;
    private final byte[] key;

    private ClusterSecret(Path file, byte[] key) {
        this.file = file;
        this.key = key;
    }

    /**
     * The secret in {@code file}: its bytes, less the line ending an editor or {@code echo}
     * leaves at the end.
     *
     * @throws IllegalArgumentException naming the file and what is wrong with it: it cannot be
     *     read, is empty or too long, or users other than its owner may read it
     */
    public static ClusterSecret read(Path file) {
        byte[] bytes;
        try {
            if (Files.size(file) > MAX_BYTES) {
                throw new IllegalArgumentException("secret file '" + file + "' is longer than " + MAX_BYTES
                    + " bytes; a secret is one line");
            }
            checkPrivate(file);
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("secret file '" + file + "' cannot be read ("
                + (e instanceof java.nio.file.NoSuchFileException ? "no such file"
                   : e instanceof java.nio.file.AccessDeniedException ? "permission denied" : e.getMessage()) + ")");
        }
        int end = bytes.length;
        while (end > 0 && (bytes[end - 1] == '\n' || bytes[end - 1] == '\r')) end--;
        if (end == 0) throw new IllegalArgumentException("secret file '" + file + "' is empty");
        byte[] secret = Arrays.copyOf(bytes, end);
        Arrays.fill(bytes, (byte) 0);
        // Proofs and the records' seal use keys made from the secret, each for its purpose,
        // so that a proof seen on the network is no key to anything else.
        byte[] key = hmac(secret, "entangle cluster secret 1".getBytes(StandardCharsets.UTF_8));
        Arrays.fill(secret, (byte) 0);
        return new ClusterSecret(file, key);
    }

    private static void checkPrivate(Path file) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (view == null) return;
        Set<PosixFilePermission> p = view.readAttributes().permissions();
        if (p.contains(PosixFilePermission.GROUP_READ) || p.contains(PosixFilePermission.OTHERS_READ)) {
            throw new IllegalArgumentException("secret file '" + file + "' can be read by users other than its owner ("
                + PosixFilePermissions.toString(p) + "); make it private: chmod 600 " + file);
        }
    }

    /** The file the secret was read from. */
    public Path file() { return file; }

    /**
     * The proof that a {@code party} ("member", "client", "cluster") of {@code cluster} holds
     * this secret, as hex digits: equal for every holder of the secret, and telling nothing of
     * the secret to one who does not hold it.
     */
    public String proof(String party, String cluster) {
        return HexFormat.of().formatHex(hmac(key, (party + "\0" + cluster).getBytes(StandardCharsets.UTF_8)));
    }

    /** The key that seals the cluster's records (see {@code entangle.sharing.Envelope}). */
    public byte[] recordKey() {
        return hmac(key, "records".getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] hmac(byte[] key, byte[] data) {
        return ContentHash.hmacSha256(key, data, 0, data.length);
    }

    @Override
    public String toString() { return "the secret in " + file; }
}
