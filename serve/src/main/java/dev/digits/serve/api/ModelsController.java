package dev.digits.serve.api;

import dev.digits.core.artifact.InputContract;
import dev.digits.serve.inference.ModelService;
import dev.digits.serve.inference.ServedFile;
import dev.digits.serve.registry.ModelFile;
import dev.digits.serve.registry.ModelFormat;
import dev.digits.serve.registry.StoredModel;
import dev.digits.serve.registry.StoredVersion;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The model catalogue and the downloads for on-device use.
 * <ul>
 * <li>{@code GET /api/v1/models}: every model with its versions, formats, sizes, SHA-256s and test metrics;</li>
 * <li>{@code GET /api/v1/models/{name}} and {@code GET /api/v1/models/{name}/versions/{version}}: one of them;</li>
 * <li>{@code GET /api/v1/models/{name}/versions/{version}/files/{path}}: a file of a version. Versions never change,
 *     so the answer carries {@code Cache-Control: public, max-age=31536000, immutable} and the strong ETag
 *     {@code "<sha256>"}; {@code If-None-Match} answers 304; {@code Range: bytes=…} (one range) answers 206 with that
 *     part, so a phone resumes a broken download ({@code If-Range} with the ETag makes sure the rest is of the same
 *     file), and a range outside the file 416;</li>
 * <li>{@code GET /api/v1/models/{name}/files/{path}}: the same file of the latest version, with
 *     {@code Cache-Control: no-cache} (clients revalidate with the ETag and learn when the latest changes).</li>
 * </ul>
 * A file's path is its path inside the version directory, so a TF.js model's shards sit beside its
 * {@code model.json} URL and {@code tf.loadLayersModel(url)} finds them.
 *
 * <p>Each version names, under {@code serving}, the file the server runs for it (the float32 ONNX file of its export
 * manifest), its versioned URL, its SHA-256 — the download's ETag — and whether it is loaded, so that a device can
 * download exactly the file whose answers the server gives.
 */
public final class ModelsController {
    static final String API = "/api/v1/models";
    private static final String IMMUTABLE = "public, max-age=31536000, immutable";

    private final ModelService models;

    ModelsController(ModelService models) {
        this.models = models;
    }

