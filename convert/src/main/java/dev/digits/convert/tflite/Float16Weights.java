package dev.digits.convert.tflite;

import java.util.ArrayList;
import java.util.List;

/**
 * Float16 quantization as TensorFlow's converter writes it: every float32 constant is stored as float16 and
 * turned back into float32 by a DEQUANTIZE op when the interpreter prepares the graph, so the arithmetic stays
 * float32 while the file is half the size.
 */
final class Float16Weights {
    private Float16Weights() {
    }

    static void apply(Graph g) {
        List<GraphOp> dequantize = new ArrayList<>();
        for (GraphOp op : new ArrayList<>(g.ops())) {
            for (int i = 0; i < op.inputs().size(); i++) {
                GraphTensor t = op.input(i);
                if (!t.isConstant() || t.type() != GraphTensor.Type.FLOAT32) continue;
                GraphTensor f32 = g.activation(t.name() + "/dequantized", t.shape());
                t.replaceData(GraphTensor.Type.FLOAT16, toHalf(t.floats()), null, null);
                dequantize.add(new GraphOp(OpKind.DEQUANTIZE, List.of(t), f32));
                op.replaceInput(i, f32);
            }
        }
        // Constants' DEQUANTIZE ops depend on nothing: the converter places them first.
        for (int i = 0; i < dequantize.size(); i++) g.insert(i, dequantize.get(i));
    }

    /** The values as IEEE 754 half-precision, little endian. */
    static byte[] toHalf(float[] v) {
        byte[] out = new byte[v.length * 2];
        for (int i = 0; i < v.length; i++) {
            short h = halfBits(v[i]);
            out[2 * i] = (byte) h;
            out[2 * i + 1] = (byte) (h >>> 8);
        }
        return out;
    }

    /** Rounds a float to the nearest half (ties to even), with overflow to infinity and gradual underflow. */
    static short halfBits(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mant = bits & 0x7fffff;
        if (exp == 0xff) return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 : 0));
        int e = exp - 127 + 15;
        if (e >= 0x1f) return (short) (sign | 0x7c00);
        if (e <= 0) {
            if (e < -10) return (short) sign;
            // Subnormal half: shift the mantissa with its implicit 1 into place, rounding to nearest even.
            int m = mant | 0x800000;
            int shift = 14 - e;
            int half = m >>> shift;
            int rest = m & ((1 << shift) - 1);
            int mid = 1 << (shift - 1);
            if (rest > mid || (rest == mid && (half & 1) != 0)) half++;
            return (short) (sign | half);
        }
        int half = (e << 10) | (mant >>> 13);
        int rest = mant & 0x1fff;
        // A carry out of the mantissa correctly bumps the exponent (up to infinity).
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) half++;
        return (short) (sign | half);
    }
}
