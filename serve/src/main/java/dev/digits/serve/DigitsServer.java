package dev.digits.serve;

import dev.digits.core.preprocess.DigitPreprocessor;
import dev.digits.serve.api.Api;
import dev.digits.serve.api.JsonErrorHandler;
import dev.digits.serve.api.ServerMetrics;
import dev.digits.serve.image.ImageDigitReader;
import dev.digits.serve.inference.ModelService;
import dev.digits.serve.inference.VersionVerifier;
import dev.digits.serve.registry.EmbeddedModel;
import dev.digits.serve.registry.ModelRegistry;
import dev.digits.serve.registry.RegistryWriter;
import dev.digits.serve.registry.SharedRegistry;
import io.javalin.Javalin;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.server.handler.MinimumDataRateHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.BindException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.stream.Stream;

/**
 * The Digits inference server: prediction API, model registry and downloads for on-device use, the web app, health
 * and metrics, in one process.
 *
 * <pre>{@code
 * try (DigitsServer server = DigitsServer.start(ServerConfig.builder().port(0).build())) {
 *     System.out.println("listening on " + server.uri());
 * }
 * }</pre>
 *
 * <h2>Routes</h2>
 * All described by the OpenAPI 3 document at {@code GET /openapi.json}:
 * <ul>
 * <li>{@code POST /api/v1/predict}, {@code POST /api/v1/predict/batch} — classify images;</li>
 * <li>{@code GET /api/v1/models}, {@code …/models/{name}}, {@code …/versions/{version}} — the catalogue;</li>
 * <li>{@code GET /api/v1/models/{name}/versions/{version}/files/{path}} (immutable) and
 *     {@code GET /api/v1/models/{name}/files/{path}} (latest, revalidated) — downloads;</li>
 * <li>{@code GET|POST /mnist} — the mnist-ml-to-mobile Flask route, for its clients;</li>
 * <li>{@code POST /api/v1/admin/…} — upload, activate, roll back (only with an admin token);</li>
 * <li>{@code GET /health}, {@code GET /metrics} (Prometheus), {@code GET /openapi.json};</li>
 * <li>{@code GET /…} — static files from the class-path directory {@code /web} (the web app), when present.</li>
 * </ul>
 * Every {@code GET} route also answers {@code HEAD}: the same handler runs, so the status and headers (ETag,
 * Content-Length, …) are GET's, without the body. A method a path does not answer is 405 with {@code Allow}.
 *
 * <h2>Models</h2>
 * The models come from {@link ServerConfig#models()}, laid out as {@link ModelRegistry} describes. When that
 * directory holds no model — or none is configured, in which case a temporary directory is used — the model
 * embedded in the jar ({@link EmbeddedModel}) is added to it as {@code cnn} version 1, so a fresh machine serves
 * without data, training or network.
 *
 * <p>Each version is served from the float32 ONNX file its export manifest ({@code export/manifest.json}, written by
 * {@code digits export}) lists, run by ONNX Runtime after it has been checked against the weights, the model card and
 * the manifest's verification sample; a version without a verified export is not served (its files still download).
 * Versions are loaded on a background loader, never on a request's thread: every model's latest before
 * {@link #start} returns (the port opens meanwhile, with {@code /health} answering 503 until they are in), others while there is room under {@link ServerConfig#maxLoadedVersions()}, and any other one when a
 * request asks for it (that request answers 503 with {@code Retry-After}).
 *
 * <h2>Shutdown</h2>
 * The server's threads keep the JVM running until {@link #close()}, which stops accepting connections, lets requests
 * in flight finish (up to {@link ServerConfig#drainTimeout()}), then unloads the models; {@code /health} answers 503
 * from the moment shutdown begins. A command-line program calls it from a shutdown hook so that Ctrl-C and SIGTERM
 * drain too: {@code Runtime.getRuntime().addShutdownHook(new Thread(server::close))}.
 */
