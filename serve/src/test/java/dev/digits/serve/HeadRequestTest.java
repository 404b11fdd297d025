package dev.digits.serve;

import dev.digits.serve.api.Api;
import dev.digits.serve.registry.EmbeddedModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * HEAD answers what GET would — same status, same headers (ETag, Content-Length, caching), no body — on a server
 * whose only model has no verified export, so that {@code /health} is 503 while its files still download: a load
 * balancer probing with HEAD must not see a server that cannot predict as ready.
 */
class HeadRequestTest {
    private static final String VERSIONED = "/api/v1/models/cnn/versions/1/files/weights.safetensors";
    private static final String LATEST = "/api/v1/models/cnn/files/weights.safetensors";

    @TempDir
    static Path root;
    private static DigitsServer server;
    private static Http http;

    @BeforeAll
    static void startServerWithoutAServableModel() throws Exception {
        TestModels.ensureEmbeddedModel();
        Path cnn = root.resolve("cnn");
        Files.createDirectories(cnn);
        EmbeddedModel.copyTo(cnn);
        TestModels.deleteTree(cnn.resolve("export"));
        server = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).models(root).build());
        http = new Http(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void headOfHealthAnswersGetsStatusWithoutABody() {
        Http.Response get = http.get("/health");
        assertEquals(503, get.status, "no model is loaded: " + get.text());
        Http.Response head = http.head("/health");
        assertEquals(get.status, head.status, "HEAD /health must not claim a readiness GET denies");
        assertEquals(get.header("Content-Type"), head.header("Content-Type"));
        assertEquals(Integer.toString(get.body.length), head.header("Content-Length"));
        Http.Raw raw = http.raw("HEAD", "/health");
        assertEquals(503, raw.status, raw.head);
        assertEquals(0, raw.body.length, "a HEAD answer has no body: " + new String(raw.body));
    }

    @Test
    void headOfAFileDownloadGivesGetsStatusEtagAndLengthWithoutABody() {
        for (String path : List.of(VERSIONED, LATEST)) {
            Http.Response get = http.get(path);
            assertEquals(200, get.status, path + ": " + get);
            assertNotNull(get.header("ETag"), path);
            Http.Response head = http.head(path);
            assertEquals(get.status, head.status, path);
            for (String h : List.of("ETag", "Content-Length", "Content-Type", "Cache-Control", "X-Model-Version",
                    "Content-Location")) {
                assertEquals(get.header(h), head.header(h), path + " " + h);
            }
            assertEquals(Integer.toString(get.body.length), head.header("Content-Length"), path);
            Http.Raw raw = http.raw("HEAD", path);
            assertEquals(200, raw.status, raw.head);
            assertTrue(raw.head.contains("Content-Length: " + get.body.length), raw.head);
            assertEquals(0, raw.body.length, path + ": a HEAD answer has no body");

            Http.Response notModified = http.head(path, "If-None-Match", get.header("ETag"));
            assertEquals(304, notModified.status, path);
            assertEquals(get.header("ETag"), notModified.header("ETag"), path);
        }
    }

    @Test
    void headOfAMissingFileIs404() {
        for (String path : List.of("/api/v1/models/cnn/versions/1/files/export/nosuch.onnx",
                "/api/v1/models/cnn/files/nosuch.bin", "/api/v1/models/nosuch/files/weights.safetensors",
                "/api/v1/models/cnn/versions/9/files/weights.safetensors")) {
            assertEquals(404, http.get(path).status, path);
            assertEquals(404, http.head(path).status, path);
            Http.Raw raw = http.raw("HEAD", path);
            assertEquals(404, raw.status, raw.head);
            assertEquals(0, raw.body.length, path);
        }
    }

    @Test
    void headOfEveryGetRouteAnswersGetsStatus() {
        for (String route : server.routes()) {
            if (!route.startsWith("GET ")) continue;
            String path = route.substring(4)
                    .replace("{name}", "cnn").replace("{version}", "1").replace("{path}", "weights.safetensors");
            Http.Response get = http.get(path);
            Http.Raw head = http.raw("HEAD", path);
            assertEquals(get.status, head.status, route + ": " + head.head);
            assertEquals(0, head.body.length, route);
        }
    }

    @Test
    void headOfARouteWithoutGetIs405WithAllow() {
        Http.Response r = http.head("/api/v1/predict");
        assertEquals(405, r.status);
        assertNotNull(r.header("Allow"), "a 405 names the allowed methods");
        assertTrue(r.header("Allow").contains("POST"), r.header("Allow"));
    }

    @Test
    void headOfAStaticAssetMatchesGet() {
        if (!Api.hasWebApp()) return; // WebAssetsTest reports a build without the web app
        Http.Response get = http.get("/");
        Http.Response head = http.head("/");
        assertEquals(get.status, head.status);
        assertEquals(get.header("ETag"), head.header("ETag"));
        assertEquals(get.header("Content-Type"), head.header("Content-Type"));
        assertEquals(get.header("Content-Length"), head.header("Content-Length"));
        assertEquals(0, http.raw("HEAD", "/").body.length);
    }
}
