package dev.digits.convert.tflite;

import dev.digits.convert.LoadedModel;
import org.tensorflow.lite.DataType;
import org.tensorflow.lite.Interpreter;
import org.tensorflow.lite.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A .tflite file running in the TensorFlow Lite interpreter, through the same Java API an Android app uses. Takes
 * pixels in [0,1] whatever the file's input type (float32, or uint8/int8 through the input's quantization
 * parameters) and returns probabilities (dequantized for integer outputs). Images run in batches of up to
 * {@link #MAX_BATCH} by resizing the input's first dimension. Calls are serialised: an interpreter is not thread-safe.
 */
final class TfliteLoadedModel implements LoadedModel {
    /**
     * Images per interpreter call. Measured on the cnn and resnet: batches of 32 or more use 1.5–2× less CPU than
     * one image per call, beyond 64 nothing is gained and the activation memory keeps growing.
     */
    static final int MAX_BATCH = 64;
    /**
     * Interpreter threads for batches. TFLite 2.6's int8 kernels run about 110 images/s on one core of the machines
     * this is measured on (float ones about 2,600), so verifying a quantized file on 10,000 images took 90 s; two
     * threads halve that. Single images run on a second, one-thread interpreter, as an app classifying one drawing
     * runs, so the latency measured on them keeps its meaning.
     */
    static final int BATCH_THREADS = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    private final Path file;
    private final Interpreter interpreter;
    private Interpreter single;
    private final int[] inputShape;
    private final int inputSize;
    private final DataType inputType;
    private final float inputScale;
    private final int inputZero;
    private int batch = 1;

    TfliteLoadedModel(Path file) {
        TfliteRuntime.load();
        this.file = file;
        this.interpreter = new Interpreter(file.toFile(), new Interpreter.Options().setNumThreads(BATCH_THREADS));
        Tensor in = interpreter.getInputTensor(0);
        this.inputShape = in.shape();
        this.inputSize = in.numElements() / inputShape[0];
        this.inputType = in.dataType();
        Tensor.QuantizationParams q = in.quantizationParams();
        // Without quantization parameters an integer input takes raw 0–255 pixels.
        this.inputScale = q.getScale() != 0 ? q.getScale() : 1f / 255f;
        this.inputZero = q.getZeroPoint();
        if (inputType != DataType.FLOAT32 && inputType != DataType.UINT8 && inputType != DataType.INT8) {
            throw new IllegalArgumentException(file + ": input type " + inputType + " is not one Digits writes (float32, uint8, int8)");
        }
    }

    @Override
    public synchronized float[][] predict(float[] pixels, int n) {
        if (pixels.length != n * inputSize) {
            throw new IllegalArgumentException("expected " + n + " × " + inputSize + " values, got " + pixels.length);
        }
        float[][] result = new float[n][];
        for (int start = 0; start < n; start += MAX_BATCH) {
            int m = Math.min(MAX_BATCH, n - start);
            float[][] part = run(pixels, start, m);
            System.arraycopy(part, 0, result, start, m);
        }
        return result;
    }

    /** Runs images {@code start .. start + n} in one interpreter call, resizing the input's batch dimension to n. */
    private float[][] run(float[] pixels, int start, int n) {
        Interpreter interpreter = this.interpreter;
        if (n == 1 && BATCH_THREADS > 1) {
            if (single == null) single = new Interpreter(file.toFile(), new Interpreter.Options().setNumThreads(1));
            interpreter = single;
        } else if (n != batch) {
            int[] shape = inputShape.clone();
            shape[0] = n;
            interpreter.resizeInput(0, shape);
            interpreter.allocateTensors();
            batch = n;
        }
        ByteBuffer input = ByteBuffer.allocateDirect(n * inputSize * inputType.byteSize()).order(ByteOrder.nativeOrder());
        int from = start * inputSize;
        int to = from + n * inputSize;
        if (inputType == DataType.FLOAT32) {
            input.asFloatBuffer().put(pixels, from, n * inputSize);
        } else {
            int lo = inputType == DataType.UINT8 ? 0 : -128;
            int hi = inputType == DataType.UINT8 ? 255 : 127;
            for (int i = from; i < to; i++) {
                int q = Math.round(pixels[i] / inputScale) + inputZero;
                input.put((byte) Math.max(lo, Math.min(hi, q)));
            }
            input.rewind();
        }
        Tensor out = interpreter.getOutputTensor(0);
        int classes = out.numElements() / n;
        ByteBuffer output = ByteBuffer.allocateDirect(out.numBytes()).order(ByteOrder.nativeOrder());
        interpreter.run(input, output);
        output.rewind();
        float[][] result = new float[n][classes];
        DataType type = out.dataType();
        Tensor.QuantizationParams q = out.quantizationParams();
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < classes; k++) {
                switch (type) {
                    case FLOAT32 -> result[i][k] = output.getFloat();
                    case UINT8 -> result[i][k] = q.getScale() * ((output.get() & 0xff) - q.getZeroPoint());
                    case INT8 -> result[i][k] = q.getScale() * (output.get() - q.getZeroPoint());
                    default -> throw new IllegalStateException("output type " + type + " is not one Digits writes");
                }
            }
        }
        return result;
    }

    /** The input tensor's shape for one image, as stored in the file. */
    int[] inputShape() {
        return inputShape.clone();
    }

    @Override
    public synchronized void close() {
        interpreter.close();
        if (single != null) single.close();
    }

    @Override
    public String toString() {
        return "TFLite " + Arrays.toString(inputShape) + " " + inputType;
    }
}
