package dev.digits.convert.tfjs;

import dev.digits.convert.LoadedModel;
import dev.digits.core.json.Json;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A TF.js LayersModel loaded by {@code tf.loadLayersModel} in one long-lived node process ({@code run.mjs}), fed
 * binary batches over its stdin and answering on its stdout. Images are sent in requests of at most
 * {@link #REQUEST_IMAGES}, so memory stays bounded on both sides however many images a caller passes.
 */
public final class TfjsLoadedModel implements LoadedModel {
    /** Most images per request to the node process. */
    static final int REQUEST_IMAGES = 1024;

    private static final int READY = 1;
    private static final int RESULT = 2;
    private static final int ERROR = 3;
    private static final int STDERR_LINES = 40;

    private final Process process;
    private final DataInputStream in;
    private final OutputStream out;
    private final Deque<String> stderr;
    private final Path modelJson;
    private final int[] inputShape;
    private final int inputSize;
    private final boolean integerInput;
    private final int classes;
    private final String tfjsVersion;
    private final String backend;
    private final Map<String, Object> metadata;
    private boolean closed;

    private TfjsLoadedModel(Process process, Deque<String> stderr, Path modelJson) throws IOException {
        this.process = process;
        this.stderr = stderr;
        this.modelJson = modelJson;
        this.in = new DataInputStream(new BufferedInputStream(process.getInputStream(), 1 << 16));
        this.out = new BufferedOutputStream(process.getOutputStream(), 1 << 16);
        byte[] ready = readFrame(READY, "loading " + modelJson);
        Map<String, Object> info = Json.parseObject(new String(ready, StandardCharsets.UTF_8));
        List<?> shape = (List<?>) info.get("inputShape");
        this.inputShape = new int[shape.size() - 1];
        int size = 1;
        for (int i = 1; i < shape.size(); i++) {
            inputShape[i - 1] = ((Number) shape.get(i)).intValue();
            size *= inputShape[i - 1];
        }
        this.inputSize = size;
        this.integerInput = "int32".equals(info.get("inputDtype"));
        this.classes = ((Number) ((List<?>) info.get("outputShape")).get(1)).intValue();
        this.tfjsVersion = String.valueOf(info.get("tfjsVersion"));
        this.backend = String.valueOf(info.get("backend"));
        Object m = info.get("userDefinedMetadata");
        this.metadata = m instanceof Map ? Collections.unmodifiableMap(castMap(m)) : Map.of();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Object m) {
        return (Map<String, Object>) m;
    }

    static TfjsLoadedModel start(TfjsRuntime runtime, Path modelJson) throws IOException {
        Path file = modelJson.toAbsolutePath().normalize();
        if (!Files.isRegularFile(file)) throw new IOException("TF.js model " + file + " does not exist");
        ProcessBuilder pb = new ProcessBuilder(runtime.node().toString(), runtime.directory().resolve("run.mjs").toString(), file.toString(),
                runtime.backend().id());
        pb.directory(runtime.directory().toFile());
        Process process = pb.start();
        Deque<String> stderr = new ArrayDeque<>();
        Thread drain = new Thread(() -> keepTail(process, stderr), "tfjs-stderr");
        drain.setDaemon(true);
        drain.start();
        try {
            return new TfjsLoadedModel(process, stderr, file);
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

    private String stderrTail() {
        synchronized (stderr) {
            return stderr.isEmpty() ? "" : "\nnode stderr:\n" + String.join("\n", stderr);
        }
    }

    private byte[] readFrame(int expected, String doing) throws IOException {
        byte[] header = new byte[8];
        try {
            in.readFully(header);
        } catch (EOFException e) {
            throw new IOException("the TF.js process ended while " + doing + exitStatus() + stderrTail());
        }
        ByteBuffer h = ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN);
        int kind = h.getInt();
        int length = h.getInt();
        byte[] payload = new byte[length];
        in.readFully(payload);
        if (kind == ERROR) {
            throw new IOException("TF.js failed while " + doing + ": " + new String(payload, StandardCharsets.UTF_8) + stderrTail());
        }
        if (kind != expected) throw new IOException("unexpected message " + kind + " from the TF.js process while " + doing);
        return payload;
    }

    private String exitStatus() {
        try {
            if (process.waitFor(2, TimeUnit.SECONDS)) return " (exit code " + process.exitValue() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return "";
    }

    @Override
    public float[][] predict(float[] pixels, int n) {
        return run(pixels, n, true);
    }

    /**
     * The model's outputs for {@code n} inputs given in the model's own input units (not Digits' [0,1] pixels): a
     * model taking int32 gets each value rounded to the nearest integer.
     */
    public float[][] predictValues(float[] values, int n) {
        return run(values, n, false);
    }

    private synchronized float[][] run(float[] pixels, int n, boolean unitPixels) {
        if (closed) throw new IllegalStateException("the TF.js model " + modelJson + " is closed");
        if (pixels.length != n * inputSize) {
            throw new IllegalArgumentException("expected " + n + " × " + inputSize + " values, got " + pixels.length);
        }
        float[][] result = new float[n][];
        try {
            for (int start = 0; start < n; start += REQUEST_IMAGES) {
                int count = Math.min(REQUEST_IMAGES, n - start);
                send(pixels, start * inputSize, count, unitPixels);
                ByteBuffer r = ByteBuffer.wrap(readFrame(RESULT, "classifying " + count + " images"))
                        .order(ByteOrder.LITTLE_ENDIAN);
                int got = r.getInt();
                int k = r.getInt();
                if (got != count || k != classes) {
                    throw new IOException("the TF.js process answered " + got + "×" + k + " for " + count + "×" + classes);
                }
                for (int i = 0; i < count; i++) {
                    float[] p = new float[k];
                    r.asFloatBuffer().get(p);
                    r.position(r.position() + 4 * k);
                    result[start + i] = p;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return result;
    }

    private void send(float[] pixels, int offset, int count, boolean unitPixels) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 + count * inputSize * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(count);
        if (integerInput) {
            // The file takes 0–255 integers (as tf.browser.fromPixels gives); predict's callers give [0,1].
            float scale = unitPixels ? 255f : 1f;
            for (int i = 0; i < count * inputSize; i++) b.putFloat(Math.round(pixels[offset + i] * scale));
        } else {
            b.asFloatBuffer().put(pixels, offset, count * inputSize);
        }
        out.write(b.array());
        out.flush();
    }

    /** The input shape without the batch dimension, as TF.js reports it after loading. */
    public int[] inputShape() {
        return inputShape.clone();
    }

    /** The TF.js version that loaded the model. */
    public String tfjsVersion() {
        return tfjsVersion;
    }

    /** The TF.js backend running it ("wasm" or "cpu"). */
    public String backend() {
        return backend;
    }

    /** The file's {@code userDefinedMetadata} as TF.js returns it from {@code model.getUserDefinedMetadata()}. */
    public Map<String, Object> userDefinedMetadata() {
        return metadata;
    }

    /** Number of classes the model outputs. */
    public int classes() {
        return classes;
    }

    /** Ends the node process (asking first, then forcing after a few seconds). */
    @Override
    public synchronized void close() {
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
