package dev.digits.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.digits.serve.registry.EmbeddedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Health, metrics, the OpenAPI document, the access log, ports and graceful shutdown. */
class OperationsApiTest extends DefaultServerTest {
    @Test
    void healthIsReadyAndNamesTheLoadedModels() {
        Http.Response r = http.get("/health");
        assertEquals(200, r.status, r.text());
        assertEquals("ready", r.json().get("status").asText());
        JsonNode m = r.json().get("models").get(0);
        assertEquals("cnn", m.get("name").asText());
        assertEquals(1, m.get("version").asInt());
        assertEquals("onnxruntime", m.get("backend").asText(), "the cnn runs in ONNX Runtime");
        JsonNode serving = m.get("serving");
        assertEquals(TestModels.ONNX, serving.get("file").asText(), "the verified float32 ONNX file of the export");
        assertEquals("onnxruntime", serving.get("runtime").asText());
        assertEquals(64, serving.get("sha256").asText().length(), serving.toString());
    }

    @Test
    void aModelWithoutAVerifiedExportIsNotServed(@TempDir Path root) throws Exception {
        Path cnn = root.resolve("cnn");
        Files.createDirectories(cnn);
        EmbeddedModel.copyTo(cnn);
        TestModels.deleteTree(cnn.resolve("export"));
        try (DigitsServer bare = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).models(root).build())) {
            Http client = new Http(bare);
            assertEquals(503, client.get("/health").status);
            assertEquals(503, client.post("/api/v1/predict", "image/png", TestModels.mnistPng(0)).status);
            JsonNode version = client.get("/api/v1/models/cnn/versions/1").json();
            assertTrue(!version.has("serving"), "no file to serve: " + version);
        }
    }

    @Test
    void healthIsUnavailableWhenNoModelCouldBeLoaded(@TempDir Path root) throws Exception {
        Path cnn = root.resolve("cnn");
        Files.createDirectories(cnn);
        EmbeddedModel.copyTo(cnn);
        Files.write(cnn.resolve("weights.safetensors"), "damaged".getBytes(StandardCharsets.UTF_8));
        try (DigitsServer broken = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).models(root).build())) {
            Http client = new Http(broken);
            Http.Response r = client.get("/health");
            assertEquals(503, r.status, r.text());
            assertEquals("unavailable", r.json().get("status").asText());
            assertTrue(r.json().has("error") && r.json().has("detail"), r.text());
            Http.Response predict = client.post("/api/v1/predict", "image/png", TestModels.mnistPng(0));
            assertEquals(503, predict.status, predict.text());
        }
    }

    @Test
    void metricsCountRequestsByRouteStatusAndModelAndTimeInference() {
        http.post("/api/v1/predict", "image/png", TestModels.mnistPng(0));
        http.post("/api/v1/predict", "text/plain", new byte[]{1});
        Http.Response r = http.get("/metrics");
        assertEquals(200, r.status);
        assertTrue(r.header("Content-Type").startsWith("text/plain"), r.header("Content-Type"));
        String text = r.text();
        assertTrue(hasSample(text, "digits_http_requests_seconds_count", "route=\"/api/v1/predict\"", "status=\"200\"",
                "model=\"cnn\""), text);
        assertTrue(hasSample(text, "digits_http_requests_seconds_count", "route=\"/api/v1/predict\"", "status=\"415\""), text);
        assertTrue(hasSample(text, "digits_http_requests_seconds_bucket", "route=\"/api/v1/predict\"", "le=\"0.01\""), text);
        assertTrue(hasSample(text, "digits_inference_seconds_count", "model=\"cnn\""), text);
        assertTrue(hasSample(text, "digits_inference_seconds_bucket", "model=\"cnn\""), text);
        assertTrue(hasSample(text, "digits_inference_batch_images_count", "model=\"cnn\""), text);
    }

    private static boolean hasSample(String text, String name, String... labels) {
        for (String line : text.split("\n")) {
            if (!line.startsWith(name + "{")) continue;
            boolean all = true;
            for (String l : labels) all &= line.contains(l);
            if (all) return true;
        }
        return false;
    }

    @Test
    void theOpenApiDocumentDescribesEveryRouteAndNothingElse() {
        Http.Response r = http.get("/openapi.json");
        assertEquals(200, r.status);
        JsonNode doc = r.json();
        assertTrue(doc.get("openapi").asText().startsWith("3."), doc.get("openapi").asText());
        Set<String> documented = new HashSet<>();
        for (Iterator<String> paths = doc.get("paths").fieldNames(); paths.hasNext(); ) {
            String path = paths.next();
            for (Iterator<String> methods = doc.get("paths").get(path).fieldNames(); methods.hasNext(); ) {
                documented.add(methods.next().toUpperCase(Locale.ROOT) + " " + path);
            }
        }
        assertEquals(new HashSet<>(server.routes()), documented);
    }

    @Test
    void everyRouteIsAnsweredAtTheMethodAndPathTheOpenApiDocumentGives() {
        for (String route : server.routes()) {
            String path = route.substring(route.indexOf(' ') + 1)
                    .replace("{name}", "cnn").replace("{version}", "1").replace("{path}", "weights.safetensors");
            Http.Response r = route.startsWith("GET ") ? http.get(path) : http.post(path, "application/json", new byte[0]);
            assertFalse(r.status == 404 && r.text().contains("no route"), route + " is not routed: " + r.text());
            assertTrue(r.status < 500, route + " answered " + r);
        }
    }

    @Test
    void anUnknownRouteAnswersAJson404() {
        Http.Response r = http.get("/api/v1/nothing-here");
        assertEquals(404, r.status);
        assertTrue(r.json().get("detail").asText().contains("/openapi.json"), r.text());
    }

    @Test
    void portZeroListensOnAFreshEphemeralPort() throws Exception {
        try (DigitsServer other = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).build())) {
            assertTrue(other.port() > 0);
            assertNotEquals(server.port(), other.port());
            assertEquals(200, new Http(other).get("/health").status);
        }
    }

    @Test
    void aPortInUseIsReportedWithTheFix() {
        ServerStartException e = assertThrows(ServerStartException.class, () -> DigitsServer.start(
                ServerConfig.builder().port(server.port()).accessLog(false).build()));
        assertTrue(e.getMessage().contains("--port"), e.getMessage());
    }

    @Test
    void everyRequestWritesOneAccessLogLine() throws Exception {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (DigitsServer logged = DigitsServer.start(ServerConfig.builder().port(0).build())) {
            Http client = new Http(logged);
            System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
            client.post("/api/v1/predict", "image/png", TestModels.mnistPng(0));
            client.get("/api/v1/models/nosuch");
        } finally {
            System.setErr(original);
        }
        String log = captured.toString(StandardCharsets.UTF_8);
        long lines = log.lines().filter(l -> l.contains("dev.digits.serve.access")).count();
        assertEquals(2, lines, log);
        assertTrue(log.contains("\"POST /api/v1/predict\" 200") && log.contains("model=cnn"), log);
        assertTrue(java.util.regex.Pattern.compile("\" 200 \\d+\\.\\d\\d ms model=cnn").matcher(log).find(), log);
        assertTrue(log.contains("\"GET /api/v1/models/nosuch\" 404"), log);
    }

    @Test
    void shutdownLetsARequestInFlightFinishAndThenRefusesConnections() throws Exception {
        DigitsServer draining = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).build());
        int port = draining.port();
        byte[] png = TestModels.mnistPng(0);
        Thread closer = new Thread(draining::close, "closer");
        try (Socket socket = new Socket("localhost", port)) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/v1/predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\nContent-Length: "
                    + png.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(png, 0, 8);
            out.flush();
            // The request is now in the server's hands, waiting for the rest of its body.
            Thread.sleep(300);
            closer.start();
            Thread.sleep(500);
            assertTrue(closer.isAlive(), "shutdown waits for the request in flight");
            assertThrows(IOException.class, () -> new Socket("localhost", port).close(), "no new connections while draining");
            out.write(png, 8, png.length - 8);
            out.flush();
            InputStream in = socket.getInputStream();
            String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(response.startsWith("HTTP/1.1 200"), response);
            assertTrue(response.contains("\"found\":true"), response);
        }
        closer.join(15_000);
        assertTrue(!closer.isAlive(), "shutdown finished once the request was answered");
    }
}
