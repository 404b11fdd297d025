package dev.digits.convert.lowering;

import dev.digits.core.model.Shape;
import dev.digits.core.model.Tensor;

/**
 * Weights in PyTorch's layouts (what the artifact stores) rearranged into those of the formats, written once for
 * every exporter: convolution kernels from OIHW to OHWI (TFLite) or HWIO (Keras/TF.js), and the order in which a
 * channels-last format flattens an image against PyTorch's channels-first flatten.
 */
public final class WeightLayouts {
    private WeightLayouts() {
    }

    /** PyTorch [out, in, kh, kw] → TFLite [out, kh, kw, in]. */
    public static float[] ohwi(Tensor oihw) {
        int o = oihw.dim(0);
        int in = oihw.dim(1);
        int kh = oihw.dim(2);
        int kw = oihw.dim(3);
        float[] src = oihw.data();
        float[] dst = new float[src.length];
        for (int oc = 0; oc < o; oc++) {
            for (int ic = 0; ic < in; ic++) {
                for (int y = 0; y < kh; y++) {
                    for (int x = 0; x < kw; x++) dst[((oc * kh + y) * kw + x) * in + ic] = src[((oc * in + ic) * kh + y) * kw + x];
                }
            }
        }
        return dst;
    }

    /** PyTorch [out, in, kh, kw] → Keras [kh, kw, in, out]. */
    public static float[] hwio(Tensor oihw) {
        int o = oihw.dim(0);
        int in = oihw.dim(1);
        int kh = oihw.dim(2);
        int kw = oihw.dim(3);
        float[] src = oihw.data();
        float[] dst = new float[src.length];
        for (int oc = 0; oc < o; oc++) {
            for (int ic = 0; ic < in; ic++) {
                for (int y = 0; y < kh; y++) {
                    for (int x = 0; x < kw; x++) dst[((y * kw + x) * in + ic) * o + oc] = src[((oc * in + ic) * kh + y) * kw + x];
                }
            }
        }
        return dst;
    }

    /**
     * Where PyTorch's flatten of an image of shape {@code s} puts the value that a channels-last flatten puts at
     * {@code hwc}: element {@code j} of an NHWC-flattened image is PyTorch feature {@code chwIndex(s, j)}.
     */
    public static int chwIndex(Shape s, int hwc) {
        int c = hwc % s.channels();
        int pixel = hwc / s.channels();
        return c * s.height() * s.width() + pixel;
    }

    /** {@link #chwIndex} for every position of an image of shape {@code s}. */
    public static int[] chwOrder(Shape s) {
        int[] order = new int[s.size()];
        for (int j = 0; j < order.length; j++) order[j] = chwIndex(s, j);
        return order;
    }
}
