package dev.digits.convert.tflite;

import dev.digits.core.model.ModelSpec;
import dev.digits.core.model.Shape;
import dev.digits.core.model.Tensor;
import dev.digits.train.TrainedModel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Models with seeded random weights, for checking single operators against the DJL reference. */
final class RandomModels {
    private RandomModels() {
    }

    /** {@code spec} with random weights: ±0.5 uniform, batch-norm variances and scales in [0.5, 1.5]. */
    static TrainedModel of(ModelSpec spec, long seed) {
        Random r = new Random(seed);
        Map<String, Tensor> weights = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> p : spec.parameters().entrySet()) {
            long n = 1;
            for (long d : p.getValue()) n *= d;
            float[] v = new float[(int) n];
            boolean positive = p.getKey().endsWith(".running_var") || p.getKey().endsWith(".gamma");
            for (int i = 0; i < v.length; i++) v[i] = positive ? 0.5f + r.nextFloat() : r.nextFloat() - 0.5f;
            weights.put(p.getKey(), new Tensor(p.getValue(), v));
        }
        return new TrainedModel(spec, weights, labels(spec.classes()));
    }

    static List<String> labels(int n) {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < n; i++) l.add("class" + i);
        return l;
    }

    /** {@code n × size} uniform values in [0,1]. */
    static float[] pixels(int n, int size, long seed) {
        Random r = new Random(seed);
        float[] p = new float[n * size];
        for (int i = 0; i < p.length; i++) p[i] = r.nextFloat();
        return p;
    }

    /** {@code n} images in PyTorch's CHW order (the reference's input) rearranged into the HWC order of NHWC files. */
    static float[] toHwc(float[] chw, int n, Shape shape) {
        if (shape.isFlat() || shape.channels() == 1) return chw;
        int c = shape.channels();
        int hw = shape.height() * shape.width();
        float[] out = new float[chw.length];
        for (int i = 0; i < n; i++) {
            for (int ch = 0; ch < c; ch++) {
                for (int p = 0; p < hw; p++) out[i * c * hw + p * c + ch] = chw[i * c * hw + ch * hw + p];
            }
        }
        return out;
    }
}
