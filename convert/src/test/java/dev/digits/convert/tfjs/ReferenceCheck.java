package dev.digits.convert.tfjs;

import dev.digits.core.model.ModelSpec;
import dev.digits.core.model.Tensor;
import dev.digits.train.TrainedModel;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** Random networks and images for comparing TF.js with the DJL reference, and the measure of their distance. */
final class ReferenceCheck {
    private ReferenceCheck() {
    }

    /** {@code json} (a spec) with seeded random weights of a scale that keeps activations in a useful range. */
    static TrainedModel randomModel(String json, long seed) {
        ModelSpec spec = ModelSpec.parse(json);
        Random rng = new Random(seed);
        Map<String, Tensor> weights = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> p : spec.parameters().entrySet()) {
            long[] shape = p.getValue();
            int size = 1;
            for (long d : shape) size *= (int) d;
            float[] v = new float[size];
            String name = p.getKey();
            double fanIn = shape.length > 1 ? v.length / (double) shape[0] : 1;
            for (int i = 0; i < v.length; i++) {
                if (name.endsWith(".running_var")) v[i] = 0.3f + 2 * rng.nextFloat();
                else if (name.endsWith(".gamma")) v[i] = 0.5f + rng.nextFloat();
                else if (shape.length == 1) v[i] = (float) (rng.nextGaussian() * 0.2);
                else v[i] = (float) (rng.nextGaussian() * 1.5 / Math.sqrt(fanIn));
            }
            weights.put(name, new Tensor(shape, v));
        }
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < spec.classes(); i++) labels.add("class " + i);
        return new TrainedModel(spec, weights, labels);
    }

    /** {@code n × size} values on the 0–255 grid scaled to [0,1], as real images are (so integer input carries them exactly). */
    static float[] images(int n, int size, long seed) {
        Random rng = new Random(seed);
        float[] x = new float[n * size];
        for (int i = 0; i < x.length; i++) x[i] = rng.nextInt(256) / 255f;
        return x;
    }

    /** The largest absolute difference between two sets of probability rows. */
    static float maxDifference(float[][] expected, float[][] actual) {
        float max = 0;
        for (int i = 0; i < expected.length; i++) {
            for (int j = 0; j < expected[i].length; j++) max = Math.max(max, Math.abs(expected[i][j] - actual[i][j]));
        }
        return max;
    }
}
