package dev.digits.serve;

import java.nio.file.Path;
import java.time.Duration;

/**
 * Settings of a {@link DigitsServer}. Every setting is optional; {@link #defaults()} serves the embedded model on
 * port 8080 with administration disabled.
 *
 * <pre>{@code
 * ServerConfig config = ServerConfig.builder()
 *         .port(9000)
 *         .models(Path.of("models"))
 *         .adminToken(System.getenv("DIGITS_ADMIN_TOKEN"))
 *         .build();
 * }</pre>
 */
public final class ServerConfig {
    /** Default port. */
    public static final int DEFAULT_PORT = 8080;

    private final String host;
    private final int port;
    private final Path models;
    private final String defaultModel;
    private final String adminToken;
    private final String registry;
    private final long maxBodyBytes;
    private final long maxUploadBytes;
    private final int maxImageSide;
    private final int maxConcurrentPixels;
    private final int maxBatchImages;
    private final int inferenceBatch;
    private final int inferenceThreads;
    private final int maxLoadedVersions;
    private final double minVerificationAccuracy;
    private final Duration drainTimeout;
    private final Duration idleTimeout;
    private final long minRequestDataRate;
    private final Path verificationData;
    private final boolean accessLog;

    private ServerConfig(Builder b) {
        this.host = b.host;
        this.port = b.port;
        this.models = b.models;
        this.defaultModel = b.defaultModel;
        this.adminToken = b.adminToken;
        this.registry = b.registry;
        this.maxBodyBytes = b.maxBodyBytes;
        this.maxUploadBytes = b.maxUploadBytes;
        this.maxImageSide = b.maxImageSide;
        this.maxConcurrentPixels = b.maxConcurrentPixels;
        this.maxBatchImages = b.maxBatchImages;
        this.inferenceBatch = b.inferenceBatch;
        this.inferenceThreads = b.inferenceThreads;
        this.maxLoadedVersions = b.maxLoadedVersions;
        this.minVerificationAccuracy = b.minVerificationAccuracy;
        this.drainTimeout = b.drainTimeout;
        this.idleTimeout = b.idleTimeout;
        this.minRequestDataRate = b.minRequestDataRate;
        this.verificationData = b.verificationData;
        this.accessLog = b.accessLog;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Every setting at its default. */
    public static ServerConfig defaults() {
        return builder().build();
    }

    /** Interface to listen on (default {@code 0.0.0.0}). */
    public String host() {
        return host;
    }

    /** Port to listen on; 0 picks a free one ({@link DigitsServer#port()} tells which). */
    public int port() {
        return port;
    }

    /**
     * The models directory ({@code --models}), or null to serve the embedded model from a temporary directory
     * (uploaded versions are then lost when the server stops).
     */
    public Path models() {
        return models;
    }

    /** The model answering requests that name none, or null for {@code cnn} (else the first by name). */
    public String defaultModel() {
        return defaultModel;
    }

    /** The bearer token of the administration API, or null when administration is disabled. */
    public String adminToken() {
        return adminToken;
    }

    /**
     * The JDBC URL of a registry shared with other replicas ({@code jdbc:postgresql://HOST:PORT/DB?user=…}), or null
     * to keep the registry in the models directory alone. With a shared registry the models directory (or a
     * temporary one) is this server's copy, and seeds the registry when the registry holds no model yet.
     */
    public String registry() {
        return registry;
    }

    /** Largest request body accepted on prediction routes, in bytes (default 16 MiB). */
    public long maxBodyBytes() {
        return maxBodyBytes;
    }

    /** Largest model upload, compressed and unpacked alike, in bytes (default 512 MiB). */
    public long maxUploadBytes() {
        return maxUploadBytes;
    }

    /** Largest width or height of an image, checked before decoding (default 4096). */
    public int maxImageSide() {
        return maxImageSide;
    }

    /**
     * Most pixels of large images (over a megapixel) decoded at once across all requests, 16-bit ones counting twice;
     * bounds the memory spent on images (default: a 24th of the maximum heap in pixels, at most 32 Mi, at least one
     * image of {@link #maxImageSide()}²). Small images have a budget of their own.
     */
    public int maxConcurrentPixels() {
        return maxConcurrentPixels;
    }

    /** Most images in one batch request (default 256). */
    public int maxBatchImages() {
        return maxBatchImages;
    }

    /** Most images a model runs at once when concurrent requests are batched together (default 64). */
    public int inferenceBatch() {
        return inferenceBatch;
    }

    /**
     * Threads running each loaded model (default: half the processors, at least 1, at most 4). One thread per two
     * cores leaves the others to HTTP and image decoding, and lets concurrent requests gather into larger batches,
     * which cost less per image: on 2 cores one thread ran batches of 21 images on average at 107 µs per image where
     * two threads ran batches of 10 at 160 µs.
     */
    public int inferenceThreads() {
        return inferenceThreads;
    }

    /**
     * Most model versions loaded at once; the least recently used non-latest version is unloaded first, and every
     * model's latest stays loaded even beyond the limit (default 8).
     */
    public int maxLoadedVersions() {
        return maxLoadedVersions;
    }

    /** Share of the 100 verification digits an uploaded version must classify correctly (default 0.5). */
    public double minVerificationAccuracy() {
        return minVerificationAccuracy;
    }

    /** How long shutdown waits for requests in flight (default 10 s). */
    public Duration drainTimeout() {
        return drainTimeout;
    }

    /**
     * How long a connection may stay silent — between requests, or in the middle of a request's body, which is then
     * answered 408 (default 30 s).
     */
    public Duration idleTimeout() {
        return idleTimeout;
    }

    /**
     * Bytes per second a request body must arrive at, on average from its first byte; a slower one is answered 408
     * and its connection closed, so that a client trickling a body cannot hold a connection, a thread and a buffer
     * for long (default 1024: a 100 kB photo on a 2G link still arrives).
     */
    public long minRequestDataRate() {
        return minRequestDataRate;
    }

    /**
     * A directory with the MNIST test set ({@code t10k-images-idx3-ubyte}, {@code t10k-labels-idx1-ubyte}, gzipped
     * or not) on whose first 100 images of each digit uploads are held to their cards; null (default) for the 100
     * digits packaged in the server.
     */
    public Path verificationData() {
        return verificationData;
    }

    /** Whether every request is logged (SLF4J logger {@code dev.digits.serve.access}; default true). */
    public boolean accessLog() {
        return accessLog;
    }

    /** Settings; each setter checks its argument and names the accepted values. */
    public static final class Builder {
        private String host = "0.0.0.0";
        private int port = DEFAULT_PORT;
        private Path models;
        private String defaultModel;
        private String adminToken;
        private String registry;
        private long maxBodyBytes = 16L << 20;
        private long maxUploadBytes = 512L << 20;
        private int maxImageSide = 4096;
        private int maxConcurrentPixels = -1;
        private int maxBatchImages = 256;
        private int inferenceBatch = 64;
        private int inferenceThreads = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors() / 2));
        private int maxLoadedVersions = 8;
        private double minVerificationAccuracy = 0.5;
        private Duration drainTimeout = Duration.ofSeconds(10);
        private Duration idleTimeout = Duration.ofSeconds(30);
        private long minRequestDataRate = 1024;
        private Path verificationData;
        private boolean accessLog = true;

