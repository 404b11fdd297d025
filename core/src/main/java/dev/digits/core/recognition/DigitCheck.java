package dev.digits.core.recognition;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Decides whether a model's answer is a digit at all: the rule every target applies the same way (server, browser,
 * Android), with the temperature and threshold a model's card carries.
 *
 * <p>The score is the largest class probability after temperature scaling, {@code max p_k^(1/T) / sum p_j^(1/T)},
 * which equals {@code max softmax(z/T)} for the model's logits {@code z}: it is computed from the probabilities every
 * export already outputs, so no target needs the logits. An answer whose score is below the threshold is "not a
 * digit". {@link #NONE} (threshold 0) never rejects: models whose card has no check answer as before.
 */
public final class DigitCheck {
    /** The method's name as cards and export metadata record it. */
    public static final String METHOD = "temperature-scaled-max-probability";

    /** The check that accepts every answer. */
    public static final DigitCheck NONE = new DigitCheck(1.0, 0.0);

    private final double temperature;
    private final double threshold;

    /**
     * @param temperature &gt; 0; 1 leaves the probabilities as they are, larger values soften them
     * @param threshold   in [0, 1): scores below it are not digits
     */
    public DigitCheck(double temperature, double threshold) {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a positive number, got " + temperature);
        }
        if (!(threshold >= 0 && threshold < 1)) {
            throw new IllegalArgumentException("threshold must be in [0, 1), got " + threshold);
        }
        this.temperature = temperature;
        this.threshold = threshold;
    }

    public double temperature() {
        return temperature;
    }

    public double threshold() {
        return threshold;
    }

    /** Whether this check ever rejects an answer. */
    public boolean rejects() {
        return threshold > 0;
    }

    /**
     * The temperature-scaled largest probability of {@code probabilities} (a softmax output; values need not sum to
     * exactly 1). Computed in log space, so tiny probabilities raised to {@code 1/T} do not underflow.
     */
    public double score(float[] probabilities) {
        if (probabilities.length == 0) throw new IllegalArgumentException("no probabilities");
        double inv = 1.0 / temperature;
        double maxLog = Double.NEGATIVE_INFINITY;
        double[] logs = new double[probabilities.length];
        for (int i = 0; i < probabilities.length; i++) {
            // A probability of exactly 0 (float underflow in the model) stays 0 at any temperature.
            logs[i] = probabilities[i] > 0 ? Math.log(probabilities[i]) * inv : Double.NEGATIVE_INFINITY;
            maxLog = Math.max(maxLog, logs[i]);
        }
        if (maxLog == Double.NEGATIVE_INFINITY) return 0;
        double sum = 0;
        for (double l : logs) sum += Math.exp(l - maxLog);
        return 1.0 / sum;
    }

    /** Whether the answer with these probabilities is a digit under this check. */
    public boolean isDigit(float[] probabilities) {
        return score(probabilities) >= threshold;
    }

    /**
     * Reads the card's form ({@link #toJson()}), as cards, the server's model list and the app's records hold it.
     *
     * @throws IllegalArgumentException naming the field when it is not a check this version of Digits applies
     */
    public static DigitCheck fromJson(Object json) {
        if (!(json instanceof Map)) throw new IllegalArgumentException("digitCheck is not an object");
        Map<?, ?> m = (Map<?, ?>) json;
        Object method = m.get("method");
        if (method != null && !METHOD.equals(method)) {
            throw new IllegalArgumentException("digitCheck.method '" + method + "' is not " + METHOD
                    + "; it was written by another version of Digits — upgrade Digits to read it");
        }
        if (!(m.get("temperature") instanceof Number) || !(m.get("threshold") instanceof Number)) {
            throw new IllegalArgumentException("digitCheck needs numbers \"temperature\" and \"threshold\"");
        }
        try {
            return new DigitCheck(((Number) m.get("temperature")).doubleValue(),
                    ((Number) m.get("threshold")).doubleValue());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("digitCheck: " + e.getMessage(), e);
        }
    }

    /** The card's form: {@code {"method":…, "temperature":…, "threshold":…}}. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", METHOD);
        m.put("temperature", temperature);
        m.put("threshold", threshold);
        return m;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s T=%.3f threshold=%.3f", METHOD, temperature, threshold);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DigitCheck && ((DigitCheck) o).temperature == temperature
                && ((DigitCheck) o).threshold == threshold;
    }

    @Override
    public int hashCode() {
        return Double.hashCode(temperature) * 31 + Double.hashCode(threshold);
    }
}
