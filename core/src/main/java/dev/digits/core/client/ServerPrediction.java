package dev.digits.core.client;

import dev.digits.core.recognition.Recognition;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A Digits server's answer to {@code POST /api/v1/predict}: the recognition (or that the image holds no digit), which
 * model gave it, and how long the server and the whole round trip took. Immutable.
 */
public final class ServerPrediction {
    private final Recognition recognition;
    private final String modelName;
    private final String modelVersion;
    private final String modelSha256;
    private final double roundTripMillis;
    private final String reason;
    private final float[] rejectedProbabilities;

    ServerPrediction(Recognition recognition, String modelName, String modelVersion, String modelSha256,
                     double roundTripMillis) {
        this(recognition, null, null, modelName, modelVersion, modelSha256, roundTripMillis);
    }

    ServerPrediction(Recognition recognition, String reason, float[] rejectedProbabilities, String modelName,
                     String modelVersion, String modelSha256, double roundTripMillis) {
        this.recognition = recognition;
        this.reason = recognition != null ? null : reason == null ? EMPTY : reason;
        this.rejectedProbabilities = recognition != null || rejectedProbabilities == null ? null
                : rejectedProbabilities.clone();
        this.modelName = modelName;
        this.modelVersion = modelVersion;
        this.modelSha256 = modelSha256;
        this.roundTripMillis = roundTripMillis;
    }

    /**
     * Whether the server found a digit in the image. When it did not (a blank or featureless picture), there is no
     * recognition: the server does not guess.
     */
    public boolean found() {
        return recognition != null;
    }

    /** {@link #reason()} of a blank or featureless picture. */
    public static final String EMPTY = "empty";
    /** {@link #reason()} of an answer the model's digit check rejected: something was drawn, but not a digit. */
    public static final String NOT_A_DIGIT = "not-a-digit";

    /**
     * Why no digit was found: {@value #EMPTY} or {@value #NOT_A_DIGIT} (servers before the digit check only say
     * {@value #EMPTY}); null when one was.
     */
    public String reason() {
        return reason;
    }

    /** Digit, probabilities and the server's own preprocessing and inference times; null when nothing was found. */
    public Recognition recognition() {
        return recognition;
    }

    /** The winning digit, or -1 when nothing was found. */
    public int digit() {
        return recognition == null ? -1 : recognition.index();
    }

    /** The winning digit's probability, or 0 when nothing was found. */
    public float probability() {
        return recognition == null ? 0f : recognition.probability();
    }

    /**
     * The model's class probabilities: those of the recognition when a digit was found; those of the answer the digit
     * check rejected when the reason is {@value #NOT_A_DIGIT}, so that clients can still show what the model saw;
     * null for an empty picture, or when the server did not send them. A copy.
     */
    public float[] probabilities() {
        if (recognition != null) return recognition.probabilities();
        return rejectedProbabilities == null ? null : rejectedProbabilities.clone();
    }

    /** Name of the model the server used. */
    public String modelName() {
        return modelName;
    }

    /** Its version, as the server wrote it. */
    public String modelVersion() {
        return modelVersion;
    }

    /** SHA-256 of its weights (null when the server did not say). */
    public String modelSha256() {
        return modelSha256;
    }

    /** Time from sending the request to having parsed the answer, as seen by this client. */
    public double roundTripMillis() {
        return roundTripMillis;
    }

    /** Labels "0", "1", ... for {@code classes} outputs: the class index is the digit. */
    static List<String> indexLabels(int classes) {
        List<String> labels = new ArrayList<>(classes);
        for (int i = 0; i < classes; i++) labels.add(Integer.toString(i));
        return labels;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s by %s v%s (round trip %.1f ms)",
                recognition == null ? "no digit found" : recognition, modelName, modelVersion, roundTripMillis);
    }
}
