package dev.digits.serve.api;

import dev.digits.core.preprocess.PreprocessedDigit;
import dev.digits.core.recognition.DigitCheck;
import dev.digits.core.recognition.Recognition;
import dev.digits.serve.image.ImageDigitReader;
import dev.digits.serve.inference.Lease;
import dev.digits.serve.inference.ModelService;
import dev.digits.serve.registry.StoredVersion;
import io.javalin.http.Context;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Classifies the images of a request: preprocesses each one (image files through {@link ImageDigitReader}; pixel
 * arrays are taken as already in MNIST form), runs every image holding a digit through the chosen model version in
 * one call, and answers "no digit found" for the others rather than a guess.
 */
final class Predictor {
    /** Why an image has no digit in the answer. */
    static final String EMPTY = "empty";
    static final String NOT_A_DIGIT = "not-a-digit";
    /** The message of an answer with reason {@value #NOT_A_DIGIT}, in /api/v1/predict and /mnist alike. */
    static final String NOT_A_DIGIT_MESSAGE = "this does not look like a digit";

    /**
     * The answer for one image: a recognition when it holds a digit; otherwise the reason — {@value #EMPTY} (nothing
     * drawn or photographed) or {@value #NOT_A_DIGIT} (the model's answer failed the card's {@link DigitCheck}, whose
     * score and the model's probabilities are kept so clients can still show them).
     */
    static final class Outcome {
        final ImageInput input;
        final Recognition recognition;
        final String reason;
        final Recognition rejected;
        final double score;
        final DigitCheck check;

        private Outcome(ImageInput input, Recognition recognition, String reason, Recognition rejected, double score,
                        DigitCheck check) {
            this.input = input;
            this.recognition = recognition;
            this.reason = reason;
            this.rejected = rejected;
            this.score = score;
            this.check = check;
        }

        static Outcome judged(ImageInput input, Recognition r, DigitCheck check) {
            double score = check.score(r.probabilities());
            return score >= check.threshold() ? new Outcome(input, r, null, null, score, check)
                    : new Outcome(input, null, NOT_A_DIGIT, r, score, check);
        }

        static Outcome empty(ImageInput input) {
            return new Outcome(input, null, EMPTY, null, Double.NaN, null);
        }
    }

    /** The answers for a request and what produced them. */
    static final class Result {
        final List<Outcome> outcomes;
        final StoredVersion version;
        final double preprocessMs;
        final double inferenceMs;

        Result(List<Outcome> outcomes, StoredVersion version, double preprocessMs, double inferenceMs) {
            this.outcomes = outcomes;
            this.version = version;
            this.preprocessMs = preprocessMs;
            this.inferenceMs = inferenceMs;
        }
    }

    /** Request attribute naming the model that answered, for metrics and the access log. */
    static final String MODEL_ATTRIBUTE = "digits.model";

    private final ModelService models;
    private final ImageDigitReader reader;

    Predictor(ModelService models, ImageDigitReader reader) {
        this.models = models;
        this.reader = reader;
    }

    Result predict(Context ctx, PredictionRequest request) throws IOException {
        // The model is looked up first so that a request naming an unknown one is refused before any decoding.
        try (Lease lease = models.acquire(request.model, request.version)) {
            StoredVersion version = lease.version().stored();
            ctx.attribute(MODEL_ATTRIBUTE, version.model());
            return run(lease, request);
        }
    }

    private Result run(Lease lease, PredictionRequest request) {
        StoredVersion version = lease.version().stored();
        long t0 = System.nanoTime();
        int n = request.images.size();
        PreprocessedDigit[] digits = new PreprocessedDigit[n];
        float[][] pixels = new float[n][];
        int found = 0;
        for (int i = 0; i < n; i++) {
            ImageInput in = request.images.get(i);
            if (in.pixels != null) {
                pixels[i] = isBlank(in.pixels) ? null : in.pixels;
            } else {
                digits[i] = reader.read(in.encoded, in.source, version.preprocessor());
                pixels[i] = digits[i].found() ? digits[i].pixels() : null;
            }
            if (pixels[i] != null) found++;
        }
        long t1 = System.nanoTime();
        double preprocessMs = (t1 - t0) / 1e6;
        float[][] probabilities = new float[0][];
        long t2 = System.nanoTime();
        if (found > 0) {
            float[] packed = new float[found * PreprocessedDigit.PIXELS];
            int at = 0;
            for (float[] p : pixels) {
                if (p == null) continue;
                System.arraycopy(p, 0, packed, at, p.length);
                at += p.length;
            }
            probabilities = lease.version().classify(packed, found);
        }
        double inferenceMs = (System.nanoTime() - t2) / 1e6;
        List<String> labels = version.labels();
        DigitCheck check = version.card().digitCheck();
        List<Outcome> outcomes = new ArrayList<>(n);
        int k = 0;
        for (int i = 0; i < n; i++) {
            ImageInput in = request.images.get(i);
            outcomes.add(pixels[i] == null ? Outcome.empty(in) : Outcome.judged(in,
                    new Recognition(probabilities[k++], labels, preprocessMs / n, inferenceMs / found), check));
        }
        return new Result(outcomes, version, preprocessMs, inferenceMs);
    }

    /** The JSON answer for one image. */
    static Map<String, Object> json(Outcome o) {
        Map<String, Object> m = new LinkedHashMap<>();
        Recognition r = o.recognition;
        m.put("found", r != null);
        m.put("digit", r == null ? null : r.index());
        m.put("label", r == null ? null : r.label());
        m.put("probability", r == null ? null : r.probability());
        // A rejected answer keeps the model's probabilities: clients still draw the bars.
        m.put("probabilities", r != null ? r.probabilities() : o.rejected != null ? o.rejected.probabilities() : null);
        if (r != null) {
            if (o.check.rejects()) m.put("score", roundScore(o.score));
        } else if (EMPTY.equals(o.reason)) {
            m.put("reason", EMPTY);
            m.put("message", "no digit found");
        } else {
            m.put("reason", NOT_A_DIGIT);
            m.put("score", roundScore(o.score));
            m.put("threshold", o.check.threshold());
            m.put("message", NOT_A_DIGIT_MESSAGE);
        }
        return m;
    }

    /** The JSON description of the model version that answered. */
    static Map<String, Object> modelJson(StoredVersion v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", v.model());
        m.put("version", v.version());
        m.put("sha256", v.sha256());
        return m;
    }

    static Map<String, Object> timingJson(double preprocessMs, double inferenceMs) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("preprocessMs", round(preprocessMs));
        m.put("inferenceMs", round(inferenceMs));
        return m;
    }

    /** Scores to 1e-6: enough to compare with a threshold without printing float noise. */
    private static double roundScore(double score) {
        return Math.floor(score * 1e6) / 1e6;
    }

    private static double round(double ms) {
        return Math.round(ms * 1000) / 1000.0;
    }

    private static boolean isBlank(float[] pixels) {
        for (float v : pixels) if (v > 0) return false;
        return true;
    }
}
