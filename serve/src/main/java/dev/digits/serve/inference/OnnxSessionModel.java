package dev.digits.serve.inference;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.digits.core.error.VerificationFailedException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * An ONNX model in an ONNX Runtime session tuned for serving: one intra-op thread that does not spin while idle.
 * Requests are already batched by the {@link MicroBatcher}, so parallelism comes from running batches on separate
 * threads, and a spinning pool would only steal CPU from the threads decoding the next requests.
 *
 * <p>The input contract is read from the file itself: the layout — NCHW {@code [n,1,28,28]}, NHWC {@code [n,28,28,1]}
 * or flat {@code [n,784]}, which with one channel hold the same numbers in the same order, so the caller's row-major
 * pixels are passed as they are — and the element type: float32 takes the [0,1] values, uint8 the 0–255 grid and
 * int8 that grid shifted down by 128, as {@code digits export} writes them.
 */
final class OnnxSessionModel implements InferenceModel {
    /** Images per inference call: bounds the memory of one run (the verification sample runs in one go). */
    static final int CHUNK = 256;

    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    // Per thread: batches of one session run on several threads at once, each tensor over its own buffer.
    private final ThreadLocal<ByteBuffer> inputBuffers = new ThreadLocal<>();
    private final OrtSession session;
    private final String input;
    private final String output;
    private final long[] outputShape;
    private final long[] shape;
    private final OnnxJavaType type;
    private final String layout;
    private final int inputSize;
    private final int classes;
    private final Map<String, String> metadata;

    private OnnxSessionModel(OrtSession session, String name) throws OrtException {
        this.session = session;
        Map.Entry<String, NodeInfo> in = session.getInputInfo().entrySet().iterator().next();
        this.input = in.getKey();
        if (!(in.getValue().getInfo() instanceof TensorInfo)) {
            throw new VerificationFailedException(name + ": input '" + input + "' is not a tensor");
        }
        TensorInfo info = (TensorInfo) in.getValue().getInfo();
        this.type = info.type;
        if (type != OnnxJavaType.FLOAT && type != OnnxJavaType.UINT8 && type != OnnxJavaType.INT8) {
            throw new VerificationFailedException(name + ": input '" + input + "' is " + type
                    + "; Digits files take float32, uint8 or int8");
        }
        this.shape = info.getShape();
        int size = 1;
        for (int i = 1; i < shape.length; i++) {
            if (shape[i] < 1) {
                throw new VerificationFailedException(name + ": input '" + input + "' has shape " + Arrays.toString(shape)
                        + "; only the batch dimension may be dynamic");
            }
            size *= (int) shape[i];
        }
        this.inputSize = size;
        this.layout = layoutOf(shape);
        Map.Entry<String, NodeInfo> outInfo = session.getOutputInfo().entrySet().iterator().next();
        this.output = outInfo.getKey();
        long[] out = ((TensorInfo) outInfo.getValue().getInfo()).getShape();
        this.outputShape = out.clone();
        this.classes = (int) out[out.length - 1];
        this.metadata = Map.copyOf(session.getMetadata().getCustomMetadata());
    }

    /**
     * Starts ONNX Runtime (extracts and loads its native library, creates the environment) on a background thread, so
     * that the first {@link #open} does not wait for it. Start-up calls this first: the runtime's 0.2 s then overlap
     * with reading and hashing the model files.
     */
    static void startRuntimeInBackground() {
        Thread t = new Thread(() -> {
            try {
                OrtEnvironment.getEnvironment();
            } catch (RuntimeException | LinkageError e) {
                // The first open() meets the same failure and reports it with the model's name.
            }
        }, "onnxruntime-start");
        t.setDaemon(true);
        t.start();
    }

