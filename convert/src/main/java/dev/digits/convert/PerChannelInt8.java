package dev.digits.convert;

/**
 * A weight tensor quantized symmetrically per output channel (axis 0 of the PyTorch layout):
 * {@code w ≈ scale[c] × q}, {@code q} in [-127, 127], zero point 0 — the scheme the int8 kernels of ONNX Runtime and
 * TFLite both expect for weights. The arrays returned are this object's own: read them, do not change them.
 */
public final class PerChannelInt8 {
    private final byte[] values;
    private final float[] scales;

    private PerChannelInt8(byte[] values, float[] scales) {
        this.values = values;
        this.scales = scales;
    }

    /** Quantizes {@code weight}, whose first dimension has {@code channels} slices, one scale per slice. */
    public static PerChannelInt8 quantize(float[] weight, int channels) {
        if (channels < 1 || weight.length % channels != 0) {
            throw new IllegalArgumentException(weight.length + " weights do not split into " + channels + " channels");
        }
        int per = weight.length / channels;
        byte[] q = new byte[weight.length];
        float[] scales = new float[channels];
        for (int c = 0; c < channels; c++) {
            float max = 0;
            for (int i = c * per; i < (c + 1) * per; i++) max = Math.max(max, Math.abs(weight[i]));
            // An all-zero channel still needs a positive scale: any will do, every q is 0.
            float scale = max > 0 ? max / 127f : 1f;
            scales[c] = scale;
            for (int i = c * per; i < (c + 1) * per; i++) {
                q[i] = (byte) Math.max(-127, Math.min(127, Math.round(weight[i] / scale)));
            }
        }
        return new PerChannelInt8(q, scales);
    }

    /** The quantized values, in the weight's order. */
    public byte[] values() {
        return values;
    }

    /** One scale per channel. */
    public float[] scales() {
        return scales;
    }
}
