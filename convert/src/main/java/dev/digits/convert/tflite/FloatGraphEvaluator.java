package dev.digits.convert.tflite;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Runs a float32 {@link Graph} in plain Java, one example at a time, keeping every intermediate tensor: the
 * activation ranges full-integer quantization calibrates on. Follows TFLite's reference kernels (NHWC, SAME padding
 * with the odd pixel after).
 */
final class FloatGraphEvaluator {
    private final Graph graph;
    /** Convolution and dense weights rearranged with the output channel innermost (see {@link #conv}). */
    private final Map<GraphOp, float[]> outputMajor = new IdentityHashMap<>();

    FloatGraphEvaluator(Graph graph) {
        for (GraphOp op : graph.ops()) {
            for (GraphTensor t : op.inputs()) {
                if (t.type() != GraphTensor.Type.FLOAT32 && t.type() != GraphTensor.Type.INT32) {
                    throw new IllegalStateException("only float32 graphs can be evaluated, " + t + " is not");
                }
            }
        }
        this.graph = graph;
        for (GraphOp op : graph.ops()) {
            if (op.kind() == OpKind.CONV_2D || op.kind() == OpKind.FULLY_CONNECTED) {
                float[] w = op.input(1).floats();
                int out = op.input(1).dim(0);
                int per = w.length / out;
                float[] t = new float[w.length];
                for (int o = 0; o < out; o++) for (int j = 0; j < per; j++) t[j * out + o] = w[o * per + j];
                outputMajor.put(op, t);
            }
        }
    }

    /** Runs one example given in the layout of the graph's input; returns the values of every activation. */
    Map<GraphTensor, float[]> run(float[] input) {
        if (input.length != graph.input().size()) {
            throw new IllegalArgumentException("the input takes " + graph.input().size() + " values, got " + input.length);
        }
        Map<GraphTensor, float[]> values = new IdentityHashMap<>();
        values.put(graph.input(), input);
        for (GraphOp op : graph.ops()) {
            float[] x = values.get(op.input(0));
            values.put(op.output(), eval(op, x, values, outputMajor.get(op)));
        }
        return values;
    }

    private static float[] eval(GraphOp op, float[] x, Map<GraphTensor, float[]> values, float[] weights) {
        GraphTensor in = op.input(0);
        GraphTensor out = op.output();
        switch (op.kind()) {
            case CONV_2D:
                return relu(op, conv(op, in, x, out, weights));
            case FULLY_CONNECTED:
                return relu(op, fullyConnected(op, x, weights));
            case MAX_POOL_2D:
            case AVERAGE_POOL_2D:
                return pool(op, in, x, out);
            case MEAN: {
                int[] s = in.shape();
                int c = s[3];
                int hw = s[1] * s[2];
                float[] y = new float[c];
                for (int p = 0; p < hw; p++) for (int ch = 0; ch < c; ch++) y[ch] += x[p * c + ch];
                for (int ch = 0; ch < c; ch++) y[ch] /= hw;
                return y;
            }
            case RESHAPE:
                return x;
            case TRANSPOSE:
                return transpose(in.shape(), op.input(1).ints(), x);
            case PAD:
                return pad(in.shape(), op.input(1).ints(), x, out.size());
            case ADD:
            case MUL: {
                GraphTensor b = op.input(1);
                float[] y = b.isConstant() ? b.floats() : values.get(b);
                float[] r = new float[x.length];
                // The second operand is either the same size or one value per channel (the last dimension).
                int n = y.length;
                boolean add = op.kind() == OpKind.ADD;
                for (int i = 0; i < x.length; i++) r[i] = add ? x[i] + y[i % n] : x[i] * y[i % n];
                return relu(op, r);
            }
            case RELU: {
                float[] r = new float[x.length];
                for (int i = 0; i < x.length; i++) r[i] = Math.max(0f, x[i]);
                return r;
            }
            case LOGISTIC: {
                float[] r = new float[x.length];
                for (int i = 0; i < x.length; i++) r[i] = (float) (1.0 / (1.0 + Math.exp(-x[i])));
                return r;
            }
            case TANH: {
                float[] r = new float[x.length];
                for (int i = 0; i < x.length; i++) r[i] = (float) Math.tanh(x[i]);
                return r;
            }
            case SOFTMAX: {
                float max = Float.NEGATIVE_INFINITY;
                for (float v : x) max = Math.max(max, v);
                double sum = 0;
                float[] r = new float[x.length];
                for (int i = 0; i < x.length; i++) {
                    r[i] = (float) Math.exp(x[i] - max);
                    sum += r[i];
                }
                for (int i = 0; i < x.length; i++) r[i] /= sum;
                return r;
            }
            default:
                throw new IllegalStateException(op.kind() + " has no float evaluation");
        }
    }

    private static float[] relu(GraphOp op, float[] y) {
        if (op.fusedRelu) for (int i = 0; i < y.length; i++) y[i] = Math.max(0f, y[i]);
        return y;
    }