        private Builder() {
        }

        public Builder host(String host) {
            if (host == null || host.isBlank()) throw new IllegalArgumentException("host must not be empty");
            this.host = host;
            return this;
        }

        /** 0 to 65535; 0 picks a free port. */
        public Builder port(int port) {
            if (port < 0 || port > 65535) throw new IllegalArgumentException("port must be in [0, 65535], was " + port);
            this.port = port;
            return this;
        }

        /** The models directory; null serves the embedded model. */
        public Builder models(Path dir) {
            this.models = dir;
            return this;
        }

        public Builder defaultModel(String name) {
            this.defaultModel = name == null || name.isBlank() ? null : name;
            return this;
        }

        /** The administration token (e.g. from {@code DIGITS_ADMIN_TOKEN}); null or empty disables administration. */
        /** A registry shared with other replicas (a PostgreSQL JDBC URL); null or empty: the models directory alone. */
        public Builder registry(String jdbcUrl) {
            this.registry = jdbcUrl == null || jdbcUrl.isBlank() ? null : jdbcUrl;
            return this;
        }

        public Builder adminToken(String token) {
            if (token != null && !token.isEmpty() && token.length() < 16) {
                throw new IllegalArgumentException("the admin token must be at least 16 characters; generate one with "
                        + "`openssl rand -hex 32`");
            }
            this.adminToken = token == null || token.isEmpty() ? null : token;
            return this;
        }

        public Builder maxBodyBytes(long bytes) {
            if (bytes < 1024) throw new IllegalArgumentException("maxBodyBytes must be at least 1024, was " + bytes);
            this.maxBodyBytes = bytes;
            return this;
        }

        public Builder maxUploadBytes(long bytes) {
            if (bytes < 1024) throw new IllegalArgumentException("maxUploadBytes must be at least 1024, was " + bytes);
            this.maxUploadBytes = bytes;
            return this;
        }

