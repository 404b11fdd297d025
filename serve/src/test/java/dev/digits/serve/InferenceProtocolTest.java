package dev.digits.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.digits.core.data.ImageSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The Open Inference Protocol (KServe v2) over real HTTP, as its clients use it: health, server and model metadata
 * naming the served file's tensors, inference on MNIST test digits giving the same probabilities as the Digits API,
 * and errors in the protocol's {@code {"error"}} shape.
 */
class InferenceProtocolTest {
    private static DigitsServer server;
    private static Http http;
    private static ImageSet test;

    @BeforeAll
    static void start() throws Exception {
        TestModels.ensureEmbeddedModel();
        server = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).build());
        http = new Http(server);
        test = TestModels.mnistTest();
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void healthAndServerMetadata() {
        assertEquals(200, http.get("/v2/health/live").status);
        Http.Response ready = http.get("/v2/health/ready");
        assertEquals(200, ready.status);
        assertTrue(ready.json().get("ready").asBoolean());
        JsonNode meta = http.get("/v2").json();
        assertEquals("digits", meta.get("name").asText());
        assertTrue(meta.has("version") && meta.get("extensions").isArray());
        assertEquals(200, http.get("/v2/models/cnn/ready").status);
    }

    @Test
    void modelMetadataNamesTheServedFilesTensors() {
        JsonNode m = http.get("/v2/models/cnn").json();
        assertEquals("cnn", m.get("name").asText());
        assertEquals("onnxruntime_onnx", m.get("platform").asText());
        assertEquals("1", m.get("versions").get(0).asText());
        JsonNode in = m.get("inputs").get(0);
        assertEquals("FP32", in.get("datatype").asText());
        long values = 1;
        for (int i = 1; i < in.get("shape").size(); i++) values *= in.get("shape").get(i).asLong();
        assertEquals(784, values, "one 28×28 image per batch entry: " + in);
        JsonNode out = m.get("outputs").get(0);
        assertEquals(10, out.get("shape").get(out.get("shape").size() - 1).asInt());
        assertEquals(m, http.get("/v2/models/cnn/versions/1").json());
    }

    @Test
    void inferenceGivesTheDigitsApisProbabilities() {
        StringBuilder data = new StringBuilder();
        for (int i = 0; i < 2; i++) {
            for (float v : test.image(i)) data.append(data.length() == 0 ? "" : ",").append(v);
        }
        Http.Response r = infer("/v2/models/cnn/infer", "{\"id\": \"42\", \"inputs\": [{\"name\": \"input\", \"shape\": [2, 784],"
                + " \"datatype\": \"FP32\", \"data\": [" + data + "]}]}");
        assertEquals(200, r.status, r.text());
        JsonNode body = r.json();
        assertEquals("cnn", body.get("model_name").asText());
        assertEquals("1", body.get("model_version").asText());
        assertEquals("42", body.get("id").asText());
        JsonNode out = body.get("outputs").get(0);
        assertEquals("FP32", out.get("datatype").asText());
        assertEquals("[2,10]", out.get("shape").toString());
        for (int i = 0; i < 2; i++) {
            int best = 0;
            for (int k = 1; k < 10; k++) if (out.get("data").get(i * 10 + k).asDouble() > out.get("data").get(i * 10 + best).asDouble()) best = k;
            assertEquals(test.label(i), best, "image " + i);
            StringBuilder px = new StringBuilder();
            for (float v : test.image(i)) px.append(px.length() == 0 ? "" : ",").append(v);
            JsonNode api = http.post("/api/v1/predict", "application/json",
                    ("{\"pixels\": [" + px + "]}").getBytes(StandardCharsets.UTF_8)).json();
            for (int k = 0; k < 10; k++) {
                assertEquals(api.get("probabilities").get(k).asDouble(), out.get("data").get(i * 10 + k).asDouble(), 1e-6);
            }
        }
    }

    @Test
    void aNestedImageTensorAndAVersionedUrlWork() {
        StringBuilder rows = new StringBuilder("[[");
        float[] px = test.image(3);
        for (int y = 0; y < 28; y++) {
            rows.append(y == 0 ? "[" : ",[");
            for (int x = 0; x < 28; x++) rows.append(x == 0 ? "" : ",").append("[").append(px[y * 28 + x]).append("]");
            rows.append("]");
        }
        rows.append("]]");
        Http.Response r = infer("/v2/models/cnn/versions/1/infer", "{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 28, 28, 1],"
                + " \"datatype\": \"FP32\", \"data\": " + rows + "}]}");
        assertEquals(200, r.status, r.text());
        assertEquals(10, r.json().get("outputs").get(0).get("data").size());
    }

    @Test
    void theTensorsFieldsMayComeInAnyOrder() {
        StringBuilder data = new StringBuilder();
        for (float v : test.image(5)) data.append(data.length() == 0 ? "" : ",").append(v);
        Http.Response r = infer("/v2/models/cnn/infer", "{\"inputs\": [{\"data\": [[" + data + "]], \"parameters\": {\"x\": [1]},"
                + " \"datatype\": \"FP32\", \"shape\": [1, 784], \"name\": \"input\"}], \"id\": 7}");
        assertEquals(200, r.status, r.text());
        assertEquals("7", r.json().get("id").asText());
        JsonNode out = r.json().get("outputs").get(0).get("data");
        int best = 0;
        for (int k = 1; k < 10; k++) if (out.get(k).asDouble() > out.get(best).asDouble()) best = k;
        assertEquals(test.label(5), best);
    }

    @Test
    void errorsComeInTheProtocolsShape() {
        String one = "{\"inputs\": [{\"name\": \"input\", \"shape\": [1, 784], \"datatype\": \"FP32\", \"data\": [" + "0,".repeat(783) + "0]}]}";
        assertProtocolError(infer("/v2/models/nope/infer", one), 404);
        assertProtocolError(infer("/v2/models/cnn/versions/9/infer", one), 404);
        assertProtocolError(infer("/v2/models/cnn/infer", one.replace("[1, 784]", "[1, 100]")), 400);
        assertProtocolError(infer("/v2/models/cnn/infer", one.replace("FP32", "INT8")), 400);
        assertProtocolError(infer("/v2/models/cnn/infer", one.replace("[0,", "[2,")), 400);
        assertProtocolError(infer("/v2/models/cnn/infer", "{\"inputs\": []}"), 400);
        assertProtocolError(infer("/v2/models/cnn/infer", one.replace("[0,", "[\"a\",")), 400);
        assertProtocolError(infer("/v2/models/cnn/infer", one.replace("0]}", "0,0]}")), 400);
        assertProtocolError(infer("/v2/models/cnn/infer", one.replace("}]}", "}, " + one.substring(12, one.length() - 1) + "}")), 400);
        assertProtocolError(infer("/v2/models/cnn/infer", "{\"inputs\": [{\"data\": [0, 1"), 400);
        assertProtocolError(http.get("/v2/models/nope"), 404);
        assertProtocolError(http.get("/v2/models/cnn/versions/9/ready"), 404);
    }

    private static Http.Response infer(String path, String json) {
        return http.post(path, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    private static void assertProtocolError(Http.Response r, int status) {
        assertEquals(status, r.status, r.text());
        JsonNode body = r.json();
        assertTrue(body.get("error").isTextual() && !body.get("error").asText().isBlank(), r.text());
        assertFalse(body.has("detail"), "the protocol's shape is {\"error\": message}: " + r.text());
    }
}
