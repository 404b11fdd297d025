package dev.digits.serve.api;

import dev.digits.serve.inference.BatchObserver;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The server's Prometheus metrics:
 * <ul>
 * <li>{@code digits_http_requests_seconds} — every request, by method, route (the route pattern, not the raw
 *     path), status and model, with histogram buckets for latency quantiles. Every label comes from a closed set, so
 *     that no client can grow the exposition: the method is one of {@link #METHODS} or {@value #OTHER}, the route a
 *     registered pattern, {@value #STATIC} or {@value #UNMATCHED}, the status a valid HTTP status code (else
 *     {@value #OTHER}), the model a name of the registry or {@code none};</li>
 * <li>{@code digits_inference_seconds} — every batch a model runs, by model, with histogram buckets;</li>
 * <li>{@code digits_inference_batch_images} — images per batch, by model;</li>
 * <li>JVM memory, threads and CPU.</li>
 * </ul>
 */
public final class ServerMetrics implements BatchObserver {
    /** The methods that are labels of their own; any other is {@value #OTHER}. */
    static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH");
    /** The label of a method outside {@link #METHODS} or of a status outside 100–599. */
    static final String OTHER = "other";
    /** The route label of a request no route matched. */
    static final String UNMATCHED = "unmatched";
    /** The route label of a static web asset. */
    static final String STATIC = "static";

    private static final Duration[] BUCKETS = {
        Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(10),
        Duration.ofMillis(20), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(200),
        Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5)};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // Looking a meter up in the registry builds and sorts its tags each time: keep the ones in use at hand.
    private final Map<String, Timer> requestTimers = new ConcurrentHashMap<>();
    private final Map<String, Timer> inferenceTimers = new ConcurrentHashMap<>();
    private final Map<String, DistributionSummary> batchSizes = new ConcurrentHashMap<>();

    public ServerMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
    }

    /**
     * Records one HTTP request.
     *
     * @param method the request's method, as the client sent it (mapped here to {@link #METHODS} or {@value #OTHER})
     * @param route  a registered route pattern, {@value #STATIC} or {@value #UNMATCHED} — never a raw path
     * @param model  a model of the registry, or {@code none}
     */
    void request(String method, String route, int status, String model, long nanos) {
        String methodLabel = methodLabel(method);
        String statusLabel = statusLabel(status);
        String key = methodLabel + ' ' + route + ' ' + statusLabel + ' ' + model;
        requestTimers.computeIfAbsent(key, k -> Timer.builder("digits.http.requests")
                .description("HTTP requests by route, status and model")
                .tags("method", methodLabel, "route", route, "status", statusLabel, "model", model)
                .serviceLevelObjectives(BUCKETS)
                .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
    }

    /** {@code method} when it is one of {@link #METHODS}, else {@value #OTHER}. */
    static String methodLabel(String method) {
        return METHODS.contains(method) ? method : OTHER;
    }

    /** The status code when it is a valid one (100–599), else {@value #OTHER}. */
    static String statusLabel(int status) {
        return status >= 100 && status <= 599 ? Integer.toString(status) : OTHER;
    }

    @Override
    public void batch(String model, int images, long nanos) {
        inferenceTimers.computeIfAbsent(model, m -> Timer.builder("digits.inference")
                .description("time a model takes to run one batch")
                .tags("model", m)
                .serviceLevelObjectives(BUCKETS)
                .register(registry)).record(nanos, TimeUnit.NANOSECONDS);
        batchSizes.computeIfAbsent(model, m -> DistributionSummary.builder("digits.inference.batch")
                .description("images per model run")
                .baseUnit("images")
                .tags("model", m)
                .register(registry)).record(images);
    }

    /** The Prometheus text exposition. */
    String scrape() {
        return registry.scrape();
    }
}