    /**
     * Opens an ONNX model held in memory; {@code name} (its path in the version, e.g. {@code export/cnn.onnx}) names it
     * in errors.
     *
     * @throws VerificationFailedException when ONNX Runtime cannot load it or its input is not one Digits writes
     */
    static OnnxSessionModel open(byte[] model, String name) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession session = null;
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            session = env.createSession(model, options);
            return new OnnxSessionModel(session, name);
        } catch (OrtException | RuntimeException e) {
            if (session != null) {
                try {
                    session.close();
                } catch (OrtException ignored) {
                    // Already failing; the first error is the one to report.
                }
            }
            if (e instanceof VerificationFailedException) throw (VerificationFailedException) e;
            throw new VerificationFailedException("ONNX Runtime cannot load " + name + ": " + e.getMessage(), e);
        }
    }

    /** {@code NCHW}, {@code NHWC} or {@code FLAT}, from the input's shape; {@code ?} for anything else. */
    private static String layoutOf(long[] s) {
        if (s.length == 2) return "FLAT";
        if (s.length == 4 && s[1] == 1 && s[3] != 1) return "NCHW";
        if (s.length == 4 && s[3] == 1 && s[1] != 1) return "NHWC";
        return "?";
    }

    /** The input layout: {@code NCHW}, {@code NHWC} or {@code FLAT} ({@code ?} when it is none of them). */
    String layout() {
        return layout;
    }

    /** The input element type: {@code float32}, {@code uint8} or {@code int8}. */
    String inputType() {
        return type == OnnxJavaType.FLOAT ? "float32" : type.name().toLowerCase(Locale.ROOT);
    }

    /** The input tensor's name in the file. */
    String inputName() {
        return input;
    }

    /** The output tensor's name in the file. */
    String outputName() {
        return output;
    }

    /** The output's shape as stored in the file ({@code -1} for a dynamic batch dimension). */
    long[] outputShape() {
        return outputShape.clone();
    }

    /** The input's shape as stored in the file ({@code -1} for a dynamic batch dimension). */
    long[] inputShape() {
        return shape.clone();
    }

    /** Values one image takes. */
    int inputSize() {
        return inputSize;
    }

    /** Classes the output holds. */
    int classes() {
        return classes;
    }

    /** The file's metadata properties (the exporter's {@code weights_sha256}, {@code labels}, …). */
    Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public float[][] predict(float[] pixels, int n) {
        if (pixels.length != n * inputSize) {
            throw new IllegalArgumentException("expected " + n + " × " + inputSize + " values, got " + pixels.length);
        }
        if (n <= CHUNK) return run(pixels, n);
        float[][] out = new float[n][];
        for (int start = 0; start < n; start += CHUNK) {
            int m = Math.min(CHUNK, n - start);
            float[][] rows = run(Arrays.copyOfRange(pixels, start * inputSize, (start + m) * inputSize), m);
            System.arraycopy(rows, 0, out, start, m);
        }
        return out;
    }

    private float[][] run(float[] pixels, int n) {
        long[] s = shape.clone();
        s[0] = n;
        try (OnnxTensor tensor = tensor(pixels, s);
             OrtSession.Result result = session.run(Map.of(input, tensor))) {
            FloatBuffer probabilities = ((OnnxTensor) result.get(0)).getFloatBuffer();
            float[][] out = new float[n][classes];
            for (int i = 0; i < n; i++) probabilities.get(out[i]);
            return out;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on a batch of " + n + ": " + e.getMessage(), e);
        }
    }

    /**
     * The tensor for {@code pixels}, in this thread's input buffer. ONNX Runtime runs on a direct buffer in native
     * order as it is; a heap array it would copy into a fresh direct buffer at every run, and the JVM frees those only
     * when a collection happens to find them (30 MB of them under load, measured).
     */
    private OnnxTensor tensor(float[] pixels, long[] s) throws OrtException {
        if (type == OnnxJavaType.FLOAT) {
            FloatBuffer floats = inputBuffer(pixels.length * Float.BYTES).asFloatBuffer();
            floats.put(pixels).rewind();
            return OnnxTensor.createTensor(env, floats, s);
        }
        // The integer contracts hold the 0–255 pixel grid: uint8 as is, int8 shifted down by 128.
        ByteBuffer bytes = inputBuffer(pixels.length);
        int shift = type == OnnxJavaType.INT8 ? 128 : 0;
        for (float p : pixels) bytes.put((byte) (Math.round(Math.max(0f, Math.min(1f, p)) * 255f) - shift));
        bytes.rewind();
        return OnnxTensor.createTensor(env, bytes, s, type);
    }

    /** This thread's direct input buffer, grown to {@code bytes} when needed, cleared and limited to {@code bytes}. */
    private ByteBuffer inputBuffer(int bytes) {
        ByteBuffer b = inputBuffers.get();
        if (b == null || b.capacity() < bytes) {
            b = ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
            inputBuffers.set(b);
        }
        b.clear().limit(bytes);
        return b;
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("cannot close the ONNX Runtime session: " + e.getMessage(), e);
        }
    }
}
