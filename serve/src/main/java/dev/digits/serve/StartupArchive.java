package dev.digits.serve;

import dev.digits.serve.inference.VersionVerifier;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * The start-up the server distribution's class-data archive records. The build runs
 * {@code java -XX:ArchiveClassesAtExit=digits-server.jsa -cp digits-server.jar dev.digits.serve.StartupArchive}: the
 * embedded model is served on a loopback port and asked what clients ask first (health, the catalogue, a canvas PNG,
 * pixels, the web app, a model download, metrics), then the server stops and the JVM writes every class it loaded into
 * the archive. The {@code digits-server} launcher maps that archive, so those classes are not parsed and verified
 * again at each start — about half the start-up time (BENCHMARKS.md, "Server footprint").
 *
 * <p>The archive belongs to the Java runtime that wrote it and to the distribution's location; any other Java, or a
 * moved distribution, ignores it and starts as {@code java -jar digits-server.jar} does.
 */
public final class StartupArchive {
    private StartupArchive() {
    }

    public static void main(String[] args) throws Exception {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        try (DigitsServer server = DigitsServer.start(ServerConfig.builder().host("127.0.0.1").port(0).build())) {
            String base = "http://127.0.0.1:" + server.port();
            byte[] canvas;
            try (InputStream in = StartupArchive.class.getResourceAsStream(VersionVerifier.RESOURCE)) {
                canvas = in.readAllBytes();
            }
            StringBuilder pixels = new StringBuilder("{\"pixels\":[");
            for (int i = 0; i < 28 * 28; i++) pixels.append(i == 0 ? "" : ",").append(i % 29 == 0 ? "1" : "0");
            pixels.append("]}");
            expect(200, "GET", base + "/health", null, null);
            expect(200, "GET", base + "/api/v1/models", null, null);
            expect(200, "POST", base + "/api/v1/predict", "image/png", canvas);
            expect(200, "POST", base + "/api/v1/predict", "application/json", pixels.toString().getBytes(StandardCharsets.UTF_8));
            expect(200, "GET", base + "/", null, null);
            expect(200, "GET", base + "/api/v1/models/cnn/files/export/cnn.onnx", null, null);
            expect(404, "GET", base + "/api/v1/models/no-such-model", null, null);
            expect(200, "GET", base + "/metrics", null, null);
        }
    }

    private static void expect(int status, String method, String url, String type, byte[] body) throws IOException {
        HttpURLConnection c = (HttpURLConnection) URI.create(url).toURL().openConnection();
        c.setRequestMethod(method);
        if (body != null) {
            c.setDoOutput(true);
            c.setRequestProperty("Content-Type", type);
            try (OutputStream out = c.getOutputStream()) {
                out.write(body);
            }
        }
        int answered = c.getResponseCode();
        InputStream in = answered < 400 ? c.getInputStream() : c.getErrorStream();
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        if (in != null) {
            try (in) {
                in.transferTo(sink);
            }
        }
        if (answered != status) {
            throw new IllegalStateException(method + " " + url + " answered " + answered + ", expected " + status + ": "
                    + sink.toString(StandardCharsets.UTF_8));
        }
    }
}
