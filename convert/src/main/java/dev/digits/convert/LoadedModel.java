package dev.digits.convert;

/**
 * An exported file loaded in its real runtime (TFLite interpreter, ONNX Runtime, TF.js). Whatever the file's input
 * contract — NHWC or NCHW, flat, uint8 or int8 — callers always pass images as floats in [0,1] and get
 * probabilities back: the conversion to the file's contract is the runtime adapter's job, as an app's would be.
 */
public interface LoadedModel extends AutoCloseable {
    /**
     * Runs {@code n} images.
     *
     * @param pixels {@code n × inputSize} values in [0,1], row-major, white ink on black
     * @return {@code n} rows of class probabilities (dequantized for integer outputs)
     */
    float[][] predict(float[] pixels, int n);

    @Override
    void close();
}
