package dev.digits.serve.api;

import dev.digits.core.artifact.DigitsVersion;
import dev.digits.core.preprocess.PreprocessedDigit;
import dev.digits.serve.inference.Lease;
import dev.digits.serve.inference.ModelService;
import dev.digits.serve.inference.ModelUnavailableException;
import dev.digits.serve.inference.ServedFile;
import dev.digits.serve.inference.ServingVersion;
import dev.digits.serve.registry.StoredModel;
import dev.digits.serve.registry.StoredVersion;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The Open Inference Protocol (KServe v2) over REST, beside the Digits API, so that KServe and Triton clients and load
 * tools talk to Digits as they are:
 * <ul>
 * <li>{@code GET /v2} — server metadata; {@code GET /v2/health/live}, {@code GET /v2/health/ready};</li>
 * <li>{@code GET /v2/models/{name}[/versions/{version}]} — model metadata: versions, platform, and the served file's
 *     input and output tensors (name, {@code FP32}, shape with {@code -1} for the batch);</li>
 * <li>{@code GET /v2/models/{name}[/versions/{version}]/ready};</li>
 * <li>{@code POST /v2/models/{name}[/versions/{version}]/infer} — one {@code FP32} input tensor of preprocessed
 *     pixels in [0, 1] (white ink on black, as the model takes them): shape {@code [n, 784]}, {@code [n, 28, 28, 1]}
 *     or {@code [n, 1, 28, 28]}, {@code data} flat in row-major order or nested; answers the probabilities as one
 *     {@code FP32} output tensor of shape {@code [n, classes]}.</li>
 * </ul>
 * Errors are the protocol's {@code {"error": "<message>"}} with 400 (bad request), 404 (unknown model or version) or
 * 503 (not ready).
 */
final class InferenceProtocolController {
    static final String PREFIX = "/v2";
    /** The platform name KServe and Triton give ONNX models. */
    static final String PLATFORM = "onnxruntime_onnx";

    private final ModelService models;
    private final BooleanSupplier draining;
    private final int maxImages;
    private final long maxBodyBytes;

    InferenceProtocolController(ModelService models, BooleanSupplier draining, int maxImages, long maxBodyBytes) {
        this.models = models;
        this.draining = draining;
        this.maxImages = maxImages;
        this.maxBodyBytes = maxBodyBytes;
    }