        /** 28 to 16384. */
        public Builder maxImageSide(int pixels) {
            if (pixels < 28 || pixels > 16384) {
                throw new IllegalArgumentException("maxImageSide must be in [28, 16384], was " + pixels);
            }
            this.maxImageSide = pixels;
            return this;
        }

        public Builder maxConcurrentPixels(int pixels) {
            if (pixels < 28 * 28) throw new IllegalArgumentException("maxConcurrentPixels must be at least 784, was " + pixels);
            this.maxConcurrentPixels = pixels;
            return this;
        }

        /** 1 to 10,000. */
        public Builder maxBatchImages(int images) {
            if (images < 1 || images > 10_000) {
                throw new IllegalArgumentException("maxBatchImages must be in [1, 10000], was " + images);
            }
            this.maxBatchImages = images;
            return this;
        }

        /** 1 to 1024; 1 turns batching of concurrent requests off. */
        public Builder inferenceBatch(int images) {
            if (images < 1 || images > 1024) {
                throw new IllegalArgumentException("inferenceBatch must be in [1, 1024], was " + images);
            }
            this.inferenceBatch = images;
            return this;
        }

        /** 1 to 64. */
        public Builder inferenceThreads(int threads) {
            if (threads < 1 || threads > 64) {
                throw new IllegalArgumentException("inferenceThreads must be in [1, 64], was " + threads);
            }
            this.inferenceThreads = threads;
            return this;
        }

        public Builder maxLoadedVersions(int versions) {
            if (versions < 1) throw new IllegalArgumentException("maxLoadedVersions must be at least 1, was " + versions);
            this.maxLoadedVersions = versions;
            return this;
        }

        /** In [0, 1]. */
        public Builder minVerificationAccuracy(double share) {
            if (!(share >= 0 && share <= 1)) {
                throw new IllegalArgumentException("minVerificationAccuracy must be in [0, 1], was " + share);
            }
            this.minVerificationAccuracy = share;
            return this;
        }

        public Builder drainTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative()) {
                throw new IllegalArgumentException("drainTimeout must be zero or positive");
            }
            this.drainTimeout = timeout;
            return this;
        }

        public Builder idleTimeout(Duration timeout) {
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("idleTimeout must be positive");
            }
            this.idleTimeout = timeout;
            return this;
        }

        /** @param bytesPerSecond at least 0; 0 turns the check off */
        public Builder minRequestDataRate(long bytesPerSecond) {
            if (bytesPerSecond < 0) throw new IllegalArgumentException("minRequestDataRate must be 0 or more bytes/s");
            this.minRequestDataRate = bytesPerSecond;
            return this;
        }

        /** @param mnistDir a directory holding the MNIST test set; null for the packaged digits */
        public Builder verificationData(Path mnistDir) {
            if (mnistDir != null && !dev.digits.serve.inference.VersionVerifier.holdsMnistTestSet(mnistDir)) {
                throw new IllegalArgumentException(mnistDir + " holds no MNIST test set (t10k-images-idx3-ubyte and "
                        + "t10k-labels-idx1-ubyte, gzipped or not)");
            }
            this.verificationData = mnistDir;
            return this;
        }

        public Builder accessLog(boolean enabled) {
            this.accessLog = enabled;
            return this;
        }

        /**
         * Pixels of large images decoded at once by default: what this JVM's heap holds at about
         * {@value #BYTES_PER_DECODED_PIXEL} bytes per pixel being decoded and preprocessed, at most 32 Mi, and never
         * less than one image of the largest side (which a small heap then holds only just).
         */
        static int defaultConcurrentPixels(int maxSide) {
            long byHeap = Runtime.getRuntime().maxMemory() / BYTES_PER_DECODED_PIXEL;
            return (int) Math.max((long) maxSide * maxSide, Math.min(32L << 20, byHeap));
        }

        /** Heap one pixel takes while decoded and preprocessed: the decoded raster, its ARGB copy, the working arrays. */
        static final int BYTES_PER_DECODED_PIXEL = 24;

        /** Checks that the settings fit together. */
        public ServerConfig build() {
            if (maxConcurrentPixels < 0) maxConcurrentPixels = defaultConcurrentPixels(maxImageSide);
            if ((long) maxImageSide * maxImageSide > maxConcurrentPixels) {
                throw new IllegalArgumentException("maxConcurrentPixels (" + maxConcurrentPixels + ") must allow one image "
                        + "of maxImageSide² = " + (long) maxImageSide * maxImageSide + " pixels");
            }
            return new ServerConfig(this);
        }
    }
}
