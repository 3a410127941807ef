package entangle.sharing;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The few field types records are made of, with lengths checked on the way in. */
final class RecordIO {
    private static final int MAX_FIELD = 256 << 20;

    private RecordIO() {}

    /** Writes a record's fields. */
    interface Fields {
        void write(Out out) throws IOException;
    }

    /** A record: its fields framed by {@link Envelope} with {@code magic} and {@code version}. */
    static byte[] seal(int magic, long version, Fields fields) {
        try (Out out = new Out()) {
            fields.write(out);
            return Envelope.seal(magic, version, out.toBytes());
        } catch (IOException e) {
            throw new IllegalStateException("writing to memory failed", e);
        }
    }

    static final class Out extends DataOutputStream {
        private final ByteArrayOutputStream bytes;

        Out() {
            this(new ByteArrayOutputStream(256));
        }

        private Out(ByteArrayOutputStream bytes) {
            super(bytes);
            this.bytes = bytes;
        }

        void string(String s) throws IOException {
            if (s == null) {
                writeInt(-1);
                return;
            }
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            writeInt(b.length);
            write(b);
        }

        void blob(byte[] b) throws IOException {
            if (b == null) {
                writeInt(-1);
                return;
            }
            writeInt(b.length);
            write(b);
        }

        void blobs(List<byte[]> list) throws IOException {
            writeInt(list.size());
            for (byte[] b : list) blob(b);
        }

        void strings(List<String> list) throws IOException {
            writeInt(list.size());
            for (String s : list) string(s);
        }

        void origin(Origin o) throws IOException {
            string(o.memberId());
            string(o.address());
            writeLong(o.time());
        }

        void pairs(Map<String, String> map) throws IOException {
            writeInt(map.size());
            for (Map.Entry<String, String> e : map.entrySet()) {
                string(e.getKey());
                string(e.getValue());
            }
        }

        byte[] toBytes() throws IOException {
            flush();
            return bytes.toByteArray();
        }
    }

    static String string(DataInputStream in) throws IOException {
        byte[] b = blob(in);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    static byte[] blob(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n == -1) return null;
        if (n < 0 || n > MAX_FIELD || n > in.available()) throw new IOException("bad field length " + n);
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }

    static List<byte[]> blobs(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available()) throw new IOException("bad list length " + n);
        List<byte[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            byte[] b = blob(in);
            if (b == null) throw new IOException("a missing unit encoding");
            out.add(b);
        }
        return out;
    }

    static List<String> strings(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available()) throw new IOException("bad list length " + n);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(string(in));
        return out;
    }

    static Origin origin(DataInputStream in) throws IOException {
        return new Origin(string(in), string(in), in.readLong());
    }

    static Map<String, String> pairs(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available()) throw new IOException("bad map size " + n);
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) out.put(string(in), string(in));
        return out;
    }
}
