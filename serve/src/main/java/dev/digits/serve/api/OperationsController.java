package dev.digits.serve.api;

import dev.digits.serve.inference.ModelService;
import dev.digits.serve.inference.ServingVersion;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** {@code GET /health}, {@code GET /metrics} and {@code GET /openapi.json}. */
public final class OperationsController {
    /** Class-path resource holding the OpenAPI 3 description of every route. */
    public static final String OPENAPI_RESOURCE = "/dev/digits/serve/openapi.json";

    private final ModelService models;
    private final ServerMetrics metrics;
    private final BooleanSupplier draining;
    private final byte[] openApi;

    OperationsController(ModelService models, ServerMetrics metrics, BooleanSupplier draining) {
        this.models = models;
        this.metrics = metrics;
        this.draining = draining;
        try (InputStream in = OperationsController.class.getResourceAsStream(OPENAPI_RESOURCE)) {
            if (in == null) throw new IllegalStateException("missing class-path resource " + OPENAPI_RESOURCE);
            this.openApi = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * 200 when a model is loaded and the server is not shutting down, else 503; both list the loaded latest versions,
     * each with the file it is served from ({@code serving}: path, versioned URL, SHA-256 of the loaded bytes, runtime).
     */
    void health(Context ctx) {
        List<Map<String, Object>> loaded = new ArrayList<>();
        for (ServingVersion s : models.active()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", s.stored().model());
            m.put("version", s.stored().version());
            m.put("backend", s.backend());
            Map<String, Object> serving = new LinkedHashMap<>();
            serving.put("file", s.file().path());
            serving.put("url", ModelsController.fileUrl(s.stored(), s.file().path()));
            serving.put("sha256", s.file().sha256());
            serving.put("runtime", s.file().runtime());
            m.put("serving", serving);
            loaded.add(m);
        }
        Map<String, Object> out;
        HttpStatus status;
        if (draining.getAsBoolean()) {
            status = HttpStatus.SERVICE_UNAVAILABLE;
            out = ErrorMapping.body(status, "the server is shutting down");
        } else if (!models.ready()) {
            status = HttpStatus.SERVICE_UNAVAILABLE;
            out = ErrorMapping.body(status, "no model is loaded; see the server log");
        } else {
            status = HttpStatus.OK;
            out = new LinkedHashMap<>();
        }
        out.put("status", status == HttpStatus.OK ? "ready" : "unavailable");
        out.put("models", loaded);
        Json.respond(ctx, status, out);
    }

    void metrics(Context ctx) {
        ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape());
    }

    void openApi(Context ctx) {
        ctx.contentType(Json.CONTENT_TYPE).result(openApi);
    }
}
