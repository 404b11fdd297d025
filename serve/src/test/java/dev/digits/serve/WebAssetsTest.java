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

    @Test
    void theApiIsStillAnsweredBesideTheStaticFiles() {
        assertEquals(200, http.get("/api/v1/models").status);
        assertEquals(200, http.get("/health").status);
    }
}
