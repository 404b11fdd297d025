package dev.digits.serve.inference;

import dev.digits.core.model.ModelSpec;
import dev.digits.serve.registry.InvalidUploadException;
import dev.digits.serve.registry.ModelRegistry;
import dev.digits.serve.registry.StoredModel;
import dev.digits.serve.registry.StoredVersion;
import dev.digits.train.ModelDirectory;
import dev.digits.train.ModelDirectoryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The models a server runs: for each model of the {@link ModelRegistry}, its latest version loaded and held in an
 * {@link AtomicReference}, plus other versions loaded on demand (at most {@code maxLoaded} in all; the least
 * recently used non-latest one is unloaded first).
 *
 * <p>Requests take a {@link Lease} on a version and give it back when done. Activating another version swaps the
 * reference in one atomic step; requests already running finish on the version they hold, which is closed only when
 * the last of them returns it. A new version is loaded and verified ({@link VersionVerifier}) before it is added, so
 * no request ever reaches a model that was not known to work.
 */
public final class ModelService implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ModelService.class);

    private final ModelRegistry registry;
    private final VersionVerifier verifier;
    private final int maxBatch;
    private final int threads;
    private final int maxLoaded;
    private final String preferredDefault;
    private final BatchObserver observer;
    private final Map<String, AtomicReference<ServingVersion>> latest = new ConcurrentHashMap<>();
    private final Map<String, ServingVersion> loaded = new ConcurrentHashMap<>();
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
        this.registry = registry;
        this.verifier = verifier;
        this.preferredDefault = preferredDefault;
        this.maxBatch = maxBatch;
        this.threads = threads;
        this.maxLoaded = maxLoaded;
        this.observer = observer;
    }

    /**
     * Loads the latest version of every model. A model that fails to load is logged and left out (requests for it
     * answer 503), so that one broken directory does not keep the others from being served.
     */
    public synchronized void loadAll() {
        for (StoredModel m : registry.models()) {
            StoredVersion v = m.latestVersion();
            try {
                ServingVersion s = loadedVersion(v);
                latest.computeIfAbsent(m.name(), k -> new AtomicReference<>()).set(s);
                LOG.info("serving {} version {} ({}, {})", m.name(), v.version(), s.backend(), v.directory());
            } catch (IOException | RuntimeException e) {
                LOG.error("cannot load {} version {} from {}: {}", m.name(), v.version(), v.directory(), e.getMessage());
            }
        }
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
        for (AtomicReference<ServingVersion> r : latest.values()) out.add(r.get());
        out.sort(Comparator.comparing(s -> s.stored().model()));
        return out;
    }

    /** The model a request naming none gets, or null when nothing is loaded. */
    public String defaultModel() {
        if (preferredDefault != null && latest.containsKey(preferredDefault)) return preferredDefault;
        if (latest.containsKey("cnn")) return "cnn";
        return latest.keySet().stream().sorted().findFirst().orElse(null);
    }

    /**
     * Takes a version for one request.
     *
     * @param model   the model's name, or null for {@link #defaultModel()}
     * @param version the version number, or null for the latest
     * @throws dev.digits.serve.registry.UnknownModelException when the model or version does not exist
     * @throws ModelUnavailableException                        when it exists but is not loaded
     */
    public Lease acquire(String model, Integer version) throws IOException {
        String name = model == null ? defaultModel() : model;
        if (name == null) throw new ModelUnavailableException("no model is loaded; see the server log");
        if (version == null) {
            AtomicReference<ServingVersion> ref = latest.get(name);
            if (ref == null) {
                registry.model(name); // an unknown name answers 404, not 503
                throw new ModelUnavailableException("model '" + name + "' could not be loaded; see the server log");
            }
            for (;;) {
                ServingVersion s = ref.get();
                if (s.retain()) return new Lease(s);
                // Lost a race with a switch: the reference already points to the next version, or is about to.
                Thread.onSpinWait();
            }
        }
        StoredVersion stored = registry.model(name).version(version);
        for (;;) {
            ServingVersion s = loaded.get(key(name, version));
            if (s == null) s = loadedVersion(stored);
            if (s.retain()) return new Lease(s);
        }
    }

    /**
     * Adds the model directory in {@code staging} as the next version of {@code name}: checks its integrity (the
     * weights' SHA-256 against the model card and against {@code expectedSha256} when given), loads it, verifies it,
     * moves it into the registry and, when {@code activate} is set or the model is new, makes it the latest. On any
     * failure the staging directory is deleted and nothing changes.
     *
     * @throws InvalidUploadException when the directory is not a usable model
     * @throws VerificationException  when the model fails verification
     */
    public StoredVersion addVersion(String name, Path staging, boolean activate, String expectedSha256)
            throws IOException {
        Backends.Loaded candidate = null;
        try {
            ModelDirectory md;
            try {
                md = ModelDirectory.open(staging);
            } catch (ModelDirectoryException e) {
                throw new InvalidUploadException(e.getMessage());
            }
            checkInput(md.spec());
            String sha = StoredVersion.sha256(md.weightsFile());
            Object recorded = md.card().get("weightsSha256");
            if (recorded instanceof String && !((String) recorded).equalsIgnoreCase(sha)) {
                throw new VerificationException("weights.safetensors has SHA-256 " + sha + " but model-card.json records "
                        + recorded + ": the upload is corrupt or its files do not belong together");
            }
            if (expectedSha256 != null && !expectedSha256.equalsIgnoreCase(sha)) {
                throw new VerificationException("weights.safetensors has SHA-256 " + sha + ", not the expected "
                        + expectedSha256.toLowerCase(Locale.ROOT));
            }
            candidate = Backends.load(staging);
            double accuracy = verifier.verify(candidate.model, md.labels());
            ServingVersion s;
            synchronized (this) {
                StoredVersion stored = registry.commit(name, staging);
                s = new ServingVersion(stored, new MicroBatcher(candidate.model, name, maxBatch, threads, observer), candidate.backend);
                candidate = null;
                loaded.put(key(name, stored.version()), s);
                if (activate || !latest.containsKey(name)) {
                    registry.activate(name, stored.version());
                    latest.computeIfAbsent(name, k -> new AtomicReference<>()).set(s);
                }
                evictBeyondLimit();
            }
            LOG.info("added {} version {} (verified: {}% of known digits right){}", name, s.stored().version(),
                    Math.round(accuracy * 100), activate ? ", now the latest" : "");
            return s.stored();
        } finally {
            if (candidate != null) candidate.model.close();
            registry.discard(staging);
        }
    }

    /**
     * Makes {@code version} the latest of {@code name}, loading it first when needed; requests arriving after this
     * returns use it.
     */
    public synchronized StoredModel activate(String name, int version) throws IOException {
        StoredVersion stored = registry.model(name).version(version);
        ServingVersion s = loaded.get(key(name, version));
        if (s == null) s = loadedVersion(stored);
        StoredModel m = registry.activate(name, version);
        latest.computeIfAbsent(name, k -> new AtomicReference<>()).set(s);
        evictBeyondLimit();
        LOG.info("{} version {} is now the latest", name, version);
        return m;
    }

    /**
     * Goes back to an earlier version: {@code version} when given, else the highest one below the current latest.
     *
     * @throws InvalidUploadException when there is no earlier version
     */
    public synchronized StoredModel rollback(String name, Integer version) throws IOException {
        StoredModel m = registry.model(name);
        if (version != null) return activate(name, version);
        StoredVersion previous = m.before(m.latest());
        if (previous == null) {
            throw new NoEarlierVersionException("model '" + name + "' has no version before " + m.latest() + " to roll back to");
        }
        return activate(name, previous.version());
    }

    /** Unloads every model once the requests using them are done. */
    @Override
    public synchronized void close() {
        closed = true;
        latest.clear();
        for (ServingVersion s : loaded.values()) s.release();
        loaded.clear();
    }

    private static String key(String name, int version) {
        return name + "@" + version;
    }

    private static void checkInput(ModelSpec spec) {
        if (spec.inputShape().size() != 28 * 28) {
            throw new InvalidUploadException("the model takes " + spec.inputShape() + " inputs; the server classifies "
                    + "28×28 images (784 values)");
        }
    }

    /** The loaded version, loading it (unverified: it was verified when added, or placed by the operator). */
    private synchronized ServingVersion loadedVersion(StoredVersion stored) throws IOException {
        if (closed) throw new ModelUnavailableException("the server is shutting down");
        String k = key(stored.model(), stored.version());
        ServingVersion s = loaded.get(k);
        if (s != null) return s;
        checkInput(stored.spec());
        Backends.Loaded l = Backends.load(stored.directory());
        s = new ServingVersion(stored, new MicroBatcher(l.model, stored.model(), maxBatch, threads, observer), l.backend);
        loaded.put(k, s);
        evictBeyondLimit(s);
        return s;
    }

    private void evictBeyondLimit() {
        evictBeyondLimit(null);
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
