package dev.digits.serve.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.digits.serve.ServerConfig;
import dev.digits.serve.image.ImageDigitReader;
import dev.digits.serve.inference.ModelService;
import io.javalin.compression.CompressionStrategy;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;
import io.javalin.http.Handler;
import io.javalin.http.HandlerType;
import io.javalin.router.Endpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The HTTP API: every route, the error mapping, the access log and request metrics, installed into a Javalin
 * configuration. Handlers are method references to small controllers, each built from what it needs.
 *
 * <p>Static assets: when the class path holds a directory {@value #WEB_RESOURCES} (with an {@code index.html}), its
 * files are served at {@code /} by {@link WebAssets} — the web app is packaged that way, so {@code /web/index.html} in
 * the jar is {@code http://host:port/}. API routes take precedence where a path exists in both.
 */
public final class Api {
    /** Class-path directory whose files are served at {@code /}. */
    public static final String WEB_RESOURCES = "/web";

    private static final Logger ACCESS = LoggerFactory.getLogger("dev.digits.serve.access");

    private final ServerConfig config;
    private final ModelService models;
    private final ServerMetrics metrics;
    private final ImageDigitReader reader;
    private final BooleanSupplier draining;
    private final List<String> routes = new ArrayList<>();

    /**
     * @param draining tells whether the server is shutting down ({@code /health} then answers 503)
     */
    public Api(ServerConfig config, ModelService models, ServerMetrics metrics, ImageDigitReader reader,
               BooleanSupplier draining) {
        this.config = config;
        this.models = models;
        this.metrics = metrics;
        this.reader = reader;
        this.draining = draining;
    }

    /** Every route as {@code "METHOD /path"}, with path parameters written {@code {name}}. */
    public List<String> routes() {
        return Collections.unmodifiableList(routes);
    }

    /** Whether the class path carries the web app. */
    public static boolean hasWebApp() {
        return Api.class.getResource(WEB_RESOURCES + "/index.html") != null;
    }

    /**
     * Builds what the first requests would otherwise build while a client waits: the JSON writer's serializers for
     * the types answers are made of. Start-up calls it on a core that would otherwise wait.
     */
    public static void prepareJson() {
        try {
            Json.MAPPER.writeValueAsBytes(Map.of("status", "ok", "count", 1, "ratio", 0.5, "flag", true,
                    "list", List.of(Map.of("p", new float[] {0.5f}, "v", new double[] {0.5}, "i", new int[] {1}))));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("the JSON writer cannot write a map", e);
        }
    }

    public void install(JavalinConfig cfg) {
        cfg.startup.showJavalinBanner = false;
        cfg.startup.showOldJavalinVersionWarning = false;
        cfg.http.maxRequestSize = Math.max(config.maxBodyBytes(), config.maxUploadBytes());
        cfg.http.prefer405over404 = true;
        // Only the web app's files are compressed, once and kept, by WebAssets (which also sets their caching and
        // Vary). API answers are not: they are small JSON documents or model files that compress little, written with
        // their exact Content-Length.
        cfg.http.compressionStrategy = CompressionStrategy.NONE;
        if (hasWebApp()) cfg.resourceHandler(new WebAssets(WEB_RESOURCES));
        cfg.requestLogger.http(this::log);
        ErrorMapping.register(cfg.routes);

        Predictor predictor = new Predictor(models, reader);
        PredictController predict = new PredictController(predictor, config.maxBodyBytes(), config.maxBatchImages());
        MnistController mnist = new MnistController(predictor, config.maxBodyBytes());
        ModelsController catalogue = new ModelsController(models);
        AdminController admin = new AdminController(models, config.adminToken(), config.maxUploadBytes());
        OperationsController ops = new OperationsController(models, metrics, draining);

        route(cfg, HandlerType.GET, "/health", ops::health);
        route(cfg, HandlerType.GET, "/metrics", ops::metrics);
        route(cfg, HandlerType.GET, "/openapi.json", ops::openApi);

        route(cfg, HandlerType.POST, "/api/v1/predict", predict::predict);
        route(cfg, HandlerType.POST, "/api/v1/predict/batch", predict::predictBatch);
        route(cfg, HandlerType.GET, "/mnist", mnist::form);
        route(cfg, HandlerType.POST, "/mnist", mnist::predict);

        String m = ModelsController.API;
        route(cfg, HandlerType.GET, m, catalogue::list);
        route(cfg, HandlerType.GET, m + "/{name}", catalogue::model);
        route(cfg, HandlerType.GET, m + "/{name}/versions/{version}", catalogue::version);
        route(cfg, HandlerType.GET, m + "/{name}/versions/{version}/files/<path>", catalogue::versionFile);
        route(cfg, HandlerType.GET, m + "/{name}/files/<path>", catalogue::latestFile);

        InferenceProtocolController v2 = new InferenceProtocolController(models, draining, config.maxBatchImages(),
                config.maxBodyBytes());
        String v = InferenceProtocolController.PREFIX;
        route(cfg, HandlerType.GET, v, v2::server);
        route(cfg, HandlerType.GET, v + "/health/live", v2::live);
        route(cfg, HandlerType.GET, v + "/health/ready", v2::ready);
        for (String model : new String[] {v + "/models/{name}", v + "/models/{name}/versions/{version}"}) {
            route(cfg, HandlerType.GET, model, v2::modelMetadata);
            route(cfg, HandlerType.GET, model + "/ready", v2::modelReady);
            route(cfg, HandlerType.POST, model + "/infer", v2::infer);
        }

        String a = AdminController.PREFIX + "/models/{name}";
        cfg.routes.before(AdminController.PREFIX + "/*", admin::authorize);
        route(cfg, HandlerType.POST, a + "/versions", admin::upload);
        route(cfg, HandlerType.POST, a + "/versions/{version}/activate", admin::activate);
        route(cfg, HandlerType.POST, a + "/rollback", admin::rollback);
    }

    private void route(JavalinConfig cfg, HandlerType method, String path, Handler handler) {
        cfg.routes.addHttpHandler(method, path, handler);
        // HEAD runs the GET handler itself, so that it answers what GET would (status, ETag, Content-Length, every
        // header); Jetty leaves the body out of a HEAD answer. Without its own route Javalin would answer a HEAD of a
        // GET route 200 with no headers, whatever the handler says (e.g. /health without a model).
        if (HandlerType.GET.equals(method)) cfg.routes.addHttpHandler(HandlerType.HEAD, path, handler);
        routes.add(method.name() + " " + path.replace('<', '{').replace('>', '}'));
    }

    /**
     * The route a request's metrics are recorded under: the pattern of the route that answered it; {@code static} for a
     * web asset (a GET or HEAD no route matched that did not fail: only the static files answer those); otherwise
     * {@code unmatched}. Never the raw path, so that the set of labels stays closed.
     */
    private static String routeLabel(Context ctx, int status) {
        String path = null;
        try {
            Endpoint endpoint = ctx.endpoint();
            if (endpoint != null) path = endpoint.path;
        } catch (RuntimeException e) {
            // no route matched
        }
        if (path != null) return path;
        boolean read = HandlerType.GET.equals(ctx.method()) || HandlerType.HEAD.equals(ctx.method());
        return read && status < 400 ? ServerMetrics.STATIC : ServerMetrics.UNMATCHED;
    }

    private void log(Context ctx, Float ms) {
        int status = ctx.statusCode();
        String route = routeLabel(ctx, status);
        Object model = ctx.attribute(Predictor.MODEL_ATTRIBUTE);
        String modelName = model == null ? "none" : model.toString();
        metrics.request(ctx.method().name(), route, status, modelName, (long) (ms * 1e6));
        if (config.accessLog() && ACCESS.isInfoEnabled()) {
            ACCESS.info("{} \"{} {}\" {} {} ms model={}", ctx.ip(), ctx.method().name(), ctx.path(), status,
                    milliseconds(ms), modelName);
        }
    }

    /**
     * {@code ms} with two decimals, as {@code %.2f} writes it but for the last digit of a value halfway between two:
     * String.format builds a Formatter and locale symbols per call, a measurable part of a small request.
     */
    static String milliseconds(float ms) {
        if (!(ms >= 0 && ms < 1e12f)) return Float.toString(ms);
        long hundredths = Math.round(ms * 100.0);
        long fraction = hundredths % 100;
        return (hundredths / 100) + (fraction < 10 ? ".0" : ".") + fraction;
    }
}
