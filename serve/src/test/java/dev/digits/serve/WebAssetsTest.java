package dev.digits.serve;

import dev.digits.serve.api.Api;
import dev.digits.serve.api.WebAssets;
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
     * A browser (which accepts gzip) gets TensorFlow.js' WebAssembly gzipped, decompressing to exactly the packaged
     * file, under a versioned URL it may keep a year; a repeat request that revalidates gets a 304 without a body. API
     * answers are sent as they are (with their exact Content-Length where they state one), whatever the client accepts.
     */
    @Test
    void theWebAppsFilesAreSentGzippedAndRevalidatedWhileApiAnswersAreNot() throws Exception {
        String wasm = "/vendor/tfjs-4.22.0/tfjs-backend-wasm-simd.wasm";
        byte[] packaged;
        try (InputStream in = Api.class.getResourceAsStream(Api.WEB_RESOURCES + wasm)) {
            org.junit.jupiter.api.Assumptions.assumeTrue(in != null, "a build without TensorFlow.js (-Dskip.npm)");
            packaged = in.readAllBytes();
        }
        Http.Response r = http.get(wasm, "Accept-Encoding", "gzip, deflate, br");
        assertEquals(200, r.status);
        assertEquals("gzip", r.header("Content-Encoding"));
        assertEquals("application/wasm", r.header("Content-Type"));
        assertEquals("Accept-Encoding", r.header("Vary"));
        assertEquals(WebAssets.IMMUTABLE, r.header("Cache-Control"));
        assertEquals(Long.toString(r.body.length), r.header("Content-Length"));
        assertTrue(r.body.length < packaged.length / 2, r.body.length + " bytes on the wire for " + packaged.length);
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

    /**
     * A client that does not accept gzip (or refuses it with q=0) gets the file as it is, under another ETag than the
     * gzipped one, so that no cache hands one representation to a client that asked for the other.
     */
    @Test
    void aClientThatRefusesGzipGetsTheFileAsItIsUnderItsOwnEtag() throws Exception {
        byte[] packaged;
        try (InputStream in = Api.class.getResourceAsStream(Api.WEB_RESOURCES + "/app.js")) {
            packaged = in.readAllBytes();
        }
        Http.Response plain = http.get("/app.js", "Accept-Encoding", "gzip;q=0, identity");
        Http.Response gzipped = http.get("/app.js", "Accept-Encoding", "gzip");
        assertEquals(null, plain.header("Content-Encoding"));
        assertArrayEquals(packaged, plain.body);
        assertEquals("Accept-Encoding", plain.header("Vary"));
        assertEquals("gzip", gzipped.header("Content-Encoding"));
        assertTrue(!plain.header("ETag").equals(gzipped.header("ETag")), plain.header("ETag"));
        assertEquals(200, http.get("/app.js", "Accept-Encoding", "gzip;q=0", "If-None-Match", gzipped.header("ETag")).status,
                "the gzipped ETag does not validate the plain file");
    }

    /** The page and the service worker are revalidated on every use, so that a new server is seen at once. */
    @Test
    void thePageAndTheServiceWorkerAreRevalidatedOnEveryUse() {
        for (String path : new String[] {"/", "/sw.js", "/app.js"}) {
            Http.Response r = http.get(path, "Accept-Encoding", "gzip");
            assertEquals(200, r.status, path);
            assertEquals(WebAssets.REVALIDATE, r.header("Cache-Control"), path);
            Http.Response again = http.get(path, "Accept-Encoding", "gzip", "If-None-Match", r.header("ETag"));
            assertEquals(304, again.status, path);
            assertEquals(WebAssets.REVALIDATE, again.header("Cache-Control"), path);
        }
        assertEquals(404, http.get("/vendor/").status, "a directory is no file");
    }

    @Test
    void theApiIsStillAnsweredBesideTheStaticFiles() {
        assertEquals(200, http.get("/api/v1/models").status);
        assertEquals(200, http.get("/health").status);
    }
}
