package dev.digits.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** POST /api/v1/predict/batch over real HTTP. */
class BatchPredictApiTest {
    private static DigitsServer server;
    private static Http http;

    @BeforeAll
    static void start() throws Exception {
        TestModels.ensureEmbeddedModel();
        server = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).maxBatchImages(8).build());
        http = new Http(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    private static JsonNode single(byte[] png) {
        return http.post("/api/v1/predict", "image/png", png).json();
    }

    private static void assertClose(JsonNode expected, JsonNode actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).asDouble(), actual.get(i).asDouble(), 1e-5, "class " + i);
        }
    }

    @Test
    void jsonImagesAndPixelsAreAnsweredInOrderImagesFirst() {
        Map<String, Object> body = new HashMap<>();
        body.put("images", List.of(Base64.getEncoder().encodeToString(TestModels.mnistPng(0)),
                Base64.getEncoder().encodeToString(TestModels.mnistPng(1))));
        body.put("pixels", List.of(TestModels.mnistPixels(2)));
        Http.Response r = http.postJson("/api/v1/predict/batch", body);
        assertEquals(200, r.status, r.text());
        JsonNode results = r.json().get("results");
        assertEquals(3, results.size());
        assertEquals("images[0]", results.get(0).get("source").asText());
        assertEquals("images[1]", results.get(1).get("source").asText());
        assertEquals("pixels[0]", results.get(2).get("source").asText());
        // The same network on a batch rather than one image: equal up to float rounding in the kernels.
        assertClose(single(TestModels.mnistPng(0)).get("probabilities"), results.get(0).get("probabilities"));
        assertClose(single(TestModels.mnistPng(1)).get("probabilities"), results.get(1).get("probabilities"));
        JsonNode viaPixels = http.postJson("/api/v1/predict", Map.of("pixels", TestModels.mnistPixels(2))).json();
        assertClose(viaPixels.get("probabilities"), results.get(2).get("probabilities"));
        assertEquals("cnn", r.json().get("model").get("name").asText());
    }

    @Test
    void severalMultipartImageFieldsAreAnsweredOneByOne() {
        Http.Multipart form = new Http.Multipart();
        for (int i = 0; i < 5; i++) form.file("image", i + ".png", "image/png", TestModels.mnistPng(i));
        Http.Response r = http.postMultipart("/api/v1/predict/batch", form);
        assertEquals(200, r.status, r.text());
        JsonNode results = r.json().get("results");
        assertEquals(5, results.size());
        for (int i = 0; i < 5; i++) {
            assertEquals(single(TestModels.mnistPng(i)).get("digit"), results.get(i).get("digit"), "image " + i);
        }
    }

    @Test
    void aBlankImageInABatchAnswersNoDigitFoundForThatImageOnly() {
        Http.Multipart form = new Http.Multipart()
                .file("image", "blank.png", "image/png", TestModels.blankPng(40))
                .file("image", "seven.png", "image/png", TestModels.mnistPng(0));
        JsonNode results = http.postMultipart("/api/v1/predict/batch", form).json().get("results");
        assertFalse(results.get(0).get("found").asBoolean());
        assertEquals("no digit found", results.get(0).get("message").asText());
        assertTrue(results.get(1).get("found").asBoolean());
    }

    @Test
    void moreImagesThanTheBatchLimitAnswer413() {
        List<float[]> pixels = new ArrayList<>();
        for (int i = 0; i < 9; i++) pixels.add(TestModels.mnistPixels(i));
        Http.Response r = http.postJson("/api/v1/predict/batch", Map.of("pixels", pixels));
        assertEquals(413, r.status, r.text());
        assertTrue(r.json().get("detail").asText().contains("8"), r.text());
    }

    @Test
    void aWrongSizedImageInABatchAnswers400NamingIt() {
        Http.Response r = http.postJson("/api/v1/predict/batch",
                Map.of("pixels", List.of(TestModels.mnistPixels(0), new float[100])));
        assertEquals(400, r.status, r.text());
        assertTrue(r.json().get("detail").asText().contains("pixels[1]"), r.text());
    }

    @Test
    void pixelsThatAreNotAnArrayOfImagesAnswer400() {
        Http.Response r = http.postJson("/api/v1/predict/batch", Map.of("pixels", List.of(0.5, 0.5)));
        assertEquals(400, r.status, r.text());
    }

    @Test
    void anEmptyBatchAnswers400() {
        Http.Response r = http.postJson("/api/v1/predict/batch", Map.of("images", List.of()));
        assertEquals(400, r.status, r.text());
    }
}