public final class DigitsServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DigitsServer.class);

    private final Javalin app;
    private final ModelService models;
    private final Api api;
    private final Path temporaryRoot;
    private volatile boolean closing;

    /** The registry shared with other replicas, or null. */
    private SharedRegistry shared;

    private DigitsServer(ServerConfig config, ModelService models, ServerMetrics metrics, Path temporaryRoot) {
        this.temporaryRoot = temporaryRoot;
        this.models = models;
        ImageDigitReader reader = new ImageDigitReader(DigitPreprocessor.defaults(), config.maxImageSide(),
                config.maxConcurrentPixels());
        LOG.info("JPEGs decoded by {}", reader.jpegDecoder());
        this.api = new Api(config, models, metrics, reader, () -> closing);
        this.app = Javalin.create(cfg -> {
            api.install(cfg);
            cfg.jetty.modifyHttpConfiguration(http -> http.setIdleTimeout(config.idleTimeout().toMillis()));
            cfg.jetty.modifyServer(server -> {
                // With a GracefulHandler, stopping first waits (up to the stop timeout) for requests in flight.
                server.setStopTimeout(config.drainTimeout().toMillis());
                GracefulHandler graceful = new GracefulHandler();
                // Javalin puts its own handler inside the innermost wrapper: every request's body is read through
                // the data-rate check, which fails a body arriving too slowly with a 408.
                if (config.minRequestDataRate() > 0) {
                    graceful.setHandler(new MinimumDataRateHandler(config.minRequestDataRate(), 0));
                }
                server.setHandler(graceful);
                server.setErrorHandler(new JsonErrorHandler());
            });
        });
    }

    /**
     * Opens the models, loads them and starts listening.
     *
     * @throws ServerStartException                                 when the port cannot be bound
     * @throws dev.digits.serve.registry.ModelRegistryException when the models directory is unusable
     */
    public static DigitsServer start(ServerConfig config) throws IOException {
        ModelService.startRuntimeInBackground();
        Path temporaryRoot = null;
        Path root = config.models();
        if (root == null || config.registry() != null) {
            // With a shared registry this is the server's own copy of it, filled from the database; the models
            // directory, when given, only seeds a registry that holds no model yet.
            temporaryRoot = Files.createTempDirectory(config.registry() != null ? "digits-registry-" : "digits-models-");
            root = temporaryRoot;
        }
        ModelRegistry registry = ModelRegistry.open(root);
        SharedRegistry shared = null;
        if (config.registry() != null) {
            try {
                shared = SharedRegistry.open(config.registry(), registry);
                if (shared.isEmpty() && config.models() != null) shared.seed(ModelRegistry.open(config.models()));
            } catch (IOException | RuntimeException e) {
                if (shared != null) shared.close();
                deleteTemporaryRoot(temporaryRoot);
                throw e;
            }
        }
        RegistryWriter writer = shared != null ? shared : registry;
        SharedRegistry follower = shared;
        ServerMetrics metrics = new ServerMetrics();
        ModelService models = new ModelService(registry, writer, new VersionVerifier(config.minVerificationAccuracy(),
                config.verificationData()),
                config.defaultModel(), config.inferenceBatch(), config.inferenceThreads(), config.maxLoadedVersions(),
                metrics);
        // The models are added and loaded while the HTTP side is built and started: both are mostly class loading
        // and hashing, and there are cores for both. Until the latest versions are in, /health answers 503 and
        // predictions 503.
        CompletableFuture<Void> loaded = new CompletableFuture<>();
        Thread loading = new Thread(() -> {
            try {
                if (registry.isEmpty()) addEmbeddedModel(registry, writer);
                models.loadAll();
                if (follower != null) follower.follow(models::follow);
                Api.prepareJson();
                loaded.complete(null);
            } catch (Throwable e) {
                loaded.completeExceptionally(e);
            }
        }, "digits-start");
        loading.setDaemon(true);
        loading.start();
        DigitsServer server;
        try {
            server = new DigitsServer(config, models, metrics, temporaryRoot);
            server.shared = shared;
            server.app.start(config.host(), config.port());
        } catch (RuntimeException e) {
            if (shared != null) shared.close();
            models.close();
            deleteTemporaryRoot(temporaryRoot);
            if (hasCause(e, BindException.class)) {
                throw new ServerStartException("cannot listen on " + config.host() + ":" + config.port() + ": the port is "
                        + "in use or not allowed; choose another with --port", e);
            }
            throw e;
        }
        try {
            loaded.join();
        } catch (CompletionException e) {
            // loadAll logs and leaves out models that fail; anything else is a fault of the server itself.
            server.close();
            if (e.getCause() instanceof RuntimeException) throw (RuntimeException) e.getCause();
            if (e.getCause() instanceof Error) throw (Error) e.getCause();
            throw e;
        }
        LOG.info("Digits server listening on {}, ready {} ms after the JVM started", server.uri(),
                System.currentTimeMillis() - ManagementFactory.getRuntimeMXBean().getStartTime());
        return server;
    }

    /** The port the server listens on (the real one when {@link ServerConfig#port()} was 0). */
    public int port() {
        return app.port();
    }

    /** {@code http://localhost:<port>/}. */
    public URI uri() {
        return URI.create("http://localhost:" + port() + "/");
    }

    /** Every route as {@code "METHOD /path"} (static files excluded). */
    public List<String> routes() {
        return new ArrayList<>(api.routes());
    }

    /** The loaded models (for embedding the server in another program). */
    public ModelService models() {
        return models;
    }

    /** Drains requests in flight, stops the server and unloads the models. Idempotent. */
    @Override
    public synchronized void close() {
        if (closing) return;
        closing = true;
        LOG.info("stopping: finishing requests in flight");
        app.stop();
        closeModels();
        LOG.info("stopped");
    }

    private void closeModels() {
        if (shared != null) shared.close();
        models.close();
        deleteTemporaryRoot(temporaryRoot);
    }

    private static void deleteTemporaryRoot(Path temporaryRoot) {
        if (temporaryRoot == null) return;
        try (Stream<Path> walk = Files.walk(temporaryRoot)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) Files.deleteIfExists(p);
        } catch (IOException e) {
            LOG.warn("cannot delete the temporary models directory {}: {}", temporaryRoot, e.getMessage());
        }
    }

    private static void addEmbeddedModel(ModelRegistry registry, RegistryWriter writer) throws IOException {
        if (!EmbeddedModel.available()) {
            LOG.warn("{} holds no model and this build embeds none: /health answers 503 until a version is uploaded",
                    registry.root());
            return;
        }
        Path staging = registry.newStagingDirectory(EmbeddedModel.NAME);
        try {
            EmbeddedModel.copyTo(staging);
            writer.commit(EmbeddedModel.NAME, staging);
        } finally {
            registry.discard(staging);
        }
        LOG.info("{} held no model: added the embedded model as '{}' version 1", registry.root(), EmbeddedModel.NAME);
    }

    private static boolean hasCause(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) if (type.isInstance(c)) return true;
        return false;
    }
}
