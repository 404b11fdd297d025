package dev.digits.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.digits.serve.registry.EmbeddedModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The catalogue and downloads over real HTTP, on a models directory holding a model in both layouts: version 1 written
 * straight into {@code models/cnn/} (a second cnn exported as ONNX only) and version 2 in {@code models/cnn/versions/2/}
 * (the embedded model with every export {@code digits export} made: ONNX, TFLite and TF.js, verified, with its report
 * and manifest).
 */
class ModelsApiTest {
    private static DigitsServer server;
    private static Http http;
    private static Path v1;
    private static Path v2;
    /** The float32 ONNX file of version 2, which the server runs. */
    private static final String onnxFile = TestModels.ONNX;

    @BeforeAll
    static void start(@TempDir Path root) throws Exception {
        TestModels.ensureEmbeddedModel();
        v1 = root.resolve("cnn");
        TestModels.copyModel(TestModels.secondModel(), v1);
        v2 = v1.resolve("versions/2");
        Files.createDirectories(v2);
        EmbeddedModel.copyTo(v2);
        server = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).models(root).build());
        http = new Http(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }

    private static JsonNode format(JsonNode version, String format, String quantization) {
        for (JsonNode f : version.get("formats")) {
            if (f.get("format").asText().equals(format) && f.get("quantization").asText().equals(quantization)) return f;
        }
        throw new AssertionError("no " + format + " " + quantization + " in " + version);
    }

    @Test
    void theCatalogueListsEveryVersionWithTheLatestMarked() {
        JsonNode models = http.get("/api/v1/models").json().get("models");
        assertEquals(1, models.size());
        JsonNode cnn = models.get(0);
        assertEquals("cnn", cnn.get("name").asText());
        assertEquals(2, cnn.get("latest").asInt());
        assertTrue(cnn.get("default").asBoolean());
        assertEquals(2, cnn.get("versions").size());
        assertEquals(1, cnn.get("versions").get(0).get("version").asInt());
        assertEquals(false, cnn.get("versions").get(0).get("latest").asBoolean());
        assertEquals(true, cnn.get("versions").get(1).get("latest").asBoolean());
    }

    @Test
    void eachFormatIsListedWithTheSizeAndDigestOfItsFile() throws Exception {
        JsonNode v = http.get("/api/v1/models/cnn/versions/2").json();
        JsonNode onnx = format(v, "onnx", "float32");
        byte[] file = Files.readAllBytes(v2.resolve(onnxFile));
        assertEquals(onnxFile, onnx.get("file").asText());
        assertEquals(file.length, onnx.get("size").asLong());
        assertEquals(sha256(file), onnx.get("sha256").asText());
        assertEquals("/api/v1/models/cnn/versions/2/files/" + onnxFile, onnx.get("url").asText());
        assertEquals(sha256(Files.readAllBytes(v2.resolve("weights.safetensors"))), v.get("sha256").asText());
        assertNotNull(format(v, "onnx", "int8-dynamic"));
        assertNotNull(format(v, "safetensors", "float32"));
        assertEquals("onnx", v.get("formats").get(0).get("format").asText(), "ONNX float32 comes first");
    }

    @Test
    void theExportReportsFiguresTravelWithTheFormat() {
        JsonNode report = format(http.get("/api/v1/models/cnn/versions/2").json(), "onnx", "float32").get("report");
        assertNotNull(report, "report.json's entry for " + onnxFile);
        assertTrue(report.get("accuracy").asDouble() > 0.5, report.toString());
        assertTrue(report.has("agreement"), report.toString());
    }

    @Test
    void aTfjsModelIsListedWithItsShards() {
        JsonNode tfjs = format(http.get("/api/v1/models/cnn/versions/2").json(), "tfjs", "float32");
        assertEquals("export/tfjs/model.json", tfjs.get("file").asText());
        assertTrue(tfjs.get("files").size() >= 2, tfjs.toString());
        long total = 0;
        for (JsonNode f : tfjs.get("files")) total += f.get("size").asLong();
        assertEquals(total, tfjs.get("size").asLong());
    }

    @Test
    void theTestMetricsOfTheModelCardAreListed() {
        JsonNode metrics = http.get("/api/v1/models/cnn/versions/1").json().get("metrics");
        assertTrue(metrics.get("accuracy").asDouble() > 0.5, metrics.toString());
        assertTrue(metrics.has("loss"), metrics.toString());
        assertTrue(!metrics.has("perClass"), "per-class detail stays in the model card");
    }

    @Test
    void aVersionedFileDownloadsWithAStrongEtagAndImmutableCaching() throws Exception {
        Http.Response r = http.get("/api/v1/models/cnn/versions/2/files/" + onnxFile);
        assertEquals(200, r.status);
        byte[] file = Files.readAllBytes(v2.resolve(onnxFile));
        assertArrayEquals(file, r.body);
        assertEquals("\"" + sha256(file) + "\"", r.header("ETag"));
        assertEquals("public, max-age=31536000, immutable", r.header("Cache-Control"));
        assertEquals(Long.toString(file.length), r.header("Content-Length"));
    }

    @Test
    void aMatchingIfNoneMatchAnswers304WithoutABody() {
        String etag = http.get("/api/v1/models/cnn/versions/2/files/" + onnxFile).header("ETag");
        Http.Response r = http.get("/api/v1/models/cnn/versions/2/files/" + onnxFile, "If-None-Match", etag);
        assertEquals(304, r.status);
        assertEquals(0, r.body.length);
        assertEquals(etag, r.header("ETag"));
        Http.Response weak = http.get("/api/v1/models/cnn/versions/2/files/" + onnxFile, "If-None-Match",
                "\"other\", W/" + etag);
        assertEquals(304, weak.status);
    }

    @Test
    void anIfNoneMatchForOtherContentAnswersTheFile() {
        Http.Response r = http.get("/api/v1/models/cnn/versions/2/files/" + onnxFile, "If-None-Match", "\"0000\"");
        assertEquals(200, r.status);
        assertTrue(r.body.length > 0);
    }

    @Test
    void theLatestUrlServesTheLatestVersionAndMustBeRevalidated() throws Exception {
        Http.Response r = http.get("/api/v1/models/cnn/files/weights.safetensors");
        assertEquals(200, r.status);
        assertArrayEquals(Files.readAllBytes(v2.resolve("weights.safetensors")), r.body);
        assertEquals("no-cache", r.header("Cache-Control"));
        assertEquals("2", r.header("X-Model-Version"));
        assertEquals("/api/v1/models/cnn/versions/2/files/weights.safetensors", r.header("Content-Location"));
        assertEquals(304, http.get("/api/v1/models/cnn/files/weights.safetensors", "If-None-Match", r.header("ETag")).status);
    }

    @Test
    void tfjsShardsResolveRelativeToTheModelJsonUrlAsLoadLayersModelDoes() throws Exception {
        String modelJsonPath = "/api/v1/models/cnn/versions/2/files/export/tfjs/model.json";
        Http.Response modelJson = http.get(modelJsonPath);
        assertEquals(200, modelJson.status);
        assertEquals("application/json", modelJson.header("Content-Type"));
        URI base = server.uri().resolve(modelJsonPath);
        int shards = 0;
        for (JsonNode group : modelJson.json().get("weightsManifest")) {
            for (JsonNode p : group.get("paths")) {
                Http.Response shard = http.get(base.resolve(p.asText()).getPath());
                assertEquals(200, shard.status, p.asText());
                assertArrayEquals(Files.readAllBytes(v2.resolve("export/tfjs").resolve(p.asText())), shard.body);
                shards++;
            }
        }
        assertTrue(shards > 0);
    }

    @Test
    void theVersionWrittenStraightIntoTheModelDirectoryIsVersionOne() throws Exception {
        Http.Response r = http.get("/api/v1/models/cnn/versions/1/files/weights.safetensors");
        assertEquals(200, r.status);
        assertArrayEquals(Files.readAllBytes(server.models().registry().root().resolve("cnn/weights.safetensors")), r.body);
    }

    @Test
    void trainingLeftoversAreNotServed() {
        assertEquals(404, http.get("/api/v1/models/cnn/versions/2/files/history.csv").status);
        assertEquals(404, http.get("/api/v1/models/cnn/versions/1/files/versions/2/weights.safetensors").status);
    }

    @Test
    void aPathLeavingTheVersionDirectoryAnswers404() {
        Http.Response r = http.get("/api/v1/models/cnn/versions/2/files/..%2F..%2Flatest");
        assertTrue(r.status == 404 || r.status == 400, r.toString());
        assertTrue(r.json().has("error"), r.text());
    }

    @Test
    void anUnknownModelAnswers404() {
        Http.Response r = http.get("/api/v1/models/nosuch");
        assertEquals(404, r.status);
        assertTrue(r.json().get("detail").asText().contains("cnn"), "names the models there are: " + r.text());
    }

    @Test
    void anUnknownVersionAnswers404ListingTheVersions() {
        Http.Response r = http.get("/api/v1/models/cnn/versions/7/files/weights.safetensors");
        assertEquals(404, r.status);
        assertTrue(r.json().get("detail").asText().contains("1, 2"), r.text());
    }

    @Test
    void aVersionThatIsNotANumberAnswers400() {
        assertEquals(400, http.get("/api/v1/models/cnn/versions/two").status);
    }

    @Test
    void theFileTheServerRunsIsNamedWithTheDigestOfItsVersionedDownload() throws Exception {
        JsonNode health = http.get("/health").json().get("models").get(0);
        assertEquals(2, health.get("version").asInt());
        JsonNode serving = health.get("serving");
        assertEquals(onnxFile, serving.get("file").asText());
        assertEquals("onnxruntime", serving.get("runtime").asText());
        String url = serving.get("url").asText();
        assertEquals("/api/v1/models/cnn/versions/2/files/" + onnxFile, url);
        Http.Response download = http.get(url);
        assertEquals(200, download.status);
        assertEquals(sha256(download.body), serving.get("sha256").asText(), "the served digest is the download's");
        assertEquals("\"" + serving.get("sha256").asText() + "\"", download.header("ETag"));
        assertArrayEquals(Files.readAllBytes(v2.resolve(onnxFile)), download.body);

        JsonNode listed = http.get("/api/v1/models/cnn/versions/2").json().get("serving");
        assertEquals(serving.get("sha256").asText(), listed.get("sha256").asText());
        assertEquals(url, listed.get("url").asText());
        assertTrue(listed.get("loaded").asBoolean());
        assertEquals(format(http.get("/api/v1/models/cnn/versions/2").json(), "onnx", "float32").get("sha256").asText(),
                listed.get("sha256").asText(), "the served file is the listed float32 ONNX format");
    }

    @Test
    void everyVersionNamesTheFileItIsServedFrom() throws Exception {
        for (JsonNode v : http.get("/api/v1/models").json().get("models").get(0).get("versions")) {
            JsonNode serving = v.get("serving");
            assertEquals(onnxFile, serving.get("file").asText(), v.toString());
            Path dir = v.get("version").asInt() == 1 ? v1 : v2;
            assertEquals(sha256(Files.readAllBytes(dir.resolve(onnxFile))), serving.get("sha256").asText());
            Http.Response download = http.get(serving.get("url").asText());
            assertEquals("\"" + serving.get("sha256").asText() + "\"", download.header("ETag"));
        }
    }

    @Test
    void anUnknownFileAnswers404() {
        Http.Response r = http.get("/api/v1/models/cnn/versions/2/files/export/nosuch.tflite");
        assertEquals(404, r.status);
        assertTrue(r.json().has("detail"));
    }
}
