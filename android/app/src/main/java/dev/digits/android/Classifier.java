package dev.digits.android;

import dev.digits.core.preprocess.PreprocessedDigit;
import dev.digits.core.recognition.Recognition;

import org.tensorflow.lite.DataType;
import org.tensorflow.lite.Delegate;
import org.tensorflow.lite.Interpreter;
import org.tensorflow.lite.Tensor;
import org.tensorflow.lite.nnapi.NnApiDelegate;

import java.io.Closeable;
import java.io.File;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A TFLite digit classifier: 784 intensities in [0, 1] (MNIST form, from core's preprocessing) in, ten probabilities
 * out, with the time the interpreter took. Any model following Digits' export contract works: input of 784 elements
 * in any layout ({@code [1,28,28,1]}, {@code [1,784]}, {@code [1,1,28,28]}), float32 or quantized uint8/int8; output
 * of ten probabilities, float32 or quantized. Quantized tensors are converted with their own scale and zero point.
 *
 * <p>Plain Java over {@code org.tensorflow.lite.Interpreter}: the same calls run on a phone and, in the project's
 * JVM tests, on the desktop TFLite runtime. One thread at a time: the methods are synchronized because the input
 * and output buffers are reused.
 */
public final class Classifier implements Closeable {
    /** Where the interpreter runs its operators. */
    public enum Accelerator {
        /** TFLite's CPU kernels (XNNPACK) with the configured thread count. */
        CPU,
        /** Android's Neural Networks API (API 27+; deprecated from Android 15, still present). */
        NNAPI,
        /** The GPU delegate, when the app is built with TFLite's GPU artifacts (see android/README.md). */
        GPU
    }

    /** The class loaded for {@link Accelerator#GPU}; it lives in an optional artifact, hence looked up by name. */
    static final String GPU_DELEGATE_CLASS = "org.tensorflow.lite.gpu.GpuDelegate";

    private static final int CLASSES = 10;

    private final Interpreter interpreter;
    private final Delegate delegate;
    private final String description;
    private final ByteBuffer input;
    private final ByteBuffer output;
    private final DataType inputType;
    private final DataType outputType;
    private final float inputScale;
    private final int inputZeroPoint;
    private final float outputScale;
    private final int outputZeroPoint;
    private final float[] probabilities = new float[CLASSES];
    private final List<String> labels;

    /**
     * Loads a model from a buffer, typically a memory-mapped file or asset ({@link #map(File)}). The buffer must
     * stay untouched while the classifier is open.
     *
     * @param model       a direct buffer holding a .tflite flatbuffer
     * @param description how to name the model in messages and on screen, e.g. "bundled mnist.tflite"
     * @param threads     CPU threads for the interpreter, at least 1
     * @throws IllegalArgumentException when the model's input or output does not follow the contract, naming what
     *                                  it found; or when the runtime cannot load the file
     */
    public Classifier(ByteBuffer model, String description, int threads, Accelerator accelerator) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, was " + threads);
        this.description = description;
        Interpreter.Options options = new Interpreter.Options().setNumThreads(threads);
        this.delegate = createDelegate(accelerator);
        if (delegate != null) options.addDelegate(delegate);
        Interpreter created;
        try {
            created = new Interpreter(model, options);
        } catch (RuntimeException e) {
            closeDelegate();
            throw new IllegalArgumentException("TFLite cannot load " + description + " with " + accelerator + ": "
                    + e.getMessage(), e);
        }
        this.interpreter = created;
        try {
            Tensor in = interpreter.getInputTensor(0);
            Tensor out = interpreter.getOutputTensor(0);
            if (interpreter.getInputTensorCount() != 1 || in.numElements() != PreprocessedDigit.PIXELS) {
                throw new IllegalArgumentException(description + " takes " + interpreter.getInputTensorCount()
                        + " input(s) of shape " + Arrays.toString(in.shape()) + "; a digit model takes one input of "
                        + PreprocessedDigit.PIXELS + " values such as [1, 28, 28, 1]");
            }
            if (out.numElements() != CLASSES) {
                throw new IllegalArgumentException(description + " gives an output of shape "
                        + Arrays.toString(out.shape()) + "; a digit model gives " + CLASSES + " probabilities");
            }
            this.inputType = checkedType(in, "input");
            this.outputType = checkedType(out, "output");
            Tensor.QuantizationParams iq = in.quantizationParams();
            Tensor.QuantizationParams oq = out.quantizationParams();
            this.inputScale = iq.getScale();
            this.inputZeroPoint = iq.getZeroPoint();
            this.outputScale = oq.getScale();
            this.outputZeroPoint = oq.getZeroPoint();
            this.input = ByteBuffer.allocateDirect(in.numBytes()).order(ByteOrder.nativeOrder());
            this.output = ByteBuffer.allocateDirect(out.numBytes()).order(ByteOrder.nativeOrder());
        } catch (RuntimeException e) {
            interpreter.close();
            closeDelegate();
            throw e;
        }
        List<String> l = new ArrayList<>(CLASSES);
        for (int i = 0; i < CLASSES; i++) l.add(Integer.toString(i));
        this.labels = l;
    }

    /** Maps a model file read-only, the way TFLite wants it (no copy on the Java heap). */
    public static ByteBuffer map(File file) throws IOException {
        try (FileInputStream in = new FileInputStream(file); FileChannel channel = in.getChannel()) {
            return map(channel, 0, channel.size());
        }
    }

    /**
     * Maps {@code length} bytes of a model stored at {@code offset} in a file (an APK's uncompressed asset). TFLite
     * reads the model in place, and a model that does not start on a 4-byte boundary crashes its native code
     * (SIGSEGV); every APK build aligns uncompressed entries (zipalign), but an APK packed without it gets a copy in
     * a direct buffer, which is aligned, instead of a crash.
     */
    static ByteBuffer map(FileChannel channel, long offset, long length) throws IOException {
        if (offset % 4 == 0) return channel.map(FileChannel.MapMode.READ_ONLY, offset, length);
        if (length > Integer.MAX_VALUE) throw new IOException("a model of " + length + " bytes cannot be copied");
        ByteBuffer copy = ByteBuffer.allocateDirect((int) length).order(ByteOrder.nativeOrder());
        while (copy.hasRemaining()) {
            if (channel.read(copy, offset + copy.position()) < 0) {
                throw new IOException("the model ends after " + copy.position() + " of " + length + " bytes");
            }
        }
        // Buffer's flip(): ByteBuffer.flip() returns ByteBuffer only from Java 9, which older Android lacks.
        ((Buffer) copy).flip();
        return copy;
    }

    /** Opens a model file on the CPU. */
    public static Classifier open(File file, int threads) throws IOException {
        return new Classifier(map(file), file.getName(), threads, Accelerator.CPU);
    }

    private static DataType checkedType(Tensor t, String which) {
        DataType type = t.dataType();
        if (type != DataType.FLOAT32 && type != DataType.UINT8 && type != DataType.INT8) {
            throw new IllegalArgumentException("the model's " + which + " is " + type
                    + "; supported are FLOAT32, UINT8 and INT8");
        }
        return type;
    }

    private static Delegate createDelegate(Accelerator accelerator) {
        switch (accelerator) {
            case CPU:
                return null;
            case NNAPI:
                try {
                    return new NnApiDelegate();
                } catch (RuntimeException | LinkageError e) {
                    throw new IllegalArgumentException("NNAPI is not available on this device (" + e
                            + "); choose CPU", e);
                }
            case GPU:
                try {
                    return (Delegate) Class.forName(GPU_DELEGATE_CLASS).getConstructor().newInstance();
                } catch (ClassNotFoundException e) {
                    throw new IllegalArgumentException("this build has no GPU delegate: add TFLite's GPU artifacts to"
                            + " app/build.gradle (see android/README.md) or choose CPU", e);
                } catch (ReflectiveOperationException | LinkageError e) {
                    throw new IllegalArgumentException("the GPU delegate cannot be created on this device ("
                            + e + "); choose CPU or NNAPI", e);
                }
            default:
                throw new IllegalArgumentException("unknown accelerator " + accelerator);
        }
    }

    /** The model's name as given when it was loaded. */
    public String description() {
        return description;
    }

    /** The input tensor's shape and element type, e.g. {@code [1, 28, 28, 1] FLOAT32}. */
    public String inputSignature() {
        Tensor in = interpreter.getInputTensor(0);
        return Arrays.toString(in.shape()) + " " + in.dataType();
    }

    /**
     * Classifies a preprocessed digit.
     *
     * @param preprocessMillis how long the preprocessing took, carried into the result
     * @throws IllegalArgumentException when the image held no digit: a blank frame must not be given a label
     */
    public Recognition classify(PreprocessedDigit digit, double preprocessMillis) {
        if (!digit.found()) {
            throw new IllegalArgumentException("no digit found in the image");
        }
        return classify(digit.pixels(), preprocessMillis);
    }

    /**
     * Classifies 784 intensities in [0, 1], row-major, white digit on black.
     *
     * @throws IllegalArgumentException when there are not 784 values
     */
    public synchronized Recognition classify(float[] pixels, double preprocessMillis) {
        if (pixels.length != PreprocessedDigit.PIXELS) {
            throw new IllegalArgumentException("need " + PreprocessedDigit.PIXELS + " pixels, got " + pixels.length);
        }
        fillInput(pixels);
        rewind(output);
        long start = System.nanoTime();
        interpreter.run(input, output);
        double inferenceMillis = (System.nanoTime() - start) / 1e6;
        readOutput();
        return new Recognition(probabilities, labels, preprocessMillis, inferenceMillis);
    }

    /**
     * Java 9 gave {@code ByteBuffer.rewind()} a covariant return type; compiled for Java 17 the call would name a
     * method older Android versions lack (NoSuchMethodError). Calling it through {@link Buffer} names the old one.
     */
    private static void rewind(Buffer buffer) {
        buffer.rewind();
    }

    private void fillInput(float[] pixels) {
        rewind(input);
        if (inputType == DataType.FLOAT32) {
            for (float p : pixels) input.putFloat(p);
        } else {
            // A uint8 input without quantization parameters takes grey levels 0-255 and scales inside the model.
            float scale = inputScale > 0 ? inputScale : 1f / 255f;
            int zero = inputScale > 0 ? inputZeroPoint : 0;
            int lo = inputType == DataType.UINT8 ? 0 : -128;
            int hi = inputType == DataType.UINT8 ? 255 : 127;
            for (float p : pixels) {
                int q = Math.round(p / scale) + zero;
                input.put((byte) Math.max(lo, Math.min(hi, q)));
            }
        }
        rewind(input);
    }

    private void readOutput() {
        rewind(output);
        for (int i = 0; i < CLASSES; i++) {
            if (outputType == DataType.FLOAT32) {
                probabilities[i] = output.getFloat();
            } else {
                int q = outputType == DataType.UINT8 ? output.get() & 0xFF : output.get();
                probabilities[i] = outputScale > 0 ? (q - outputZeroPoint) * outputScale : q / 255f;
            }
        }
    }

    @Override
    public synchronized void close() {
        interpreter.close();
        closeDelegate();
    }

    private void closeDelegate() {
        // Delegate itself became Closeable only in later TFLite versions; every concrete delegate is AutoCloseable.
        if (delegate instanceof AutoCloseable) {
            try {
                ((AutoCloseable) delegate).close();
            } catch (Exception e) {
                // Closing a delegate only frees native memory; nothing to report to the user.
            }
        }
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s, input %s", description, inputSignature());
    }
}
