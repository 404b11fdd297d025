package dev.digits.convert.lowering;

import dev.digits.core.error.InvalidInputException;
import dev.digits.core.model.LayerSpec;
import dev.digits.core.model.Tensor;

import java.util.Map;

/**
 * A batch normalisation at inference time as what it is, a per-channel affine map {@code y = scale·x + shift} with
 * {@code scale = γ/√(σ²+ε)} and {@code shift = β − μ·scale}; computed once here for every exporter, with the
 * epsilon the trainer used ({@link LayerSpec#BATCHNORM_EPSILON}).
 */
public final class BatchNormAffine {
    private final double[] scale;
    private final double[] shift;

    private BatchNormAffine(double[] scale, double[] shift) {
        this.scale = scale;
        this.shift = shift;
    }

    /** The affine map of batch normalisation {@code layer}, from its four tensors in {@code weights}. */
    public static BatchNormAffine of(Map<String, Tensor> weights, String layer) {
        float[] gamma = tensor(weights, layer + ".gamma");
        float[] beta = tensor(weights, layer + ".beta");
        float[] mean = tensor(weights, layer + ".running_mean");
        float[] var = tensor(weights, layer + ".running_var");
        int n = gamma.length;
        if (beta.length != n || mean.length != n || var.length != n) {
            throw new InvalidInputException("batch normalisation " + layer + " has tensors of different lengths");
        }
        double[] scale = new double[n];
        double[] shift = new double[n];
        for (int c = 0; c < n; c++) {
            scale[c] = gamma[c] / Math.sqrt(var[c] + (double) LayerSpec.BATCHNORM_EPSILON);
            shift[c] = beta[c] - mean[c] * scale[c];
        }
        return new BatchNormAffine(scale, shift);
    }

    private static float[] tensor(Map<String, Tensor> weights, String name) {
        Tensor t = weights.get(name);
        if (t == null) throw new InvalidInputException("the weights have no " + name + ": they belong to another architecture");
        return t.data();
    }

    /** Channels. */
    public int size() {
        return scale.length;
    }

    /** The scale per channel, as float32. */
    public float[] scale() {
        float[] out = new float[scale.length];
        for (int c = 0; c < out.length; c++) out[c] = (float) scale[c];
        return out;
    }

    /** The shift per channel, as float32. */
    public float[] shift() {
        float[] out = new float[shift.length];
        for (int c = 0; c < out.length; c++) out[c] = (float) shift[c];
        return out;
    }

    /**
     * Folds this map into the layer before it, in place: {@code w ← w·scale} per output channel and
     * {@code b ← b·scale + shift}. {@code weight} holds one contiguous block per output channel (PyTorch's
     * [out, in, kh, kw] or [out, in]; TFLite's OHWI); {@code bias} one value per output channel.
     */
    public void foldInto(float[] weight, float[] bias) {
        if (bias.length != scale.length || weight.length % scale.length != 0) {
            throw new IllegalArgumentException(weight.length + " weights and " + bias.length + " biases do not fit "
                    + scale.length + " channels");
        }
        int per = weight.length / scale.length;
        for (int c = 0; c < scale.length; c++) {
            for (int i = c * per; i < (c + 1) * per; i++) weight[i] = (float) (weight[i] * scale[c]);
            bias[c] = (float) (bias[c] * scale[c] + shift[c]);
        }
    }

    /** This map with its channels reordered: channel {@code j} of the result is channel {@code order[j]} of this one. */
    public BatchNormAffine permuted(int[] order) {
        double[] sc = new double[order.length];
        double[] sh = new double[order.length];
        for (int j = 0; j < order.length; j++) {
            sc[j] = scale[order[j]];
            sh[j] = shift[order[j]];
        }
        return new BatchNormAffine(sc, sh);
    }
}
