package dev.digits.convert.onnx;

import dev.digits.core.model.ModelSpec;
import dev.digits.core.model.Tensor;
import dev.digits.train.TrainedModel;
import dev.digits.core.data.ImageSet;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Networks with seeded random weights of realistic scale, random and real images, and how to compare outputs. */
final class TestNetworks {
    private TestNetworks() {
    }

    /** {@code spec} with random weights (He-scaled, batch-norm statistics away from the identity) as a DJL model. */
    static TrainedModel model(ModelSpec spec, long seed) {
        Random rng = new Random(seed);
        Map<String, Tensor> weights = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> p : spec.parameters().entrySet()) {
            long[] shape = p.getValue();
            int n = 1;
            for (long d : shape) n *= (int) d;
            float[] v = new float[n];
            String name = p.getKey();
            double fanIn = shape.length > 1 ? n / (double) shape[0] : 1;
            for (int i = 0; i < n; i++) {
                if (name.endsWith(".running_var")) v[i] = 0.5f + rng.nextFloat() * 1.5f;
                else if (name.endsWith(".gamma")) v[i] = 0.7f + rng.nextFloat() * 0.6f;
                else if (name.endsWith(".running_mean") || name.endsWith(".beta") || name.endsWith(".bias")) v[i] = (float) (rng.nextGaussian() * 0.1);
                else v[i] = (float) (rng.nextGaussian() * Math.sqrt(2.0 / fanIn));
            }
            weights.put(name, new Tensor(shape, v));
        }
        return new TrainedModel(spec, weights, ImageSet.digitClasses().subList(0, spec.classes()));
    }

    /** {@code n} random images of {@code size} pixels on the 0–255 grid (so uint8 inputs carry them exactly). */
    static float[] images(int n, int size, long seed) {
        Random rng = new Random(seed);
        float[] x = new float[n * size];
        for (int i = 0; i < x.length; i++) x[i] = rng.nextInt(256) / 255f;
        return x;
    }

    /** Every image of {@code set} scaled to [0,1], one after another. */
    static float[] pixels(ImageSet set) {
        int size = set.height() * set.width();
        float[] x = new float[set.size() * size];
        for (int i = 0; i < set.size(); i++) set.copyScaled(i, x, i * size);
        return x;
    }

    /** The largest absolute difference between two sets of probability rows. */
    static float maxDifference(float[][] a, float[][] b) {
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
        }
        return max;
    }
}
