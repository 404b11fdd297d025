package dev.digits.convert.tfjs;

import dev.digits.convert.HalfPrecision;
import dev.digits.convert.Quantization;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The binary side of a TF.js LayersModel: all weights of one group concatenated little-endian, in manifest order, cut
 * into shard files of at most {@link #SHARD_BYTES} as the TF.js converter cuts them (shard boundaries fall anywhere,
 * even inside a weight; the loader joins the shards before decoding).
 *
 * <p>Quantization as the converter writes it and {@code tf.loadLayersModel} decodes it at load: {@code float16}
 * stores every weight as IEEE half floats ({@code "quantization": {"dtype": "float16"}}); dynamic-range int8 stores
 * the convolution and dense kernels with the converter's uint8 affine quantization ({@code {"dtype": "uint8", "min",
 * "scale"}}, one range per tensor with zero exactly representable) and keeps biases and batch-normalisation
 * statistics in float32, whose precision the small vectors need and whose size hardly matters.
 */
final class WeightShards {
    /** The converter's default shard size: 4 MiB. */
    static final int SHARD_BYTES = 4 * 1024 * 1024;

    private final List<Map<String, Object>> entries = new ArrayList<>();
    private final byte[] data;

    private WeightShards(List<KerasModel.Weight> weights, Quantization quantization) {
        int bytes = 0;
        for (KerasModel.Weight w : weights) bytes += w.values.length * bytesPerValue(w, quantization);
        ByteBuffer buf = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (KerasModel.Weight w : weights) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("name", w.name);
            e.put("shape", w.shape);
            e.put("dtype", "float32");
            if (quantization == Quantization.FLOAT16) {
                e.put("quantization", Map.of("dtype", "float16"));
                for (float v : w.values) buf.putShort(HalfPrecision.fromFloat(v));
            } else if (quantization == Quantization.DYNAMIC_INT8 && w.isKernel()) {
                AffineUint8 q = AffineUint8.of(w.values);
                Map<String, Object> qm = new LinkedHashMap<>();
                qm.put("dtype", "uint8");
                qm.put("min", q.min);
                qm.put("scale", q.scale);
                e.put("quantization", qm);
                for (float v : w.values) buf.put((byte) q.quantize(v));
            } else {
                for (float v : w.values) buf.putFloat(v);
            }
            entries.add(e);
        }
        this.data = buf.array();
    }

    /** Encodes {@code weights} (FLOAT32, FLOAT16 or DYNAMIC_INT8). */
    static WeightShards of(List<KerasModel.Weight> weights, Quantization quantization) {
        if (quantization == Quantization.FULL_INT8) {
            throw new IllegalArgumentException("TF.js LayersModels store weights only; full-integer quantization has no TF.js form");
        }
        return new WeightShards(weights, quantization);
    }

    private static int bytesPerValue(KerasModel.Weight w, Quantization q) {
        if (q == Quantization.FLOAT16) return 2;
        if (q == Quantization.DYNAMIC_INT8 && w.isKernel()) return 1;
        return 4;
    }

    /** The manifest's weight entries (name, shape, dtype, quantization), in byte order. */
    List<Map<String, Object>> entries() {
        return entries;
    }

    /** Number of shard files. */
    int shardCount() {
        return Math.max(1, (data.length + SHARD_BYTES - 1) / SHARD_BYTES);
    }

    /** The bytes of shard {@code i} (0-based). */
    byte[] shard(int i) {
        int from = i * SHARD_BYTES;
        int to = Math.min(data.length, from + SHARD_BYTES);
        byte[] out = new byte[to - from];
        System.arraycopy(data, from, out, 0, out.length);
        return out;
    }

    /** Total weight bytes over all shards. */
    int byteLength() {
        return data.length;
    }

    /**
     * The TF.js converter's affine uint8 quantization of one tensor: the range widened to include 0 and nudged so
     * that 0 maps to an integer exactly (zero weights and zero padding stay zero); decoded as {@code q * scale + min}.
     */
    static final class AffineUint8 {
        final double min;
        final double scale;

        private AffineUint8(double min, double scale) {
            this.min = min;
            this.scale = scale;
        }

        static AffineUint8 of(float[] values) {
            double lo = 0;
            double hi = 0;
            for (float v : values) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
            if (lo == hi) return new AffineUint8(lo, 1.0);
            double scale = (hi - lo) / 255.0;
            long zeroPoint = Math.round(-lo / scale);
            return new AffineUint8(zeroPoint == 0 ? 0.0 : -zeroPoint * scale, scale);
        }

        int quantize(float v) {
            long q = Math.round((v - min) / scale);
            return (int) Math.max(0, Math.min(255, q));
        }

        float dequantize(int q) {
            return (float) (q * scale + min);
        }
    }
}
