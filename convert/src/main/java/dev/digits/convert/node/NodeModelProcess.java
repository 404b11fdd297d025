package dev.digits.convert.node;

import dev.digits.core.json.Json;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One long-lived node process running a model for Java: a script of a runtime package ({@code run.mjs} of
 * {@code convert/tfjs-runtime} or {@code convert/litert-runtime}) that loads one file and answers binary batches on
 * its stdout, fed on its stdin. The protocol, little-endian:
 * <pre>
 *   request:  int32 n, then n × inputSize float32 values (n = 0 ends the process)
 *   response: int32 kind, int32 byteLength, payload
 *     1 READY   UTF-8 JSON describing the loaded model (sent once, first)
 *     2 RESULT  int32 n, int32 classes, n × classes float32 values
 *     3 ERROR   UTF-8 message (the process then exits)
 * </pre>
 * Images go in requests of at most {@link #REQUEST_IMAGES}, so memory stays bounded on both sides however many a
 * caller passes. Not thread-safe: callers serialise.
 */
public final class NodeModelProcess implements AutoCloseable {
    /** Most images per request to the node process. */
    public static final int REQUEST_IMAGES = 1024;

    private static final int READY = 1;
    private static final int RESULT = 2;
    private static final int ERROR = 3;
    private static final int STDERR_LINES = 40;

    private final String runtimeName;
    private final Process process;
    private final DataInputStream in;
    private final OutputStream out;
    private final Deque<String> stderr;
    private final Map<String, Object> ready;
    private boolean closed;

    private NodeModelProcess(String runtimeName, Process process, Deque<String> stderr, String loading) throws IOException {
        this.runtimeName = runtimeName;
        this.process = process;
        this.stderr = stderr;
        this.in = new DataInputStream(new BufferedInputStream(process.getInputStream(), 1 << 16));
        this.out = new BufferedOutputStream(process.getOutputStream(), 1 << 16);
        byte[] payload = readFrame(READY, loading);
        this.ready = Json.parseObject(new String(payload, StandardCharsets.UTF_8));
    }

    /**
     * Starts {@code node script arguments…} in the script's directory and waits for its READY message.
     *
     * @param runtimeName how messages name the runtime ("TF.js", "LiteRT")
     * @throws IOException when node cannot start, or the script reports an error or ends before it is ready (the
     *                     message carries the script's own and the tail of its stderr)
     */
    public static NodeModelProcess start(String runtimeName, Path node, Path script, String... arguments) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(node.toString());
        command.add(script.toString());
        command.addAll(List.of(arguments));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.directory(script.getParent().toFile());
        Process process = pb.start();
        Deque<String> stderr = new ArrayDeque<>();
        Thread drain = new Thread(() -> keepTail(process, stderr), runtimeName + "-stderr");
        drain.setDaemon(true);
        drain.start();
        try {
            return new NodeModelProcess(runtimeName, process, stderr, "loading " + (arguments.length > 0 ? arguments[0] : script));
        } catch (IOException | RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
    }

    /** Keeps the last lines node wrote to stderr, for error messages; reading also stops node blocking on a full pipe. */
    private static void keepTail(Process process, Deque<String> tail) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                synchronized (tail) {
                    tail.addLast(line);
                    if (tail.size() > STDERR_LINES) tail.removeFirst();
                }
            }
        } catch (IOException e) {
            // The process is gone; what was read is kept.
        }
    }

    /** The READY message's fields. */
    public Map<String, Object> ready() {
        return ready;
    }

    /**
     * Runs {@code n} inputs of {@code inputSize} values each (already in the units the script expects) and returns
     * one row of {@code classes} values per input.
     *
     * @throws IOException when the process fails or answers something else than was asked
     */
    public float[][] run(float[] values, int n, int inputSize, int classes) throws IOException {
        if (closed) throw new IllegalStateException("the " + runtimeName + " process is closed");
        if (values.length != n * inputSize) {
            throw new IllegalArgumentException("expected " + n + " × " + inputSize + " values, got " + values.length);
        }
        try {
            return exchange(values, n, inputSize, classes);
        } catch (IOException e) {
            // Whatever was half-read would be taken for the next answer: this process answers nothing more.
            close();
            throw e;
        }
    }

    private float[][] exchange(float[] values, int n, int inputSize, int classes) throws IOException {
        float[][] result = new float[n][];
        for (int start = 0; start < n; start += REQUEST_IMAGES) {
            int count = Math.min(REQUEST_IMAGES, n - start);
            ByteBuffer b = ByteBuffer.allocate(4 + count * inputSize * 4).order(ByteOrder.LITTLE_ENDIAN);
            b.putInt(count);
            b.asFloatBuffer().put(values, start * inputSize, count * inputSize);
            out.write(b.array());
            out.flush();
            ByteBuffer r = ByteBuffer.wrap(readFrame(RESULT, "classifying " + count + " images")).order(ByteOrder.LITTLE_ENDIAN);
            int got = r.getInt();
            int k = r.getInt();
            if (got != count || k != classes) {
                throw new IOException("the " + runtimeName + " process answered " + got + "×" + k + " for " + count + "×" + classes);
            }
            for (int i = 0; i < count; i++) {
                float[] p = new float[k];
                r.asFloatBuffer().get(p);
                r.position(r.position() + 4 * k);
                result[start + i] = p;
            }
        }
        return result;
    }

    private byte[] readFrame(int expected, String doing) throws IOException {
        byte[] header = new byte[8];
        try {
            in.readFully(header);
        } catch (EOFException e) {
            throw new IOException("the " + runtimeName + " process ended while " + doing + exitStatus() + stderrTail());
        }
        ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        int kind = h.getInt();
        int length = h.getInt();
        byte[] payload = new byte[length];
        try {
            in.readFully(payload);
        } catch (EOFException e) {
            throw new IOException("the " + runtimeName + " process ended in the middle of a message while " + doing + exitStatus()
                    + stderrTail());
        }
        if (kind == ERROR) {
            throw new IOException(runtimeName + " failed while " + doing + ": " + new String(payload, StandardCharsets.UTF_8) + stderrTail());
        }
        if (kind != expected) throw new IOException("unexpected message " + kind + " from the " + runtimeName + " process while " + doing);
        return payload;
    }

    private String stderrTail() {
        synchronized (stderr) {
            return stderr.isEmpty() ? "" : "\nnode stderr:\n" + String.join("\n", stderr);
        }
    }

    private String exitStatus() {
        try {
            if (process.waitFor(2, TimeUnit.SECONDS)) return " (exit code " + process.exitValue() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "";
    }

    /** Ends the node process (asking first, then forcing after a few seconds). */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            out.write(new byte[4]);
            out.close();
        } catch (IOException e) {
            // Already gone: nothing to ask.
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly();
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
