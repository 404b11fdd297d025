package dev.digits.serve;

import dev.digits.serve.api.Api;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The class-path directory /web (the web app, packaged by the build) is served at /. A build without it skips these
 * tests outside CI and fails them under CI ({@link RequiredRuntime}).
 */
class WebAssetsTest {
    private static DigitsServer server;
    private static Http http;

    @BeforeAll
    static void start() throws Exception {
        RequiredRuntime.require(Api.hasWebApp(), "this build packages no web app under " + Api.WEB_RESOURCES
                + " on the class path (serve's Maven build copies web/src there in process-resources)");
        TestModels.ensureEmbeddedModel();
        server = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).build());
        http = new Http(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void theRootServesTheWebAppsIndexFromTheClassPath() throws Exception {
        Http.Response r = http.get("/");
        assertEquals(200, r.status);
        assertTrue(r.header("Content-Type").startsWith("text/html"), r.header("Content-Type"));
        try (InputStream in = Api.class.getResourceAsStream(Api.WEB_RESOURCES + "/index.html")) {
            assertArrayEquals(in.readAllBytes(), r.body);
        }
    }

    /**
     * A browser (which accepts gzip) gets ONNX Runtime Web's WebAssembly gzipped — about a quarter of its 14.2 MB —
     * decompressing to exactly the packaged file, and a repeat visit that revalidates gets a 304 without a body. API
     * answers are sent as they are (with their exact Content-Length where they state one), whatever the client accepts.
     */
    @Test
    void theWebAppsFilesAreSentGzippedAndRevalidatedWhileApiAnswersAreNot() throws Exception {
        String wasm = "/vendor/onnxruntime-web/ort-wasm-simd-threaded.wasm";
        byte[] packaged;
        try (InputStream in = Api.class.getResourceAsStream(Api.WEB_RESOURCES + wasm)) {
            org.junit.jupiter.api.Assumptions.assumeTrue(in != null, "a build without onnxruntime-web (-Dskip.npm)");
            packaged = in.readAllBytes();
        }
        Http.Response r = http.get(wasm, "Accept-Encoding", "gzip");
        assertEquals(200, r.status);
        assertEquals("gzip", r.header("Content-Encoding"));
        assertTrue(r.body.length < packaged.length / 3, r.body.length + " bytes on the wire for " + packaged.length);
        try (InputStream in = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(r.body))) {
            assertArrayEquals(packaged, in.readAllBytes());
        }
        Http.Response again = http.get(wasm, "Accept-Encoding", "gzip", "If-None-Match", r.header("ETag"));
        assertEquals(304, again.status);
        assertEquals(0, again.body.length);
        for (String api : new String[] {"/api/v1/models", "/openapi.json", "/api/v1/models/cnn/files/export/cnn.onnx"}) {
            Http.Response a = http.get(api, "Accept-Encoding", "gzip");
            assertEquals(200, a.status, api);
            assertEquals(null, a.header("Content-Encoding"), api);
            String length = a.header("Content-Length");
            if (length != null) assertEquals(Long.toString(a.body.length), length, api);
        }
    }

    @Test
    void theApiIsStillAnsweredBesideTheStaticFiles() {
        assertEquals(200, http.get("/api/v1/models").status);
        assertEquals(200, http.get("/health").status);
    }
}
