package dev.digits.convert.tflite;

import dev.digits.convert.HalfPrecision;

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
            short h = HalfPrecision.fromFloat(v[i]);
            out[2 * i] = (byte) h;
            out[2 * i + 1] = (byte) (h >>> 8);
        }
        return out;
    }
}
