package dev.digits.serve.api;

import io.javalin.http.Context;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /api/v1/predict} and {@code POST /api/v1/predict/batch}: see {@link PredictionRequest} for the bodies
 * accepted. One image answers
 * {@code {"found", "digit", "label", "probability", "probabilities", "model": {name, version, sha256},
 * "timing": {preprocessMs, inferenceMs}}}; a batch answers {@code {"results": [...], "model", "timing"}} with one
 * result per image in the order sent (for JSON: the {@code images} first, then the {@code pixels}).
 */
public final class PredictController {
    private final Predictor predictor;
    private final long maxBodyBytes;
    private final int maxBatchImages;

    PredictController(Predictor predictor, long maxBodyBytes, int maxBatchImages) {
        this.predictor = predictor;
        this.maxBodyBytes = maxBodyBytes;
        this.maxBatchImages = maxBatchImages;
    }

    void predict(Context ctx) throws IOException {
        byte[] body = RequestBody.read(ctx, maxBodyBytes);
        PredictionRequest request = PredictionRequest.parse(ctx, body, false, "image", 1);
        Predictor.Result r = predictor.predict(ctx, request);
        Map<String, Object> out = Predictor.json(r.outcomes.get(0));
        out.put("model", Predictor.modelJson(r.version));
        out.put("timing", Predictor.timingJson(r.preprocessMs, r.inferenceMs));
        Json.ok(ctx, out);
    }

    void predictBatch(Context ctx) throws IOException {
        byte[] body = RequestBody.read(ctx, maxBodyBytes);
        PredictionRequest request = PredictionRequest.parse(ctx, body, true, "image", maxBatchImages);
        Predictor.Result r = predictor.predict(ctx, request);
        List<Map<String, Object>> results = new ArrayList<>();
        for (Predictor.Outcome o : r.outcomes) {
            Map<String, Object> m = Predictor.json(o);
            m.put("source", o.input.source);
            results.add(m);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("results", results);
        out.put("model", Predictor.modelJson(r.version));
        out.put("timing", Predictor.timingJson(r.preprocessMs, r.inferenceMs));
        Json.ok(ctx, out);
    }
}
