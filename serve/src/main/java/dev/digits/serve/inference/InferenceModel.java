package dev.digits.serve.inference;

/**
 * A model file loaded in its runtime, as the server runs it: images in, probabilities out. Callers always pass
 * images as floats in [0,1] (white ink on black, row-major); turning them into the file's own input contract
 * (layout, element type) is the implementation's job.
 */
interface InferenceModel extends AutoCloseable {
    /**
     * Runs {@code n} images.
     *
     * @param pixels {@code n × 784} values in [0,1]
     * @return {@code n} rows of class probabilities
     */
    float[][] predict(float[] pixels, int n);

    @Override
    void close();
}