    /**
     * Direct convolution. The weights come as {@code [kh][kw][in][out]} so that the innermost loop updates all
     * output channels of one pixel from one input value: contiguous on both sides, which the JIT vectorises.
     */
    private static float[] conv(GraphOp op, GraphTensor in, float[] x, GraphTensor out, float[] w) {
        GraphTensor wt = op.input(1);
        float[] b = op.input(2).floats();
        int h = in.dim(1);
        int wd = in.dim(2);
        int ci = in.dim(3);
        int kh = wt.dim(1);
        int kw = wt.dim(2);
        int oh = out.dim(1);
        int ow = out.dim(2);
        int co = out.dim(3);
        int top = 0;
        int left = 0;
        if (op.samePadding) {
            top = Math.max((oh - 1) * op.strideH + kh - h, 0) / 2;
            left = Math.max((ow - 1) * op.strideW + kw - wd, 0) / 2;
        }
        float[] y = new float[oh * ow * co];
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                int base = (oy * ow + ox) * co;
                System.arraycopy(b, 0, y, base, co);
                for (int ky = 0; ky < kh; ky++) {
                    int iy = oy * op.strideH - top + ky;
                    if (iy < 0 || iy >= h) continue;
                    for (int kx = 0; kx < kw; kx++) {
                        int ix = ox * op.strideW - left + kx;
                        if (ix < 0 || ix >= wd) continue;
                        int xi = (iy * wd + ix) * ci;
                        int wi = (ky * kw + kx) * ci * co;
                        for (int c = 0; c < ci; c++) {
                            float v = x[xi + c];
                            int row = wi + c * co;
                            for (int o = 0; o < co; o++) y[base + o] += v * w[row + o];
                        }
                    }
                }
            }
        }
        return y;
    }

    /** Dense layer with the weights as {@code [features][units]}, for the same reason as {@link #conv}. */
    private static float[] fullyConnected(GraphOp op, float[] x, float[] w) {
        float[] b = op.input(2).floats();
        int units = b.length;
        float[] y = b.clone();
        for (int j = 0; j < x.length; j++) {
            float v = x[j];
            int row = j * units;
            for (int u = 0; u < units; u++) y[u] += v * w[row + u];
        }
        return y;
    }

    private static float[] pool(GraphOp op, GraphTensor in, float[] x, GraphTensor out) {
        int wd = in.dim(2);
        int c = in.dim(3);
        int oh = out.dim(1);
        int ow = out.dim(2);
        boolean max = op.kind() == OpKind.MAX_POOL_2D;
        float[] y = new float[oh * ow * c];
        for (int oy = 0; oy < oh; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                for (int ch = 0; ch < c; ch++) {
                    float acc = max ? Float.NEGATIVE_INFINITY : 0f;
                    for (int ky = 0; ky < op.filterH; ky++) {
                        for (int kx = 0; kx < op.filterW; kx++) {
                            float v = x[((oy * op.strideH + ky) * wd + ox * op.strideW + kx) * c + ch];
                            acc = max ? Math.max(acc, v) : acc + v;
                        }
                    }
                    y[(oy * ow + ox) * c + ch] = max ? acc : acc / (op.filterH * op.filterW);
                }
            }
        }
        return y;
    }

    private static float[] transpose(int[] shape, int[] perm, float[] x) {
        int rank = shape.length;
        int[] outShape = new int[rank];
        for (int i = 0; i < rank; i++) outShape[i] = shape[perm[i]];
        int[] inStride = strides(shape);
        float[] y = new float[x.length];
        int[] idx = new int[rank];
        for (int o = 0; o < y.length; o++) {
            int src = 0;
            for (int d = 0; d < rank; d++) src += idx[d] * inStride[perm[d]];
            y[o] = x[src];
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < outShape[d]) break;
                idx[d] = 0;
            }
        }
        return y;
    }

    private static float[] pad(int[] shape, int[] paddings, float[] x, int outSize) {
        int rank = shape.length;
        int[] outShape = new int[rank];
        for (int d = 0; d < rank; d++) outShape[d] = shape[d] + paddings[2 * d] + paddings[2 * d + 1];
        int[] outStride = strides(outShape);
        float[] y = new float[outSize];
        int[] idx = new int[rank];
        for (int i = 0; i < x.length; i++) {
            int dst = 0;
            for (int d = 0; d < rank; d++) dst += (idx[d] + paddings[2 * d]) * outStride[d];
            y[dst] = x[i];
            for (int d = rank - 1; d >= 0; d--) {
                if (++idx[d] < shape[d]) break;
                idx[d] = 0;
            }
        }
        return y;
    }

    private static int[] strides(int[] shape) {
        int[] s = new int[shape.length];
        int acc = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            s[d] = acc;
            acc *= shape[d];
        }
        return s;
    }
}