    void list(Context ctx) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (StoredModel m : models.registry().models()) out.add(modelJson(m, models));
        Json.ok(ctx, Map.of("models", out));
    }

    void model(Context ctx) {
        Json.ok(ctx, modelJson(models.registry().model(ctx.pathParam("name")), models));
    }

    void version(Context ctx) {
        StoredModel m = models.registry().model(ctx.pathParam("name"));
        StoredVersion v = m.version(versionParam(ctx));
        Json.ok(ctx, versionJson(v, m.latest() == v.version(), models));
    }

    void versionFile(Context ctx) throws IOException {
        StoredVersion v = models.registry().model(ctx.pathParam("name")).version(versionParam(ctx));
        sendFile(ctx, v, IMMUTABLE);
    }

    void latestFile(Context ctx) throws IOException {
        StoredVersion v = models.registry().model(ctx.pathParam("name")).latestVersion();
        ctx.header("X-Model-Version", Integer.toString(v.version()));
        ctx.header("Content-Location", fileUrl(v, ctx.pathParam("path")));
        sendFile(ctx, v, "no-cache");
    }

    static Map<String, Object> modelJson(StoredModel m, ModelService service) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", m.name());
        out.put("latest", m.latest());
        out.put("default", m.name().equals(service.defaultModel()));
        out.put("url", API + "/" + m.name());
        List<Map<String, Object>> versions = new ArrayList<>();
        for (StoredVersion v : m.versions()) versions.add(versionJson(v, v.version() == m.latest(), service));
        out.put("versions", versions);
        return out;
    }

    static Map<String, Object> versionJson(StoredVersion v, boolean latest, ModelService service) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("version", v.version());
        out.put("latest", latest);
        out.put("sha256", v.sha256());
        out.put("architecture", v.spec().name());
        out.put("parameters", v.spec().parameterCount());
        out.put("labels", v.labels());
        InputContract in = v.card().input();
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("shape", List.of(in.height(), in.width(), in.channels()));
        input.put("polarity", in.polarity().id());
        input.put("preprocessing", in.preprocessing().id());
        out.put("input", input);
        out.put("metrics", v.metrics());
        // What on-device clients apply to this version's answers to say "not a digit", as the server does.
        if (v.card().digitCheck().rejects()) out.put("digitCheck", v.card().digitCheck().toJson());
        // What this server measured when the version was uploaded, beside what the card claims above.
        if (!v.verified().isEmpty()) out.put("verified", v.verified());
        out.put("url", API + "/" + v.model() + "/versions/" + v.version());
        List<Map<String, Object>> formats = new ArrayList<>();
        for (ModelFormat f : v.formats()) {
            Map<String, Object> fj = new LinkedHashMap<>();
            fj.put("format", f.format());
            fj.put("quantization", f.quantization());
            fj.put("file", f.main().path());
            fj.put("url", fileUrl(v, f.main().path()));
            fj.put("size", f.totalSize());
            fj.put("sha256", f.main().sha256());
            List<Map<String, Object>> files = new ArrayList<>();
            for (ModelFile file : f.files()) files.add(fileJson(v, file));
            fj.put("files", files);
            if (!f.report().isEmpty()) fj.put("report", f.report());
            formats.add(fj);
        }
        out.put("formats", formats);
        Map<String, Object> serving = servingJson(v, service);
        if (serving != null) out.put("serving", serving);
        return out;
    }

    /**
     * What the server runs for {@code v}: the file it loaded (path, versioned URL, SHA-256 of the loaded bytes,
     * runtime) when it is loaded, else the file its manifest names; null when it names none.
     */
    static Map<String, Object> servingJson(StoredVersion v, ModelService service) {
        ServedFile running = service.served(v.model(), v.version()).orElse(null);
        String path;
        String sha256;
        if (running != null) {
            path = running.path();
            sha256 = running.sha256();
        } else if (v.servingFile().isPresent()) {
            path = v.servingFile().get().path();
            sha256 = v.servingFile().get().sha256();
        } else {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", path);
        m.put("url", fileUrl(v, path));
        m.put("sha256", sha256);
        m.put("runtime", running != null ? running.runtime() : "onnxruntime");
        m.put("loaded", running != null);
        return m;
    }

    private static Map<String, Object> fileJson(StoredVersion v, ModelFile f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", f.path());
        m.put("url", fileUrl(v, f.path()));
        m.put("size", f.size());
        m.put("sha256", f.sha256());
        return m;
    }

    static String fileUrl(StoredVersion v, String path) {
        return API + "/" + v.model() + "/versions/" + v.version() + "/files/" + path;
    }

    private static int versionParam(Context ctx) {
        String raw = ctx.pathParam("version");
        Integer v = PredictionRequest.parseVersion(raw);
        if (v == null) {
            throw ApiException.badRequest("a versioned URL needs a version number; use " + API + "/"
                    + ctx.pathParam("name") + "/files/… for the latest");
        }
        return v;
    }

    private static void sendFile(Context ctx, StoredVersion v, String cacheControl) throws IOException {
        String path = ctx.pathParam("path");
        ModelFile f = v.files().get(path);
        if (f == null) {
            throw ApiException.notFound(v.model() + " version " + v.version() + " has no file '" + path + "'; its files are"
                    + " listed at " + API + "/" + v.model() + "/versions/" + v.version());
        }
        String etag = "\"" + f.sha256() + "\"";
        ctx.header("ETag", etag);
        ctx.header("Cache-Control", cacheControl);
        ctx.header("Accept-Ranges", "bytes");
        if (matches(ctx.header("If-None-Match"), f.sha256())) {
            ctx.status(HttpStatus.NOT_MODIFIED);
            return;
        }
        ctx.contentType(f.contentType());
        long size = f.size();
        long[] range = ifRangeHolds(ctx.header("If-Range"), etag) ? byteRange(ctx.header("Range"), size) : null;
        if (range == null) {
            ctx.header("Content-Length", Long.toString(size));
            ctx.result(Files.newInputStream(f.file()));
            return;
        }
        if (range.length == 0) {
            ctx.header("Content-Range", "bytes */" + size);
            throw new ApiException(HttpStatus.RANGE_NOT_SATISFIABLE, "the requested range lies outside the file, which"
                    + " has " + size + " bytes");
        }
        long length = range[1] - range[0] + 1;
        ctx.status(HttpStatus.PARTIAL_CONTENT);
        ctx.header("Content-Range", "bytes " + range[0] + "-" + range[1] + "/" + size);
        ctx.header("Content-Length", Long.toString(length));
        InputStream in = Files.newInputStream(f.file());
        in.skipNBytes(range[0]);
        ctx.result(new BoundedInputStream(in, length));
    }

    /**
     * Whether a Range applies: always without If-Range; with it, only when it names this file's ETag exactly (a date,
     * or another ETag, means the client holds something else and gets the whole file — RFC 9110 §13.1.5).
     */
    static boolean ifRangeHolds(String ifRange, String etag) {
        return ifRange == null || ifRange.trim().equals(etag);
    }

    /**
     * The one byte range {@code header} asks for within {@code size} bytes, as {@code {first, last}}; null when there
     * is no Range header, it is not a single {@code bytes=} range or cannot be read (the whole file is sent, as RFC
     * 9110 §14.2 allows); an empty array when it is well-formed but lies outside the file (416).
     */
    static long[] byteRange(String header, long size) {
        if (header == null) return null;
        String h = header.trim();
        if (!h.regionMatches(true, 0, "bytes=", 0, 6) || h.indexOf(',') >= 0) return null;
        String spec = h.substring(6).trim();
        int dash = spec.indexOf('-');
        if (dash < 0) return null;
        try {
            String a = spec.substring(0, dash).trim();
            String b = spec.substring(dash + 1).trim();
            if (a.isEmpty()) {
                if (b.isEmpty()) return null;
                long suffix = Long.parseLong(b);
                if (suffix <= 0) return new long[0];
                return new long[] {Math.max(0, size - suffix), size - 1};
            }
            long first = Long.parseLong(a);
            if (first >= size) return new long[0];
            long last = b.isEmpty() ? size - 1 : Long.parseLong(b);
            if (first < 0 || last < first) return null;
            return new long[] {first, Math.min(last, size - 1)};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The first {@code remaining} bytes of a stream. */
    private static final class BoundedInputStream extends FilterInputStream {
        private long remaining;

        BoundedInputStream(InputStream in, long remaining) {
            super(in);
            this.remaining = remaining;
        }

        @Override
        public int read() throws IOException {
            if (remaining <= 0) return -1;
            int b = super.read();
            if (b >= 0) remaining--;
            return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
            if (remaining <= 0) return -1;
            int n = super.read(buf, off, (int) Math.min(len, remaining));
            if (n > 0) remaining -= n;
            return n;
        }
    }

    /** Whether an If-None-Match header names this entity (weak comparison, as RFC 9110 prescribes for it). */
    static boolean matches(String ifNoneMatch, String sha256) {
        if (ifNoneMatch == null) return false;
        for (String tag : ifNoneMatch.split(",")) {
            String t = tag.trim();
            if (t.equals("*")) return true;
            if (t.startsWith("W/")) t = t.substring(2);
            if (t.equals("\"" + sha256 + "\"")) return true;
        }
        return false;
    }
}
