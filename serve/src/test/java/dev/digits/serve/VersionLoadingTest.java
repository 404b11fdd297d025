package dev.digits.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Versions are loaded on the server's loader thread, never on a request's: a request for a version that is not
 * loaded answers 503 with {@code Retry-After} at once and starts its load; asked again, it is served.
 */
class VersionLoadingTest {
    @Test
    void aVersionThatIsNotLoadedAnswers503WithRetryAfterUntilItIsServed(@TempDir Path root) throws Exception {
        TestModels.copyModel(TestModels.secondModel(), root.resolve("cnn/versions/1"));
        Files.createDirectories(root.resolve("cnn/versions/2"));
        TestModels.copyModel(TestModels.embeddedModel(), root.resolve("cnn/versions/2"));
        // Room for one version only: the latest (2) is loaded at start-up, version 1 is not.
        try (DigitsServer server = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).models(root)
                .maxLoadedVersions(1).build())) {
            Http http = new Http(server);
            JsonNode listed = http.get("/api/v1/models/cnn/versions/1").json().get("serving");
            assertFalse(listed.get("loaded").asBoolean(), listed.toString());

            Http.Response first = http.post("/api/v1/predict?version=1", "image/png", TestModels.mnistPng(0));
            assertEquals(503, first.status, first.text());
            assertEquals("1", first.header("Retry-After"));
            assertTrue(first.json().get("detail").asText().contains("being loaded"), first.text());
            // The latest keeps answering meanwhile.
            assertEquals(200, http.post("/api/v1/predict", "image/png", TestModels.mnistPng(0)).status);

            Http.Response r = first;
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (r.status == 503 && System.nanoTime() < deadline) {
                Thread.sleep(Long.parseLong(r.header("Retry-After")) * 100);
                r = http.post("/api/v1/predict?version=1", "image/png", TestModels.mnistPng(0));
                if (r.status == 503) assertEquals("1", r.header("Retry-After"), r.text());
            }
            assertEquals(200, r.status, r.text());
            assertEquals(1, r.json().get("model").get("version").asInt());
            assertEquals(TestModels.weightsSha256(TestModels.secondModel()), r.json().get("model").get("sha256").asText());
            assertTrue(http.get("/api/v1/models/cnn/versions/1").json().get("serving").get("loaded").asBoolean());
        }
    }

    @Test
    void aVersionThatCannotBeLoadedAnswers503WithoutRetryAfter(@TempDir Path root) throws Exception {
        TestModels.copyModel(TestModels.secondModel(), root.resolve("cnn/versions/1"));
        Files.delete(root.resolve("cnn/versions/1/export/manifest.json"));
        TestModels.copyModel(TestModels.embeddedModel(), root.resolve("cnn/versions/2"));
        try (DigitsServer server = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).models(root).build())) {
            Http http = new Http(server);
            Http.Response r = http.post("/api/v1/predict?version=1", "image/png", TestModels.mnistPng(0));
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (r.header("Retry-After") != null && System.nanoTime() < deadline) {
                Thread.sleep(100);
                r = http.post("/api/v1/predict?version=1", "image/png", TestModels.mnistPng(0));
            }
            assertEquals(503, r.status, r.text());
            assertTrue(r.json().get("detail").asText().contains("could not be loaded"), r.text());
            assertEquals(200, http.post("/api/v1/predict", "image/png", TestModels.mnistPng(0)).status);
        }
    }
}
