package dev.digits.serve.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.digits.serve.inference.ModelService;
import dev.digits.serve.registry.ModelRegistry;
import dev.digits.serve.registry.StoredModel;
import dev.digits.serve.registry.StoredVersion;
import dev.digits.serve.registry.VersionUpload;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;

import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * Administration, enabled only when the server has an admin token ({@code DIGITS_ADMIN_TOKEN}); every route needs
 * {@code Authorization: Bearer <token>} (missing: 401, wrong: 403, administration disabled: 403). After
 * {@value #WRONG_TOKENS_ALLOWED} wrong tokens from one address within a minute, that address is answered 429 with
 * {@code Retry-After} until the minute is over, right token or not, so a token cannot be guessed at network speed.
 * <ul>
 * <li>{@code POST /api/v1/admin/models/{name}/versions}: uploads a new version — an {@code application/zip} body
 *     holding a model directory (files at the top or in one folder), or {@code multipart/form-data} with one file
 *     part per file, each named by its path in the directory ({@code spec.json}, {@code weights.safetensors},
 *     {@code export/cnn.onnx}, …). It must carry the export {@code digits export} wrote — {@code export/manifest.json},
 *     the verification images and every file listed — and is loaded and verified before it is added: weights, card
 *     and manifest must agree, every export file must match its SHA-256, and the float32 ONNX file must reproduce the
 *     manifest's probabilities in ONNX Runtime. Any failure answers 4xx naming the reason and changes nothing. It
 *     becomes the latest unless {@code ?activate=false}. {@code ?sha256=} makes the upload fail unless the weights
 *     have that digest. Answers 201 with the version; 413 before anything is read when its Content-Length exceeds the
 *     upload limit, 503 with {@code Retry-After} while {@value #UPLOADS_AT_ONCE} other uploads are being received.</li>
 * <li>{@code POST /api/v1/admin/models/{name}/versions/{version}/activate}: makes a version the latest.</li>
 * <li>{@code POST /api/v1/admin/models/{name}/rollback}: makes the previous version (or {@code ?version=n}) the
 *     latest.</li>
 * </ul>
 */
public final class AdminController {
    static final String PREFIX = "/api/v1/admin";
    private static final int MAX_FILES = 10_000;
    /** Uploads received at once; each holds a staging directory and, for multipart, its body in memory. */
    static final int UPLOADS_AT_ONCE = 2;
    /** Wrong tokens from one address within {@link #LOCKOUT} after which it is answered 429 until the period ends. */
    static final int WRONG_TOKENS_ALLOWED = 5;
    static final Duration LOCKOUT = Duration.ofMinutes(1);
    /** Addresses whose wrong tokens are remembered; the oldest are forgotten beyond it, so memory stays bounded. */
    private static final int ADDRESSES_REMEMBERED = 10_000;

    private final ModelService models;
    private final byte[] token;
    private final long maxUploadBytes;
    private final Semaphore uploads = new Semaphore(UPLOADS_AT_ONCE);
    private final Map<String, WrongTokens> wrongTokens = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, WrongTokens> eldest) {
            return size() > ADDRESSES_REMEMBERED;
        }
    };

    /** Wrong tokens one address sent in the current period. */
    private static final class WrongTokens {
        long periodStart;
        int count;
    }

    /** @param token the bearer token, or null when administration is disabled */
    AdminController(ModelService models, String token, long maxUploadBytes) {
        this.models = models;
        this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
        this.maxUploadBytes = maxUploadBytes;
    }

    /** Before-handler for every admin route. */
    void authorize(Context ctx) {
        if (token == null) {
            throw new ApiException(HttpStatus.FORBIDDEN, "administration is disabled; start the server with "
                    + "DIGITS_ADMIN_TOKEN set to enable it");
        }
        String header = ctx.header("Authorization");
        if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            ctx.header("WWW-Authenticate", "Bearer realm=\"digits\"");
            throw new ApiException(HttpStatus.UNAUTHORIZED, "send the admin token as 'Authorization: Bearer <token>'");
        }
        String address = ctx.req().getRemoteAddr();
        long now = System.nanoTime();
        synchronized (wrongTokens) {
            WrongTokens w = wrongTokens.get(address);
            if (w != null && now - w.periodStart < LOCKOUT.toNanos() && w.count >= WRONG_TOKENS_ALLOWED) {
                long wait = Math.max(1, (LOCKOUT.toNanos() - (now - w.periodStart) + 999_999_999L) / 1_000_000_000L);
                ctx.header("Retry-After", Long.toString(wait));
                throw new ApiException(HttpStatus.TOO_MANY_REQUESTS, WRONG_TOKENS_ALLOWED + " wrong admin tokens came "
                        + "from this address within " + LOCKOUT.toSeconds() + " s; try again in " + wait + " s");
            }
        }
        byte[] given = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        // Constant-time comparison: the time taken must not reveal how much of the token was right.
        if (!MessageDigest.isEqual(given, token)) {
            synchronized (wrongTokens) {
                WrongTokens w = wrongTokens.computeIfAbsent(address, a -> new WrongTokens());
                if (w.count == 0 || now - w.periodStart >= LOCKOUT.toNanos()) {
                    w.periodStart = now;
                    w.count = 0;
                }
                w.count++;
            }
            throw new ApiException(HttpStatus.FORBIDDEN, "the admin token is wrong");
        }
    }

    void upload(Context ctx) throws IOException {
        String name = ctx.pathParam("name");
        if (!ModelRegistry.isValidName(name)) {
            throw ApiException.badRequest("'" + name + "' cannot name a model: use 1 to 64 letters, digits, '.', '_' or "
                    + "'-', starting with a letter or digit");
        }
        boolean activate = flag(ctx.queryParam("activate"), true);
        String sha256 = ctx.queryParam("sha256");
        if (sha256 != null && !sha256.matches("[0-9a-fA-F]{64}")) {
            throw ApiException.badRequest("sha256 must be 64 hexadecimal digits, was '" + sha256 + "'");
        }
        String type = RequestBody.mediaType(ctx);
        boolean zip = type.equals("application/zip") || type.equals("application/x-zip-compressed");
        if (!zip && !type.equals("multipart/form-data")) {
            throw ApiException.unsupportedMediaType("upload a model version as application/zip (a zip of the model "
                    + "directory) or multipart/form-data (one part per file, named by its path)");
        }
        long announced = ctx.req().getContentLengthLong();
        if (announced > maxUploadBytes) {
            throw ApiException.tooLarge("the upload is " + announced + " bytes; the server accepts versions of at most "
                    + maxUploadBytes + " bytes");
        }
        if (!uploads.tryAcquire()) {
            ctx.header("Retry-After", "5");
            throw new ApiException(HttpStatus.SERVICE_UNAVAILABLE, UPLOADS_AT_ONCE + " uploads are being received "
                    + "already; send this one again when they are done");
        }
        try {
            receive(ctx, name, activate, sha256, zip);
        } finally {
            uploads.release();
        }
    }

    private void receive(Context ctx, String name, boolean activate, String sha256, boolean zip) throws IOException {
        ModelRegistry registry = models.registry();
        Path staging = registry.newStagingDirectory(name);
        try {
            VersionUpload upload = new VersionUpload(staging, maxUploadBytes, MAX_FILES);
            if (zip) {
                upload.unzip(bounded(ctx.req().getInputStream()));
            } else {
                MultipartForm form = MultipartForm.parse(RequestBody.read(ctx, maxUploadBytes), ctx.contentType());
                for (MultipartForm.Part p : form.parts()) {
                    if (p.filename == null) continue;
                    upload.add(p.name, new ByteArrayInputStream(p.data));
                }
            }
            upload.finish();
        } catch (IOException | RuntimeException e) {
            registry.discard(staging);
            throw e;
        }
        StoredVersion v = models.addVersion(name, staging, activate, sha256);
        StoredModel m = registry.model(name);
        Json.respond(ctx, HttpStatus.CREATED, ModelsController.versionJson(v, m.latest() == v.version(), models));
    }

    void activate(Context ctx) throws IOException {
        String name = ctx.pathParam("name");
        Integer version = PredictionRequest.parseVersion(ctx.pathParam("version"));
        if (version == null) throw ApiException.badRequest("name the version to activate by its number");
        StoredModel m = models.activate(name, version);
        Json.ok(ctx, ModelsController.modelJson(m, models));
    }

    void rollback(Context ctx) throws IOException {
        String name = ctx.pathParam("name");
        Integer version = PredictionRequest.parseVersion(ctx.queryParam("version"));
        if (version == null && RequestBody.mediaType(ctx).equals("application/json")) {
            JsonNode body = Json.MAPPER.readTree(RequestBody.read(ctx, 64 * 1024));
            if (body != null && body.has("version")) version = PredictionRequest.parseVersion(body.get("version").asText());
        }
        StoredModel m = models.rollback(name, version);
        Json.ok(ctx, ModelsController.modelJson(m, models));
    }

    private static boolean flag(String value, boolean fallback) {
        if (value == null || value.isBlank()) return fallback;
        switch (value.toLowerCase(Locale.ROOT)) {
            case "true": case "1": case "yes":
                return true;
            case "false": case "0": case "no":
                return false;
            default:
                throw ApiException.badRequest("expected true or false, was '" + value + "'");
        }
    }

    /** The request stream, failing with 413 once more than {@code maxUploadBytes} have been read. */
    private InputStream bounded(InputStream in) {
        return new FilterInputStream(in) {
            private long read;

            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) count(1);
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = super.read(b, off, len);
                if (n > 0) count(n);
                return n;
            }

            private void count(int n) {
                read += n;
                if (read > maxUploadBytes) {
                    throw ApiException.tooLarge("the upload is larger than " + maxUploadBytes + " bytes");
                }
            }
        };
    }
}
