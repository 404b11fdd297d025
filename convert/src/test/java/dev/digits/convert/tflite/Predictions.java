package dev.digits.convert.tflite;

import dev.digits.core.data.ImageSet;

/** Comparisons of batches of class probabilities, and images packed the way {@code LoadedModel} takes them. */
final class Predictions {
    private Predictions() {
    }

    /** Largest absolute difference between two batches of probabilities. */
    static double maxDifference(float[][] a, float[][] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            for (int k = 0; k < a[i].length; k++) max = Math.max(max, Math.abs(a[i][k] - b[i][k]));
        }
        return max;
    }

    /** The fraction of rows whose most likely class is the same in both batches. */
    static double agreement(float[][] a, float[][] b) {
        int same = 0;
        for (int i = 0; i < a.length; i++) if (argmax(a[i]) == argmax(b[i])) same++;
        return (double) same / a.length;
    }

    /** The fraction of images whose most likely class is their label. */
    static double accuracy(float[][] p, ImageSet images) {
        int right = 0;
        for (int i = 0; i < p.length; i++) if (argmax(p[i]) == images.label(i)) right++;
        return (double) right / p.length;
    }

    static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /** Every image scaled to [0,1], one after another. */
    static float[] pixels(ImageSet images) {
        int size = images.height() * images.width();
        float[] p = new float[images.size() * size];
        for (int i = 0; i < images.size(); i++) images.copyScaled(i, p, i * size);
        return p;
    }
}
