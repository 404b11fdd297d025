package dev.digits.core.recognition;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The answer for one image: the winning class, its probability, every class's probability and how long it took.
 * Immutable.
 */
public final class Recognition {
    private final int index;
    private final String label;
    private final float probability;
    private final float[] probabilities;
    private final double preprocessMillis;
    private final double inferenceMillis;

    /**
     * @param probabilities one per class, in label order
     * @param labels        class names, same order
     */
    public Recognition(float[] probabilities, List<String> labels, double preprocessMillis, double inferenceMillis) {
        if (probabilities.length != labels.size()) {
            throw new IllegalArgumentException(probabilities.length + " probabilities for " + labels.size() + " labels");
        }
        int best = argmax(probabilities);
        this.index = best;
        this.label = labels.get(best);
        this.probability = probabilities[best];
        this.probabilities = probabilities.clone();
        this.preprocessMillis = preprocessMillis;
        this.inferenceMillis = inferenceMillis;
    }

    /** Index of the largest value (the first on ties): the class a model's probabilities choose. */
    public static int argmax(float[] p) {
        int best = 0;
        for (int i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
        return best;
    }

    /** Position of the winning class. */
    public int index() {
        return index;
    }

    /** Name of the winning class ("7" for digits). */
    public String label() {
        return label;
    }

    public float probability() {
        return probability;
    }

    /** Every class's probability; a copy. */
    public float[] probabilities() {
        return probabilities.clone();
    }

    public double preprocessMillis() {
        return preprocessMillis;
    }

    public double inferenceMillis() {
        return inferenceMillis;
    }

    /** The classes ranked by probability, best first, at most {@code k}. */
    public List<Integer> top(int k) {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < probabilities.length; i++) idx.add(i);
        idx.sort((a, b) -> Float.compare(probabilities[b], probabilities[a]));
        return idx.subList(0, Math.min(k, idx.size()));
    }

    /** JSON-ready form: label, probability, probabilities, timing. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("label", label);
        m.put("probability", probability);
        m.put("probabilities", probabilities.clone());
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("preprocessMs", preprocessMillis);
        t.put("inferenceMs", inferenceMillis);
        m.put("timing", t);
        return m;
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "%s (%.1f%%, %.2f ms)", label, 100 * probability, inferenceMillis);
    }
}
