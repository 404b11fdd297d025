package dev.digits.convert.tflite;

/**
 * Affine quantization of one tensor, {@code real = scale × (q − zeroPoint)}: one scale per tensor, or one per slice
 * along {@link #axis()} (per-channel weights).
 */
record QuantParams(float[] scales, long[] zeroPoints, int axis) {
    /** Per-tensor parameters. */
    static QuantParams perTensor(float scale, long zeroPoint) {
        return new QuantParams(new float[] {scale}, new long[] {zeroPoint}, 0);
    }

    /** The scale of a per-tensor quantization (the first one otherwise). */
    float scale() {
        return scales[0];
    }

    /** The zero point of a per-tensor quantization (the first one otherwise). */
    long zeroPoint() {
        return zeroPoints[0];
    }

    boolean perChannel() {
        return scales.length > 1;
    }

    /**
     * Asymmetric int8 parameters covering {@code [min, max]} widened to include 0 (so that zero padding and ReLU's
     * zero are exact), as TFLite's post-training calibration chooses them.
     */
    static QuantParams int8Range(float min, float max) {
        float lo = Math.min(min, 0f);
        float hi = Math.max(max, 0f);
        // A tensor that is constant zero on every calibration image still needs a usable, non-zero scale.
        if (hi - lo < 1e-6f) hi = lo + 1e-6f;
        float scale = (hi - lo) / 255f;
        long zp = Math.round(-128 - lo / scale);
        return perTensor(scale, Math.max(-128, Math.min(127, zp)));
    }
}
