package dev.digits.convert.tflite;

import dev.digits.convert.ExportOptions.InputType;
import dev.digits.core.data.ImageSet;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Full-integer quantization following TFLite's quantization spec: int8 activations with per-tensor affine
 * parameters calibrated on representative images, int8 symmetric weights (per output channel for convolutions),
 * int32 biases scaled by input × weight scale, the fixed output parameters of SOFTMAX and LOGISTIC (1/256, −128)
 * and TANH (1/128, 0), and ops that only move values keeping their input's parameters.
 */
final class FullIntegerQuantization {
    /** Calibration images used at most: a few hundred pin the ranges down, as TensorFlow's documentation advises. */
    static final int CALIBRATION_IMAGES = 500;

    /** The input's parameters: pixels k/255 in [0,1] are represented exactly. */
    private static final QuantParams INT8_PIXELS = QuantParams.perTensor(1f / 255f, -128);
    private static final QuantParams UINT8_PIXELS = QuantParams.perTensor(1f / 255f, 0);
    private static final QuantParams INT8_PROBABILITIES = QuantParams.perTensor(1f / 256f, -128);
    private static final QuantParams UINT8_PROBABILITIES = QuantParams.perTensor(1f / 256f, 0);

    private FullIntegerQuantization() {
    }

    /**
     * Quantizes the float32 graph {@code g} in place.
     *
     * @param io the type of the file's input and output: FLOAT32 adds QUANTIZE/DEQUANTIZE at the ends, UINT8 adds
     *           uint8↔int8 requantization, INT8 exposes the int8 tensors directly
     */
    static void apply(Graph g, ImageSet representative, InputType io) {
        Map<GraphTensor, float[]> ranges = calibrate(g, representative);
        g.input().quantize(INT8_PIXELS);
        for (GraphOp op : g.ops()) {
            GraphTensor out = op.output();
            switch (op.kind()) {
                case SOFTMAX:
                case LOGISTIC:
                    out.quantize(INT8_PROBABILITIES);
                    break;
                case TANH:
                    out.quantize(QuantParams.perTensor(1f / 128f, 0));
                    break;
                default:
                    if (op.kind().keepsInputQuantization()) {
                        out.quantize(op.input(0).quant());
                    } else {
                        float[] r = ranges.get(out);
                        out.quantize(QuantParams.int8Range(r[0], r[1]));
                    }
            }
        }
        for (GraphOp op : g.ops()) quantizeConstants(op);
        for (GraphTensor t : g.tensors()) {
            if (!t.isConstant() && t.type() == GraphTensor.Type.FLOAT32) t.retype(GraphTensor.Type.INT8);
        }
        switch (io) {
            case FLOAT32:
                g.adaptInput(GraphTensor.Type.FLOAT32, null, OpKind.QUANTIZE, "int8");
                g.adaptOutput(GraphTensor.Type.FLOAT32, null, OpKind.DEQUANTIZE, "int8");
                break;
            case UINT8:
                g.adaptInput(GraphTensor.Type.UINT8, UINT8_PIXELS, OpKind.QUANTIZE, "int8");
                g.adaptOutput(GraphTensor.Type.UINT8, UINT8_PROBABILITIES, OpKind.QUANTIZE, "int8");
                break;
            case INT8:
                break;
            default:
                throw new IllegalStateException("input type " + io);
        }
    }

    /** Min and max of every activation over the calibration images. */
    private static Map<GraphTensor, float[]> calibrate(Graph g, ImageSet images) {
        FloatGraphEvaluator evaluator = new FloatGraphEvaluator(g);
        Map<GraphTensor, float[]> ranges = new IdentityHashMap<>();
        int n = Math.min(images.size(), CALIBRATION_IMAGES);
        if (n == 0) throw new IllegalArgumentException("full-integer quantization needs at least one representative image");
        if (images.height() * images.width() != g.input().size()) {
            throw new IllegalArgumentException("the representative images are " + images.height() + "×" + images.width()
                    + " but the model takes " + g.input().size() + " values");
        }
        for (int i = 0; i < n; i++) {
            for (Map.Entry<GraphTensor, float[]> e : evaluator.run(images.image(i)).entrySet()) {
                float[] r = ranges.computeIfAbsent(e.getKey(), k -> new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY});
                for (float v : e.getValue()) {
                    if (v < r[0]) r[0] = v;
                    if (v > r[1]) r[1] = v;
                }
            }
        }
        return ranges;
    }

    private static void quantizeConstants(GraphOp op) {
        switch (op.kind()) {
            case CONV_2D:
            case FULLY_CONNECTED: {
                GraphTensor w = op.input(1);
                if (op.kind() == OpKind.CONV_2D) SymmetricInt8.perChannel(w);
                else SymmetricInt8.perTensor(w);
                quantizeBias(op.input(2), op.input(0).quant().scale(), w.quant().scales());
                break;
            }
            case ADD:
            case MUL: {
                GraphTensor c = op.input(1);
                if (c.isConstant()) quantizeAsymmetric(c);
                break;
            }
            default:
        }
    }

    /** int32 bias with scale input × weight scale (per channel when the weights are), zero point 0. */
    private static void quantizeBias(GraphTensor bias, float inputScale, float[] weightScales) {
        float[] b = bias.floats();
        int[] q = new int[b.length];
        float[] scales = new float[weightScales.length];
        for (int i = 0; i < scales.length; i++) scales[i] = inputScale * weightScales[i];
        for (int i = 0; i < b.length; i++) {
            float s = scales.length == 1 ? scales[0] : scales[i];
            q[i] = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, Math.round((double) b[i] / s)));
        }
        bias.replaceData(GraphTensor.Type.INT32, null, q, new QuantParams(scales, new long[scales.length], 0));
    }

    /** An element-wise operand (the scale and shift of a batch normalisation that could not be folded). */
    private static void quantizeAsymmetric(GraphTensor t) {
        float[] v = t.floats();
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float x : v) {
            min = Math.min(min, x);
            max = Math.max(max, x);
        }
        QuantParams p = QuantParams.int8Range(min, max);
        byte[] q = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            q[i] = (byte) Math.max(-128, Math.min(127, Math.round(v[i] / p.scale()) + p.zeroPoint()));
        }
        t.replaceData(GraphTensor.Type.INT8, q, null, p);
    }
}