    void server(Context ctx) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", "digits");
        m.put("version", DigitsVersion.current());
        m.put("extensions", List.of());
        Json.ok(ctx, m);
    }

    void live(Context ctx) {
        Json.ok(ctx, Map.of("live", true));
    }

    void ready(Context ctx) {
        boolean ready = models.ready() && !draining.getAsBoolean();
        Json.respond(ctx, ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE, Map.of("ready", ready));
    }

    void modelMetadata(Context ctx) {
        StoredModel model = model(ctx);
        try (Lease lease = lease(ctx, model)) {
            ServingVersion v = lease.version();
            ServedFile f = v.file();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", model.name());
            List<String> versions = new ArrayList<>();
            for (StoredVersion s : model.versions()) versions.add(Integer.toString(s.version()));
            m.put("versions", versions);
            m.put("platform", PLATFORM);
            m.put("inputs", List.of(tensor(f.inputName(), f.inputShape())));
            m.put("outputs", List.of(tensor(f.outputName(), f.outputShape())));
            Json.ok(ctx, m);
        }
    }

    void modelReady(Context ctx) {
        StoredModel model = model(ctx);
        boolean ready;
        try (Lease lease = lease(ctx, model)) {
            ready = !draining.getAsBoolean();
        } catch (ModelUnavailableException e) {
            // Not loaded (yet, or it failed to load): not ready. An unknown version stays a 404.
            ready = false;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", model.name());
        m.put("ready", ready);
        Json.respond(ctx, ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE, m);
    }

    void infer(Context ctx) throws IOException {
        StoredModel model = model(ctx);
        InferenceRequest body = InferenceRequest.read(RequestBody.read(ctx, maxBodyBytes));
        if (body.inputs != 1) {
            throw ApiException.badRequest("send {\"inputs\": [one tensor]}: {\"name\", \"shape\", \"datatype\": \"FP32\","
                    + " \"data\"}, the pixels of n images in [0, 1], shape [n, 784] or [n, 28, 28, 1]");
        }
        if (!body.datatype.equals("FP32")) {
            throw ApiException.badRequest("input datatype is '" + body.datatype + "'; this model takes FP32");
        }
        int n = images(body.shape, body.shapeText);
        if (body.count != n * PreprocessedDigit.PIXELS) {
            throw ApiException.badRequest("input data holds " + body.count + " values; shape " + body.shapeText
                    + " needs " + n * PreprocessedDigit.PIXELS);
        }
        float[] pixels = body.data.length == body.count ? body.data : java.util.Arrays.copyOf(body.data, body.count);
        try (Lease lease = lease(ctx, model)) {
            ServingVersion v = lease.version();
            ctx.attribute(Predictor.MODEL_ATTRIBUTE, model.name());
            float[][] probabilities = v.classify(pixels, n);
            int classes = probabilities.length == 0 ? v.stored().labels().size() : probabilities[0].length;
            float[] flat = new float[n * classes];
            for (int i = 0; i < n; i++) System.arraycopy(probabilities[i], 0, flat, i * classes, classes);
            Map<String, Object> output = new LinkedHashMap<>();
            output.put("name", v.file().outputName());
            output.put("shape", List.of(n, classes));
            output.put("datatype", "FP32");
            output.put("data", flat);
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model_name", model.name());
            out.put("model_version", Integer.toString(v.stored().version()));
            if (body.id != null) out.put("id", body.id);
            out.put("outputs", List.of(output));
            Json.ok(ctx, out);
        }
    }

    /** Images in a shape: {@code [n, 784]}, {@code [n, 28, 28, 1]} or {@code [n, 1, 28, 28]}. */
    private int images(List<Long> dims, String shapeText) {
        long per = 1;
        for (int i = 1; i < dims.size(); i++) per *= dims.get(i);
        boolean known = dims.size() == 2 && dims.get(1) == 784
                || dims.size() == 4 && (dims.subList(1, 4).equals(List.of(28L, 28L, 1L))
                || dims.subList(1, 4).equals(List.of(1L, 28L, 28L)));
        if (!known || per != PreprocessedDigit.PIXELS || dims.get(0) < 1) {
            throw ApiException.badRequest("input shape " + shapeText + " is not one this model takes: [n, 784], [n, 28, 28, 1]"
                    + " or [n, 1, 28, 28], n ≥ 1");
        }
        if (dims.get(0) > maxImages) {
            throw ApiException.tooLarge("the input holds " + dims.get(0) + " images; at most " + maxImages + " per request");
        }
        return (int) (long) dims.get(0);
    }

    private StoredModel model(Context ctx) {
        try {
            return models.registry().model(ctx.pathParam("name"));
        } catch (RuntimeException e) {
            throw new ApiException(HttpStatus.NOT_FOUND, "no model '" + ctx.pathParam("name") + "'; GET /api/v1/models"
                    + " lists them");
        }
    }

    private Lease lease(Context ctx, StoredModel model) {
        Integer version = null;
        if (ctx.pathParamMap().containsKey("version")) {
            version = PredictionRequest.parseVersion(ctx.pathParam("version"));
            if (version == null) throw ApiException.badRequest("a version is a number, was '" + ctx.pathParam("version") + "'");
            try {
                model.version(version);
            } catch (RuntimeException e) {
                throw new ApiException(HttpStatus.NOT_FOUND, "model '" + model.name() + "' has no version " + version);
            }
        }
        return models.acquire(model.name(), version);
    }

    private static Map<String, Object> tensor(String name, List<Long> shape) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("name", name);
        t.put("datatype", "FP32");
        t.put("shape", shape);
        return t;
    }
}
