package dev.digits.convert.tflite;

import dev.digits.convert.LoadedModel;
import dev.digits.convert.node.NodeModelProcess;
import dev.digits.convert.node.NodePackage;

import org.tensorflow.lite.schema.Model;
import org.tensorflow.lite.schema.QuantizationParameters;
import org.tensorflow.lite.schema.SubGraph;
import org.tensorflow.lite.schema.Tensor;
import org.tensorflow.lite.schema.TensorType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A .tflite file running in LiteRT — TensorFlow Lite's successor, the runtime current Android apps and web pages
 * ship — through LiteRT.js (its WebAssembly build, CPU kernels by XNNPACK) in one long-lived node process
 * ({@code convert/litert-runtime/run.mjs}). XNNPACK's integer kernels run a full-int8 file about 18 times faster than
 * TFLite 2.6's reference kernels in {@link TfliteLoadedModel}, and they are the kernels a phone runs such a file
 * with. The WebAssembly build without relaxed SIMD is loaded, whose integer arithmetic is the same on every CPU.
 *
 * <p>Takes pixels in [0,1] whatever the file's input type (float32, or uint8 through the input's quantization
 * parameters, read from the file) and returns probabilities (dequantized for integer outputs). Calls are serialised.
 */
public final class LiteRtLoadedModel implements LoadedModel {
    private static final String RELATIVE = "convert/litert-runtime";
    /** System property naming the runtime directory instead of {@code convert/litert-runtime} of the source tree. */
    public static final String RUNTIME_PROPERTY = "digits.litert.runtime";

    private final NodeModelProcess process;
    private final String runtime;
    private final int inputSize;
    private final String inputType;
    private final float inputScale;
    private final int inputZero;
    private final int classes;
    private final String outputType;
    private final float outputScale;
    private final int outputZero;

    private LiteRtLoadedModel(NodeModelProcess process, Tensor in, Tensor out) {
        this.process = process;
        Map<String, Object> ready = process.ready();
        this.runtime = String.valueOf(ready.get("runtime"));
        List<?> shape = (List<?>) ready.get("inputShape");
        int size = 1;
        for (int i = 1; i < shape.size(); i++) size *= ((Number) shape.get(i)).intValue();
        this.inputSize = size;
        this.inputType = String.valueOf(ready.get("inputDtype"));
        List<?> outShape = (List<?>) ready.get("outputShape");
        this.classes = ((Number) outShape.get(outShape.size() - 1)).intValue();
        this.outputType = String.valueOf(ready.get("outputDtype"));
        // Without quantization parameters an integer input takes raw 0–255 pixels (as TfliteLoadedModel does).
        float inScale = scale(in);
        this.inputScale = inScale != 0 ? inScale : 1f / 255f;
        this.inputZero = zeroPoint(in);
        if (!List.of("float32", "uint8").contains(inputType) || !List.of("float32", "uint8").contains(outputType)) {
            throw new IllegalArgumentException("takes " + inputType + " and gives " + outputType + "; LiteRT.js runs files of float32"
                    + " or uint8 input and output (see takes)");
        }
        this.outputScale = scale(out);
        this.outputZero = zeroPoint(out);
    }

    /**
     * Finds node and the LiteRT.js package.
     *
     * @throws IllegalStateException saying what is missing and how to install it
     */
    static NodePackage locate() {
        return NodePackage.locate(RELATIVE, RUNTIME_PROPERTY, "LiteRT.js", "@litertjs/core");
    }

    /** Whether LiteRT.js can feed and read the file: its JavaScript tensors are float32, int32 or uint8, never int8. */
    static boolean takes(Path file) throws IOException {
        return takes(inputAndOutput(file.toAbsolutePath().normalize()));
    }

    private static boolean takes(Tensor[] io) {
        for (Tensor t : io) {
            byte type = t.type();
            if (type != TensorType.FLOAT32 && type != TensorType.UINT8) return false;
        }
        return true;
    }

    private static Tensor[] inputAndOutput(Path path) throws IOException {
        byte[] bytes = Files.readAllBytes(path);
        try {
            SubGraph graph = Model.getRootAsModel(ByteBuffer.wrap(bytes)).subgraphs(0);
            Tensor[] io = {graph.tensors(graph.inputs(0)), graph.tensors(graph.outputs(0))};
            if (io[0] == null || io[1] == null) throw new IllegalArgumentException("no input or output tensor");
            return io;
        } catch (RuntimeException e) {
            throw new IOException(path + " is not a TFLite flatbuffer with an input and an output: " + e, e);
        }
    }

    /**
     * Starts a node process that loads {@code file} in LiteRT and keeps it loaded until the model is closed, or
     * empty when LiteRT.js cannot feed or read the file ({@link #takes}).
     */
    static Optional<LiteRtLoadedModel> startIfTaken(NodePackage runtime, Path file) throws IOException {
        Path path = file.toAbsolutePath().normalize();
        Tensor[] io = inputAndOutput(path);
        if (!takes(io)) return Optional.empty();
        NodeModelProcess process = runtime.start("LiteRT", path.toString());
        try {
            return Optional.of(new LiteRtLoadedModel(process, io[0], io[1]));
        } catch (RuntimeException e) {
            process.close();
            throw new IllegalArgumentException(path + ": " + e.getMessage(), e);
        }
    }

    /** {@link #startIfTaken}, for a file LiteRT.js must run. */
    static LiteRtLoadedModel start(NodePackage runtime, Path file) throws IOException {
        return startIfTaken(runtime, file).orElseThrow(() -> new IllegalArgumentException(file
                + " has int8 input or output, which LiteRT.js's tensors cannot hold"));
    }

    private static float scale(Tensor t) {
        QuantizationParameters q = t.quantization();
        return q != null && q.scaleLength() > 0 ? q.scale(0) : 0f;
    }

    private static int zeroPoint(Tensor t) {
        QuantizationParameters q = t.quantization();
        return q != null && q.zeroPointLength() > 0 ? (int) q.zeroPoint(0) : 0;
    }

    /** The runtime and its version, as its process reported them. */
    public String runtime() {
        return runtime;
    }

    @Override
    public synchronized float[][] predict(float[] pixels, int n) {
        if (pixels.length != n * inputSize) {
            throw new IllegalArgumentException("expected " + n + " × " + inputSize + " values, got " + pixels.length);
        }
        float[] values = pixels;
        if (!"float32".equals(inputType)) {
            values = new float[pixels.length];
            for (int i = 0; i < pixels.length; i++) {
                int q = Math.round(pixels[i] / inputScale) + inputZero;
                values[i] = Math.max(0, Math.min(255, q));
            }
        }
        float[][] result;
        try {
            result = process.run(values, n, inputSize, classes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (!"float32".equals(outputType)) {
            for (float[] row : result) {
                for (int k = 0; k < row.length; k++) row[k] = outputScale * (row[k] - outputZero);
            }
        }
        return result;
    }

    @Override
    public synchronized void close() {
        process.close();
    }

    @Override
    public String toString() {
        return runtime + " " + inputType;
    }
}
