package dev.digits.android;

import dev.digits.core.artifact.ModelArtifact;
import dev.digits.serve.DigitsServer;
import dev.digits.serve.ServerConfig;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * A real Digits server on a free local port, serving a models directory laid out as {@code digits serve --models}
 * reads it, with administration enabled so tests can publish versions the way an operator does. Public, because the
 * screen tests call it from inside Robolectric's sandbox while it lives outside (see {@link ScreenTestRunner}).
 */
public final class DigitsServerFixture implements AutoCloseable {
    static final String ADMIN_TOKEN = "android-check-token";

    final DigitsServer server;
    final Path models;

    private DigitsServerFixture(DigitsServer server, Path models) {
        this.server = server;
        this.models = models;
    }

    /**
     * Starts a server whose model {@code cnn} has one version: the exported model directory {@code modelDir} (spec,
     * weights, card and its verified {@code export/}).
     */
    public static DigitsServerFixture start(Path root, Path modelDir) throws IOException {
        Path version = root.resolve("cnn").resolve("versions").resolve("1");
        for (Map.Entry<String, Path> f : versionFiles(modelDir).entrySet()) {
            Path target = version.resolve(f.getKey());
            Files.createDirectories(target.getParent());
            Files.copy(f.getValue(), target);
        }
        DigitsServer server = DigitsServer.start(ServerConfig.builder().host("127.0.0.1").port(0).models(root)
                .adminToken(ADMIN_TOKEN).build());
        return new DigitsServerFixture(server, root);
    }

    /** The files of a version: the model's own and everything its export holds, by path inside the version. */
    private static Map<String, Path> versionFiles(Path modelDir) throws IOException {
        Map<String, Path> files = new LinkedHashMap<>();
        for (String own : new String[]{ModelArtifact.SPEC_FILE, ModelArtifact.WEIGHTS_FILE, ModelArtifact.CARD_FILE}) {
            files.put(own, modelDir.resolve(own));
        }
        Path export = modelDir.resolve(ModelArtifact.EXPORT_DIR);
        try (java.util.stream.Stream<Path> all = Files.walk(export)) {
            for (Path f : (Iterable<Path>) all.filter(Files::isRegularFile).sorted()::iterator) {
                files.put(ModelArtifact.EXPORT_DIR + "/" + export.relativize(f).toString().replace('\\', '/'), f);
            }
        }
        return files;
    }

    /** {@code http://127.0.0.1:<port>}, as a user types it into the app. */
    public String url() {
        return "http://127.0.0.1:" + server.port();
    }

    /**
     * Uploads a new version of {@code cnn} through the administration API (a zip of the model directory), which the
     * server verifies and makes the latest.
     */
    public void publish(Path modelDir) throws IOException {
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(zip)) {
            for (Map.Entry<String, Path> f : versionFiles(modelDir).entrySet()) {
                out.putNextEntry(new ZipEntry(f.getKey()));
                Files.copy(f.getValue(), out);
                out.closeEntry();
            }
        }
        int status = post("/api/v1/admin/models/cnn/versions", "application/zip", zip.toByteArray());
        if (status != 201) throw new IOException("upload answered " + status);
    }

    /** Makes the previous version the latest again, as an operator's rollback. */
    void rollback() throws IOException {
        int status = post("/api/v1/admin/models/cnn/rollback", "application/json", new byte[0]);
        if (status != 200) throw new IOException("rollback answered " + status);
    }

    private int post(String path, String type, byte[] body) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(url() + path).openConnection();
        c.setRequestMethod("POST");
        c.setRequestProperty("Authorization", "Bearer " + ADMIN_TOKEN);
        c.setRequestProperty("Content-Type", type);
        c.setDoOutput(true);
        try (OutputStream out = c.getOutputStream()) {
            out.write(body);
        }
        int status = c.getResponseCode();
        if (status >= 400) {
            try (InputStream err = c.getErrorStream()) {
                throw new IOException(path + " answered " + status + ": "
                        + (err == null ? "" : new String(err.readAllBytes(), StandardCharsets.UTF_8)));
            }
        }
        c.disconnect();
        return status;
    }

    /** How many requests for versioned model files the server answered with {@code status}, from its /metrics. */
    public long fileRequests(int status) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(url() + "/metrics").openConnection();
        String text;
        try (InputStream in = c.getInputStream()) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        long total = 0;
        // Route labels hold braces themselves ({name}), so a sample is matched as a whole line.
        Matcher m = Pattern.compile("(?m)^digits_http_requests_seconds_count\\{(.*)} ([0-9.eE+]+)$").matcher(text);
        while (m.find()) {
            String labels = m.group(1);
            if (labels.contains("status=\"" + status + "\"") && labels.contains("/files/")) {
                total += (long) Double.parseDouble(m.group(2));
            }
        }
        return total;
    }

    public static String sha256(Path file) throws IOException {
        return dev.digits.core.artifact.Digests.sha256(file);
    }

    @Override
    public void close() {
        server.close();
    }
}
