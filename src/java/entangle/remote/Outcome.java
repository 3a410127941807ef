package entangle.remote;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a fn sent to a member came to, as bytes for the trip back: its value (serialized as
 * any shared value is), or what it threw, flattened to class names, messages and stack traces
 * so that the caller needs none of the remote exception's classes and nothing is deserialized
 * but plain data.
 */
final class Outcome {
    private static final byte VALUE = 0;
    private static final byte THROWN = 1;
    private static final int MAX_CAUSES = 16;

    /** One exception of a chain, as it travels. */
    record Thrown(String className, String message, StackTraceElement[] trace) {}

    /** The decoded outcome: a value's bytes, or the member, chain and ex-data bytes of a failure. */
    record Decoded(byte[] value, String member, List<Thrown> chain, byte[] data) {
        boolean failed() { return chain != null; }
    }

    private Outcome() {}

    static byte[] value(byte[] serialized) {
        byte[] out = new byte[serialized.length + 1];
        out[0] = VALUE;
        System.arraycopy(serialized, 0, out, 1, serialized.length);
        return out;
    }

    /** {@code t} thrown on {@code member}; {@code data} is its serialized ex-data, or null. */
    static byte[] thrown(String member, Throwable t, byte[] data) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(THROWN);
            out.writeUTF(member);
            List<Throwable> chain = new ArrayList<>();
            Map<Throwable, Boolean> seen = new IdentityHashMap<>();
            for (Throwable c = t; c != null && chain.size() < MAX_CAUSES && seen.put(c, true) == null; c = c.getCause()) {
                chain.add(c);
            }
            out.writeInt(chain.size());
            for (Throwable c : chain) {
                out.writeUTF(c instanceof RemoteException.Remote r ? r.className() : c.getClass().getName());
                writeNullable(out, c.getMessage());
                StackTraceElement[] trace = c.getStackTrace();
                out.writeInt(trace.length);
                for (StackTraceElement e : trace) {
                    out.writeUTF(e.getClassName());
                    out.writeUTF(e.getMethodName());
                    writeNullable(out, e.getFileName());
                    out.writeInt(e.getLineNumber());
                }
            }
            out.writeInt(data == null ? -1 : data.length);
            if (data != null) out.write(data);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return bytes.toByteArray();
    }

    static Decoded decode(byte[] bytes) throws IOException {
        if (bytes == null || bytes.length == 0) throw new IOException("an empty result");
        if (bytes[0] == VALUE) return new Decoded(java.util.Arrays.copyOfRange(bytes, 1, bytes.length), null, null, null);
        if (bytes[0] != THROWN) throw new IOException("a result of unknown kind " + bytes[0]);
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 1, bytes.length - 1))) {
            String member = in.readUTF();
            int n = in.readInt();
            if (n < 1 || n > MAX_CAUSES) throw new IOException("a failure with " + n + " exceptions");
            List<Thrown> chain = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                String className = in.readUTF();
                String message = readNullable(in);
                int frames = in.readInt();
                if (frames < 0 || frames > 100_000) throw new IOException("a stack trace of " + frames + " frames");
                StackTraceElement[] trace = new StackTraceElement[frames];
                for (int f = 0; f < frames; f++) {
                    trace[f] = new StackTraceElement(in.readUTF(), in.readUTF(), readNullable(in), in.readInt());
                }
                chain.add(new Thrown(className, message, trace));
            }
            int dataLength = in.readInt();
            byte[] data = null;
            if (dataLength >= 0) {
                data = new byte[dataLength];
                in.readFully(data);
            }
            return new Decoded(null, member, chain, data);
        }
    }

    private static void writeNullable(DataOutputStream out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            // writeUTF takes at most 65535 bytes; a longer message is cut.
            out.writeUTF(s.length() > 16_000 ? s.substring(0, 16_000) + "…" : s);
        }
    }

    private static String readNullable(DataInputStream in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }
}
