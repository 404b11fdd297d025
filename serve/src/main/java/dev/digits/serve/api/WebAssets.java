package dev.digits.serve.api;

import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.staticfiles.ResourceHandler;
import io.javalin.http.staticfiles.StaticFileConfig;
import io.javalin.security.RouteRole;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * The web app's files from a class-path directory, each compressed once and kept, sent gzipped to clients that accept
 * it, with a strong ETag per representation and a caching policy by path.
 *
 * <ul>
 * <li>{@code /vendor/…}: third-party files under a directory named with their version (e.g.
 * {@code /vendor/tfjs-4.22.0/}). A URL's content never changes, so browsers keep them a year without asking again
 * ({@value #IMMUTABLE}).</li>
 * <li>Everything else (the page, its modules, the service worker): {@value #REVALIDATE} — a browser asks every time
 * and gets a 304 without a body while the file is unchanged, so a new server is seen at once.</li>
 * </ul>
 *
 * <p>Javalin's own static files send neither {@code Vary} nor a per-encoding ETag, and one caching header for all
 * files; this handler replaces them (installed with {@code JavalinConfig.resourceHandler}).
 */
public final class WebAssets implements ResourceHandler {
    /** Cache-Control of files under {@value #VENDOR}: their URLs carry their version. */
    public static final String IMMUTABLE = "public, max-age=31536000, immutable";
    /** Cache-Control of the app's own files: revalidated on every use. */
    public static final String REVALIDATE = "no-cache";
    /** Path prefix of versioned third-party files. */
    public static final String VENDOR = "/vendor/";

    /** Below this a gzip header and trailer cost more than compression saves. */
    private static final int MIN_COMPRESS_BYTES = 512;
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("html", "text/html; charset=utf-8"),
            Map.entry("js", "text/javascript; charset=utf-8"),
            Map.entry("mjs", "text/javascript; charset=utf-8"),
            Map.entry("css", "text/css; charset=utf-8"),
            Map.entry("json", "application/json"),
            Map.entry("webmanifest", "application/manifest+json"),
            Map.entry("svg", "image/svg+xml"),
            // WebAssembly.instantiateStreaming refuses any other type.
            Map.entry("wasm", "application/wasm"),
            Map.entry("png", "image/png"),
            Map.entry("ico", "image/x-icon"),
            Map.entry("txt", "text/plain; charset=utf-8"));
    /** Types whose bytes are already compressed. */
    private static final Set<String> STORED = Set.of("png", "ico");

    private final String directory;
    private final Map<String, Optional<Asset>> assets = new ConcurrentHashMap<>();

    /**
     * @param directory the class-path directory served at {@code /}, e.g. {@code /web}
     */
    public WebAssets(String directory) {
        this.directory = directory.endsWith("/") ? directory.substring(0, directory.length() - 1) : directory;
    }

    /** One file as it is sent: its bytes, its gzipped bytes when they are smaller, and their ETags. */
    record Asset(String contentType, String cacheControl, byte[] identity, String identityTag, byte[] gzip,
                 String gzipTag) {
    }

    @Override
    public boolean canHandle(Context ctx) {
        return isRead(ctx) && asset(ctx.path()).isPresent();
    }

    @Override
    public boolean handle(Context ctx) {
        if (!isRead(ctx)) return false;
        Optional<Asset> found = asset(ctx.path());
        if (found.isEmpty()) return false;
        Asset a = found.get();
        boolean gzip = a.gzip() != null && acceptsGzip(ctx.header("Accept-Encoding"));
        String tag = gzip ? a.gzipTag() : a.identityTag();
        if (a.gzip() != null) ctx.header("Vary", "Accept-Encoding");
        ctx.header("Cache-Control", a.cacheControl());
        ctx.header("ETag", tag);
        if (matches(ctx.header("If-None-Match"), tag)) {
            ctx.status(304);
            return true;
        }
        byte[] body = gzip ? a.gzip() : a.identity();
        if (gzip) ctx.header("Content-Encoding", "gzip");
        ctx.contentType(a.contentType());
        ctx.header("Content-Length", Integer.toString(body.length));
        ctx.status(200);
        // A HEAD answer carries the headers GET would; Jetty leaves the body out.
        ctx.result(body);
        return true;
    }

    @Override
    public boolean addStaticFileConfig(StaticFileConfig config) {
        return false;
    }

    @Override
    public Set<RouteRole> resourceRouteRoles(Context ctx) {
        return Set.of();
    }

    private static boolean isRead(Context ctx) {
        return HandlerType.GET.equals(ctx.method()) || HandlerType.HEAD.equals(ctx.method());
    }

    /** The asset at a request path, loaded and compressed on first use; empty when there is no such file. */
    Optional<Asset> asset(String requestPath) {
        String path = requestPath.isEmpty() || requestPath.endsWith("/") ? requestPath + "index.html" : requestPath;
        if (!path.startsWith("/") || path.contains("..") || path.contains("//") || path.contains("\\")) {
            return Optional.empty();
        }
        Optional<Asset> known = assets.get(path);
        if (known != null) return known;
        URL url = WebAssets.class.getResource(directory + path);
        // Misses are not remembered: any path may be asked for, and the map must not grow with them.
        if (url == null || isDirectory(url)) return Optional.empty();
        return assets.computeIfAbsent(path, p -> Optional.of(load(p, url)));
    }

    /** A directory on the class path opens as a listing (file:) or as nothing (jar:), neither of them a file. */
    private static boolean isDirectory(URL url) {
        try {
            if ("file".equals(url.getProtocol())) return Files.isDirectory(Path.of(url.toURI()));
            if (url.openConnection() instanceof JarURLConnection jar) return jar.getJarEntry().isDirectory();
            return false;
        } catch (IOException | URISyntaxException | RuntimeException e) {
            return true;
        }
    }

    private static Asset load(String path, URL url) {
        byte[] bytes;
        try (InputStream in = url.openStream()) {
            bytes = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + url, e);
        }
        String ext = path.substring(path.lastIndexOf('/') + 1);
        ext = ext.contains(".") ? ext.substring(ext.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT) : "";
        String type = TYPES.getOrDefault(ext, "application/octet-stream");
        String cache = path.startsWith(VENDOR) ? IMMUTABLE : REVALIDATE;
        String digest = sha256(bytes).substring(0, 32);
        byte[] gzip = null;
        if (bytes.length >= MIN_COMPRESS_BYTES && !STORED.contains(ext)) {
            byte[] compressed = gzip(bytes);
            if (compressed.length < bytes.length) gzip = compressed;
        }
        return new Asset(type, cache, bytes, "\"" + digest + "\"", gzip, gzip == null ? null : "\"" + digest + "-gz\"");
    }

    /** Whether an Accept-Encoding header admits gzip (a {@code q=0} refuses it). */
    static boolean acceptsGzip(String acceptEncoding) {
        if (acceptEncoding == null) return false;
        boolean star = false;
        for (String part : acceptEncoding.split(",")) {
            String[] fields = part.trim().split(";");
            String coding = fields[0].trim().toLowerCase(Locale.ROOT);
            double q = 1;
            for (int i = 1; i < fields.length; i++) {
                String f = fields[i].trim();
                if (f.startsWith("q=")) {
                    try {
                        q = Double.parseDouble(f.substring(2));
                    } catch (NumberFormatException e) {
                        q = 0;
                    }
                }
            }
            if (coding.equals("gzip") || coding.equals("x-gzip")) return q > 0;
            if (coding.equals("*")) star = q > 0;
        }
        return star;
    }

    private static boolean matches(String ifNoneMatch, String tag) {
        if (ifNoneMatch == null) return false;
        for (String candidate : ifNoneMatch.split(",")) {
            String c = candidate.trim();
            if (c.startsWith("W/")) c = c.substring(2);
            if (c.equals("*") || c.equals(tag)) return true;
        }
        return false;
    }

    private static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 3 + 64);
        // Compressed once per file and kept: the slowest level costs nothing after the first request.
        try (GZIPOutputStream gz = new GZIPOutputStream(out, 1 << 16) {
            {
                def.setLevel(Deflater.BEST_COMPRESSION);
            }
        }) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
