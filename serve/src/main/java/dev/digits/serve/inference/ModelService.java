package dev.digits.serve.inference;

import dev.digits.core.json.Json;
import dev.digits.core.io.AtomicFiles;
import dev.digits.core.artifact.Digests;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.error.DigitsException;
import dev.digits.core.error.VerificationFailedException;
import dev.digits.serve.registry.InvalidUploadException;
import dev.digits.serve.registry.ModelRegistry;
import dev.digits.serve.registry.StoredModel;
import dev.digits.serve.registry.StoredVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The models a server runs: for each model of the {@link ModelRegistry}, its latest version loaded and held in an
 * {@link AtomicReference}, plus other versions (at most {@code maxLoaded} in all; the least recently used non-latest
 * one is unloaded first).
 *
 * <h2>Loading</h2>
 * A version is served from the verified float32 ONNX file of its export, checked and loaded by {@link VersionLoader}.
 * Loading happens only on this service's background loader thread, never on a thread answering a prediction:
 * <ul>
 * <li>at start-up ({@link #loadAll}) every model's latest version is loaded before the server is ready, then other
 *     versions are loaded in the background, newest first, while there is room under {@code maxLoaded};</li>
 * <li>a request naming a version that is not loaded starts its load and is answered at once with
 *     {@link ModelLoadingException} (503 with {@code Retry-After}); a version that failed to load answers 503;</li>
 * <li>an upload ({@link #addVersion}) and an activation or rollback ({@link #activate}) hand the load to the loader
 *     and wait for it: the administration request answers only once the version is verified and switched to.</li>
 * </ul>
 *
 * <p>Requests take a {@link Lease} on a version and give it back when done. Activating another version swaps the
 * reference in one atomic step; requests already running finish on the version they hold, which is closed only when
 * the last of them returns it. An uploaded version is loaded, verified ({@link VersionLoader}, then
 * {@link VersionVerifier}) before it is added, so no request ever reaches a model that was not known to work.
 */
public final class ModelService implements AutoCloseable {
    /** Seconds a client is asked to wait before asking again for a version that is being loaded. */
    public static final int RETRY_AFTER_SECONDS = 1;
    /** Longest an administration request waits for the load it started. */
    static final Duration ADMIN_WAIT = Duration.ofMinutes(5);

    private static final Logger LOG = LoggerFactory.getLogger(ModelService.class);
    private static final AtomicInteger LOADERS = new AtomicInteger();

    private final ModelRegistry registry;
    private final VersionVerifier verifier;
    private final int maxBatch;
    private final int threads;
    private final int maxLoaded;
    private final String preferredDefault;
    private final BatchObserver observer;
    private final Map<String, AtomicReference<ServingVersion>> latest = new ConcurrentHashMap<>();
    private final Map<String, ServingVersion> loaded = new ConcurrentHashMap<>();
    /** Loads in progress, by version key; a request for one of them does not start another. */
    private final Map<String, CompletableFuture<ServingVersion>> loading = new ConcurrentHashMap<>();
    /** Versions whose last load failed, with the reason (logged); requests for them answer 503 without retrying. */
    private final Map<String, String> failures = new ConcurrentHashMap<>();
    /** Every future a loader task will complete, so that closing can fail the ones it will never run. */
    private final Set<CompletableFuture<?>> pending = ConcurrentHashMap.newKeySet();
    private final dev.digits.serve.registry.RegistryWriter writer;
    private final ExecutorService loader;
    private volatile boolean closed;

    /**
     * @param preferredDefault the model served when a request names none; null for {@code cnn} when there is one,
     *                         else the first model by name
     * @param maxBatch         most images run in one batch
     * @param threads          inference threads per loaded version
     * @param maxLoaded        most versions loaded at once; every model's latest stays loaded even beyond it
     */
    public ModelService(ModelRegistry registry, VersionVerifier verifier, String preferredDefault, int maxBatch,
                        int threads, int maxLoaded, BatchObserver observer) {
        this(registry, registry, verifier, preferredDefault, maxBatch, threads, maxLoaded, observer);
    }

    /**
     * @param writer where uploads and activations are recorded: {@code registry} itself, or a registry shared with
     *               other replicas that keeps {@code registry} (this server's copy) up to date
     */
    public ModelService(ModelRegistry registry, dev.digits.serve.registry.RegistryWriter writer, VersionVerifier verifier,
                        String preferredDefault, int maxBatch, int threads, int maxLoaded, BatchObserver observer) {
        this.registry = registry;
        this.writer = writer;
        this.verifier = verifier;
        this.preferredDefault = preferredDefault;
        this.maxBatch = maxBatch;
        this.threads = threads;
        this.maxLoaded = maxLoaded;
        this.observer = observer;
        int id = LOADERS.incrementAndGet();
        // One loader: loads are short (read, hash, open, run the sample) and must not compete with inference for CPU.
        this.loader = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "model-loader-" + id);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Loads the latest version of every model (on the loader thread, waiting for all of them), then starts loading
     * other versions in the background while there is room. A model that fails to load is logged and left out
     * (requests for it answer 503), so that one broken directory does not keep the others from being served.
     */
    public void loadAll() {
        Map<StoredVersion, CompletableFuture<ServingVersion>> started = new LinkedHashMap<>();
        for (StoredModel m : registry.models()) started.put(m.latestVersion(), load(m.latestVersion(), true));
        for (CompletableFuture<ServingVersion> f : started.values()) {
            try {
                await(f);
            } catch (IOException | RuntimeException e) {
                // Logged by the load itself; the model is left out.
            }
        }
        preload();
    }

    /**
     * Starts the inference runtime on a background thread, so that the first load does not wait for it; a server
     * calls this first thing at start-up. Failures surface at the first load, naming the model.
     */
    public static void startRuntimeInBackground() {
        OnnxSessionModel.startRuntimeInBackground();
    }

    public ModelRegistry registry() {
        return registry;
    }

    /** Whether at least one model is loaded and the service is not closing. */
    public boolean ready() {
        return !closed && !latest.isEmpty();
    }

    /** The latest loaded version of every model, by model name. */
    public List<ServingVersion> active() {
        List<ServingVersion> out = new ArrayList<>();
        for (AtomicReference<ServingVersion> r : latest.values()) {
            ServingVersion s = r.get();
            if (s != null) out.add(s);
        }
        out.sort(Comparator.comparing(s -> s.stored().model()));
        return out;
    }

    /** The file {@code name} version {@code version} is served from, when it is loaded. */
    public Optional<ServedFile> served(String name, int version) {
        ServingVersion s = loaded.get(key(name, version));
        return s == null ? Optional.empty() : Optional.of(s.file());
    }

    /** The model a request naming none gets, or null when nothing is loaded. */
    public String defaultModel() {
        if (preferredDefault != null && latest.containsKey(preferredDefault)) return preferredDefault;
        if (latest.containsKey("cnn")) return "cnn";
        return latest.keySet().stream().sorted().findFirst().orElse(null);
    }

    /**
     * Takes a version for one request. Never loads on the calling thread: a version that is not loaded is handed to
     * the loader and the request is answered with {@link ModelLoadingException}.
     *
     * @param model   the model's name, or null for {@link #defaultModel()}
     * @param version the version number, or null for the latest
     * @throws dev.digits.serve.registry.UnknownModelException when the model or version does not exist
     * @throws ModelLoadingException                            when the version is being loaded (ask again)
     * @throws ModelUnavailableException                        when it exists but could not be loaded
     */
    public Lease acquire(String model, Integer version) {
        String name = model == null ? defaultModel() : model;
        if (name == null) throw new ModelUnavailableException("no model is loaded; see the server log");
        if (version == null) {
            AtomicReference<ServingVersion> ref = latest.get(name);
            if (ref == null) {
                registry.model(name); // an unknown name answers 404, not 503
                throw new ModelUnavailableException("model '" + name + "' could not be loaded; see the server log");
            }
            for (;;) {
                if (closed) throw new ModelUnavailableException("the server is shutting down");
                ServingVersion s = ref.get();
                if (s.retain()) return new Lease(s);
                // Lost a race with a switch: the reference already points to the next version, or is about to.
                Thread.onSpinWait();
            }
        }
        StoredVersion stored = registry.model(name).version(version);
        String k = key(name, version);
        for (;;) {
            if (closed) throw new ModelUnavailableException("the server is shutting down");
            ServingVersion s = loaded.get(k);
            if (s != null) {
                if (s.retain()) return new Lease(s);
                // Unloaded between the look-up and the retain: look again.
                Thread.onSpinWait();
                continue;
            }
            if (failures.containsKey(k)) {
                throw new ModelUnavailableException("model '" + name + "' version " + version
                        + " could not be loaded; see the server log");
            }
            load(stored, false);
            throw new ModelLoadingException("model '" + name + "' version " + version + " is being loaded; ask again in "
                    + RETRY_AFTER_SECONDS + " s", RETRY_AFTER_SECONDS);
        }
    }

    /**
     * Adds the model directory in {@code staging} as the next version of {@code name}: checks it (the weights'
     * SHA-256 against {@code expectedSha256} when given, then everything {@link VersionLoader} checks), loads and
     * verifies it on the loader thread, moves it into the registry and, when {@code activate} is set or the model is
     * new, makes it the latest. On any failure the staging directory is deleted and nothing changes; the error's
     * message names the reason, never a path on the server.
     *
     * @throws InvalidUploadException              when the directory is not a usable model
     * @throws dev.digits.core.error.DigitsException of kind VERIFICATION_FAILED when a check fails
     */
    public StoredVersion addVersion(String name, Path staging, boolean activate, String expectedSha256)
            throws IOException {
        VersionLoader.Loaded candidate = null;
        try {
            if (expectedSha256 != null) {
                String sha = Digests.sha256(staging.resolve(ModelArtifact.WEIGHTS_FILE));
                if (!expectedSha256.equalsIgnoreCase(sha)) {
                    throw new VerificationFailedException("weights.safetensors has SHA-256 " + sha + ", not the expected "
                            + expectedSha256.toLowerCase(Locale.ROOT));
                }
            }
            try {
                candidate = await(submit(() -> VersionLoader.load(staging, "DIR", "DIR")));
            } catch (DigitsException e) {
                throw new DigitsException(e.kind(), withoutPaths(e.getMessage(), staging), e);
            } catch (IOException e) {
                throw new InvalidUploadException("the upload cannot be read: " + withoutPaths(e.getMessage(), staging));
            }
            double accuracy = verifier.verify(candidate.model, candidate.artifact.labels(),
                    candidate.artifact.card().metrics());
            // The server's own figures go with the version, so that the catalogue can show what was measured here
            // beside what the card claims.
            Map<String, Object> record = new LinkedHashMap<>();
            record.put("images", verifier.knownDigits());
            record.put("accuracy", accuracy);
            record.put("digits", verifier.knownDigitsSource());
            record.put("verifiedAt", java.time.Instant.now().toString());
            AtomicFiles.writeString(staging.resolve(StoredVersion.VERIFICATION_FILE), Json.writePretty(record));
            ServingVersion s;
            synchronized (this) {
                if (closed) throw new ModelUnavailableException("the server is shutting down");
                StoredVersion stored = writer.commit(name, staging);
                s = new ServingVersion(stored, new MicroBatcher(candidate.model, name, maxBatch, threads, observer),
                        candidate.file);
                candidate = null;
                loaded.put(key(name, stored.version()), s);
                if (activate || !latest.containsKey(name)) {
                    // A new model's first version is its latest already.
                    if (registry.model(name).latest() != stored.version()) writer.activate(name, stored.version());
                    latest.computeIfAbsent(name, k -> new AtomicReference<>()).set(s);
                }
                evictBeyondLimit(s);
            }
            LOG.info("added {} version {} from {} (sha256 {}; verified: {}% of known digits right){}", name,
                    s.stored().version(), s.file().path(), s.file().sha256(), Math.round(accuracy * 100),
                    activate ? ", now the latest" : "");
            return s.stored();
        } finally {
            if (candidate != null) candidate.model.close();
            registry.discard(staging);
        }
    }

    /**
     * Makes {@code version} the latest of {@code name}, having the loader load it first when needed (and waiting for
     * it); requests arriving after this returns use it.
     *
     * @throws dev.digits.core.error.DigitsException when the version cannot be loaded (the latest does not change)
     */
    public StoredModel activate(String name, int version) throws IOException {
        return switchTo(name, version, writer);
    }

    /**
     * Serves {@code version} of {@code name} as its latest because another replica made it so in the shared
     * registry: loaded first (the current latest keeps serving meanwhile), then switched, recorded only in this
     * server's copy of the registry.
     */
    public StoredModel follow(String name, int version) throws IOException {
        return switchTo(name, version, registry);
    }

    private StoredModel switchTo(String name, int version, dev.digits.serve.registry.RegistryWriter recordIn) throws IOException {
        StoredVersion stored = registry.model(name).version(version);
        String k = key(name, version);
        for (;;) {
            ServingVersion s = loaded.get(k);
            if (s == null) s = await(load(stored, false));
            synchronized (this) {
                if (closed) throw new ModelUnavailableException("the server is shutting down");
                // Unloaded again between the load and this switch (another load needed the room): load it again.
                if (loaded.get(k) != s) continue;
                StoredModel m = recordIn.activate(name, version);
                latest.computeIfAbsent(name, x -> new AtomicReference<>()).set(s);
                evictBeyondLimit(null);
                LOG.info("{} version {} is now the latest", name, version);
                return m;
            }
        }
    }

    /**
     * Goes back to an earlier version: {@code version} when given, else the highest one below the current latest.
     *
     * @throws NoEarlierVersionException when there is no earlier version
     */
    public StoredModel rollback(String name, Integer version) throws IOException {
        StoredModel m = registry.model(name);
        if (version != null) return activate(name, version);
        StoredVersion previous = m.before(m.latest());
        if (previous == null) {
            throw new NoEarlierVersionException("model '" + name + "' has no version before " + m.latest() + " to roll back to");
        }
        return activate(name, previous.version());
    }

    /** Unloads every model once the requests using them are done, and stops the loader. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
            latest.clear();
            for (ServingVersion s : loaded.values()) s.release();
            loaded.clear();
        }
        loader.shutdownNow();
        for (CompletableFuture<?> f : pending) f.completeExceptionally(new ModelUnavailableException("the server is shutting down"));
    }

    private static String key(String name, int version) {
        return name + "@" + version;
    }

    /**
     * The load of {@code stored} on the loader thread: the one in progress when there is one, else a new one. When
     * {@code asLatest} is set, the loaded version becomes its model's latest in the same step that adds it.
     */
    private CompletableFuture<ServingVersion> load(StoredVersion stored, boolean asLatest) {
        String k = key(stored.model(), stored.version());
        synchronized (loading) {
            CompletableFuture<ServingVersion> running = loading.get(k);
            if (running != null) return running;
            CompletableFuture<ServingVersion> f = submit(() -> loadNow(stored, asLatest));
            loading.put(k, f);
            // Registered after the put: a load that already finished removes itself at once.
            f.whenComplete((s, e) -> {
                synchronized (loading) {
                    loading.remove(k, f);
                }
            });
            return f;
        }
    }

    /** Loads other versions than the latest, newest first, as long as they fit under {@code maxLoaded}. */
    private void preload() {
        List<StoredVersion> others = new ArrayList<>();
        for (StoredModel m : registry.models()) {
            for (StoredVersion v : m.versions()) if (v.version() != m.latest()) others.add(v);
        }
        others.sort(Comparator.comparingInt(StoredVersion::version).reversed());
        int room = maxLoaded - loaded.size();
        for (StoredVersion v : others) {
            if (room-- <= 0) return;
            String k = key(v.model(), v.version());
            submit(() -> {
                // Only into free room: a preload never unloads what is in use.
                if (!closed && loaded.size() < maxLoaded && !loaded.containsKey(k) && !loading.containsKey(k)) {
                    try {
                        loadNow(v, false);
                    } catch (IOException | RuntimeException e) {
                        // Logged and recorded by loadNow.
                    }
                }
                return null;
            });
        }
    }

    /** Runs on the loader thread: checks and loads {@code stored}, then adds it to the loaded versions. */
    private ServingVersion loadNow(StoredVersion stored, boolean asLatest) throws IOException {
        String k = key(stored.model(), stored.version());
        ServingVersion present = loaded.get(k);
        if (present != null) return present;
        if (closed) throw new ModelUnavailableException("the server is shutting down");
        VersionLoader.Loaded l;
        try {
            l = VersionLoader.load(stored.directory(), stored.directory().toString(), registry.root().toString(),
                    stored::sha256Of);
        } catch (IOException | RuntimeException e) {
            failures.put(k, String.valueOf(e.getMessage()));
            LOG.error("cannot load {} version {} from {}: {}", stored.model(), stored.version(), stored.directory(),
                    e.getMessage());
            throw e;
        }
        ServingVersion s = new ServingVersion(stored, new MicroBatcher(l.model, stored.model(), maxBatch, threads, observer),
                l.file);
        synchronized (this) {
            if (closed) {
                s.release();
                throw new ModelUnavailableException("the server is shutting down");
            }
            present = loaded.get(k);
            if (present != null) {
                s.release();
                return present;
            }
            loaded.put(k, s);
            failures.remove(k);
            if (asLatest) latest.computeIfAbsent(stored.model(), x -> new AtomicReference<>()).set(s);
            evictBeyondLimit(s);
        }
        LOG.info("loaded {} version {}: {} (sha256 {}) in {}{}", stored.model(), stored.version(), l.file.path(),
                l.file.sha256(), l.file.runtime(), asLatest ? ", the latest" : "");
        return s;
    }

    /** A task on the loader thread, as a future that closing the service fails when the task will never run. */
    private <T> CompletableFuture<T> submit(LoaderTask<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        pending.add(f);
        f.whenComplete((v, e) -> pending.remove(f));
        try {
            loader.execute(() -> {
                try {
                    f.complete(task.run());
                } catch (Throwable t) {
                    f.completeExceptionally(t);
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(new ModelUnavailableException("the server is shutting down"));
        }
        return f;
    }

    @FunctionalInterface
    private interface LoaderTask<T> {
        T run() throws IOException;
    }

    /** Waits (at most {@link #ADMIN_WAIT}) for a load, rethrowing its failure as it was thrown. */
    private static <T> T await(CompletableFuture<T> f) throws IOException {
        try {
            return f.get(ADMIN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ModelUnavailableException("interrupted while waiting for a model to load");
        } catch (TimeoutException e) {
            throw new ModelUnavailableException("loading the model took longer than " + ADMIN_WAIT.toMinutes()
                    + " minutes; see the server log");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException) throw (IOException) c;
            if (c instanceof UncheckedIOException) throw ((UncheckedIOException) c).getCause();
            if (c instanceof RuntimeException) throw (RuntimeException) c;
            if (c instanceof Error) throw (Error) c;
            throw new IllegalStateException(c);
        }
    }

    /** {@code message} without the staging directory's location (the client sent the files, not the path). */
    private String withoutPaths(String message, Path staging) {
        if (message == null) return "the upload is not a usable model directory";
        String dir = staging.toAbsolutePath().toString();
        String out = message.replace(dir + staging.getFileSystem().getSeparator(), "").replace(dir, "the upload");
        return out.replace(registry.root().toString(), "the models directory");
    }

    /**
     * Unloads the least recently used versions that are nobody's latest until at most {@code maxLoaded} remain.
     * {@code keep}, just loaded for a caller that has yet to use it, is never chosen: unloading it would make that
     * caller load it again, forever when the limit is 1.
     */
    private void evictBeyondLimit(ServingVersion keep) {
        while (loaded.size() > maxLoaded) {
            ServingVersion victim = null;
            String victimKey = null;
            for (Map.Entry<String, ServingVersion> e : loaded.entrySet()) {
                ServingVersion s = e.getValue();
                AtomicReference<ServingVersion> ref = latest.get(s.stored().model());
                if (s == keep || (ref != null && ref.get() == s)) continue;
                if (victim == null || s.lastUsedNanos() < victim.lastUsedNanos()) {
                    victim = s;
                    victimKey = e.getKey();
                }
            }
            if (victim == null) return;
            loaded.remove(Objects.requireNonNull(victimKey));
            victim.release();
            LOG.info("unloaded {} (least recently used)", victim);
        }
    }
}
