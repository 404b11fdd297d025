package dev.digits.convert.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.digits.convert.LoadedModel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * An ONNX file running in ONNX Runtime (CPU). Reads the file's input contract — shape (NCHW, NHWC or flat) and
 * element type (float32, uint8, int8) — from the file itself and converts the caller's [0,1] floats to it, as an app
 * would; large requests run in batches.
 */
public final class OnnxRuntimeModel implements LoadedModel {
    /** Images per inference call: bounds the memory of one run without costing throughput. */
    static final int BATCH = 256;

    private final OrtSession session;
    private final String inputName;
    private final long[] inputShape;
    private final OnnxJavaType inputType;
    private final int inputSize;
    private final int classes;
    private final String outputName;
    private final long[] outputShape;

    private OnnxRuntimeModel(OrtSession session) throws OrtException {
        this.session = session;
        Map.Entry<String, NodeInfo> in = session.getInputInfo().entrySet().iterator().next();
        TensorInfo info = (TensorInfo) in.getValue().getInfo();
        this.inputName = in.getKey();
        this.inputShape = info.getShape();
        this.inputType = info.type;
        int size = 1;
        for (int i = 1; i < inputShape.length; i++) size *= (int) inputShape[i];
        this.inputSize = size;
        Map.Entry<String, NodeInfo> outEntry = session.getOutputInfo().entrySet().iterator().next();
        TensorInfo out = (TensorInfo) outEntry.getValue().getInfo();
        long[] outShape = out.getShape();
        this.outputName = outEntry.getKey();
        this.outputShape = outShape.clone();
        this.classes = (int) outShape[outShape.length - 1];
        if (inputType != OnnxJavaType.FLOAT && inputType != OnnxJavaType.UINT8 && inputType != OnnxJavaType.INT8) {
            throw new OrtException("input '" + inputName + "' has type " + inputType + "; Digits files take float32, uint8 or int8");
        }
    }

    /**
     * Opens {@code file} in ONNX Runtime.
     *
     * @throws IOException when the file is missing or ONNX Runtime rejects it (the message says why)
     */
    public static OnnxRuntimeModel open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("ONNX file " + file + " does not exist");
        // By path, so that ONNX Runtime finds external data files beside the model.
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            return new OnnxRuntimeModel(env.createSession(file.toString(), options));
        } catch (OrtException e) {
            throw new IOException("ONNX Runtime cannot load " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * A Digits network run in ONNX Runtime as its float32 ONNX export (default layout), held in memory: the engine-free
     * way to compute a spec's answers outside training.
     */
    public static OnnxRuntimeModel of(dev.digits.convert.ExportSource network) throws IOException {
        return open(new OnnxExporter().toModel(network, dev.digits.convert.ExportOptions.builder().build()).toByteArray(),
                network.spec().name());
    }

    /**
     * Opens {@code file} with every graph optimization off, so that ONNX Runtime runs each operator of the file as
     * written. For a QDQ file that means DequantizeLinear, float arithmetic, QuantizeLinear — the file's own
     * definition of its result — instead of the fused integer kernels, whose arithmetic depends on the CPU's
     * instruction set. Comparing the two tells whether this CPU's integer kernels compute what the file means.
     */
    public static OnnxRuntimeModel openAsWritten(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new IOException("ONNX file " + file + " does not exist");
        return open(Files.readAllBytes(file), file.toString(), OrtSession.SessionOptions.OptLevel.NO_OPT);
    }

    /** Opens a model held in memory; {@code name} identifies it in errors. */
    static OnnxRuntimeModel open(byte[] model, String name) throws IOException {
        return open(model, name, OrtSession.SessionOptions.OptLevel.ALL_OPT);
    }

    private static OnnxRuntimeModel open(byte[] model, String name, OrtSession.SessionOptions.OptLevel level) throws IOException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(level);
            return new OnnxRuntimeModel(env.createSession(model, options));
        } catch (OrtException e) {
            throw new IOException("ONNX Runtime cannot load " + name + ": " + e.getMessage(), e);
        }
    }

    /** The input tensor's name in the file. */
    public String inputName() {
        return inputName;
    }

    /** The output tensor's name in the file. */
    public String outputName() {
        return outputName;
    }

    /** The output's shape as stored in the file ({@code -1} for the batch dimension). */
    public long[] outputShape() {
        return outputShape.clone();
    }

    /** The input's shape as stored in the file ({@code -1} for the batch dimension). */
    public long[] inputShape() {
        return inputShape.clone();
    }

    /** The input's element type as stored in the file. */
    public OnnxJavaType inputType() {
        return inputType;
    }

    @Override
    public float[][] predict(float[] pixels, int n) {
        if (pixels.length != n * inputSize) {
            throw new IllegalArgumentException("expected " + n + " × " + inputSize + " values, got " + pixels.length);
        }
        float[][] out = new float[n][];
        for (int start = 0; start < n; start += BATCH) {
            int m = Math.min(BATCH, n - start);
            float[] rows = runBatch(Arrays.copyOfRange(pixels, start * inputSize, (start + m) * inputSize), m);
            for (int i = 0; i < m; i++) out[start + i] = Arrays.copyOfRange(rows, i * classes, (i + 1) * classes);
        }
        return out;
    }

    private float[] runBatch(float[] pixels, int n) {
        long[] shape = inputShape.clone();
        shape[0] = n;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OnnxTensor input = tensor(env, pixels, shape); OrtSession.Result result = session.run(Map.of(inputName, input))) {
            FloatBuffer probabilities = ((OnnxTensor) result.get(0)).getFloatBuffer();
            float[] flat = new float[probabilities.remaining()];
            probabilities.get(flat);
            return flat;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on a batch of " + n + ": " + e.getMessage(), e);
        }
    }

    /**
     * Runs {@code n} images and widens {@code ranges} (output name → {min, max}) to cover every value each named
     * output takes (calibration of full-integer quantization).
     */
    void observeRanges(float[] pixels, int n, Map<String, float[]> ranges) {
        long[] shape = inputShape.clone();
        shape[0] = n;
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OnnxTensor input = tensor(env, pixels, shape);
             OrtSession.Result result = session.run(Map.of(inputName, input), ranges.keySet())) {
            for (Map.Entry<String, float[]> r : ranges.entrySet()) {
                FloatBuffer values = ((OnnxTensor) result.get(r.getKey()).orElseThrow()).getFloatBuffer();
                float[] range = r.getValue();
                while (values.hasRemaining()) {
                    float v = values.get();
                    if (v < range[0]) range[0] = v;
                    if (v > range[1]) range[1] = v;
                }
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed while calibrating: " + e.getMessage(), e);
        }
    }

    private OnnxTensor tensor(OrtEnvironment env, float[] pixels, long[] shape) throws OrtException {
        if (inputType == OnnxJavaType.FLOAT) return OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels), shape);
        // The integer contracts hold the 0–255 pixel grid: uint8 as is, int8 shifted down by 128.
        ByteBuffer bytes = ByteBuffer.allocateDirect(pixels.length);
        int shift = inputType == OnnxJavaType.INT8 ? 128 : 0;
        for (float p : pixels) bytes.put((byte) (Math.round(Math.max(0f, Math.min(1f, p)) * 255f) - shift));
        bytes.rewind();
        return OnnxTensor.createTensor(env, bytes, shape, inputType);
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
