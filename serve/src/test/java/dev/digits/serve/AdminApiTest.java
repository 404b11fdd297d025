package dev.digits.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.serve.registry.EmbeddedModel;
import dev.digits.serve.registry.ModelRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The administration API over real HTTP: authentication, upload with verification, activation and rollback. An
 * upload must carry the export {@code digits export} wrote, and every check of what the server will run — weights,
 * card and manifest agreeing, every export file matching its digest, the ONNX file reproducing the manifest's
 * probabilities — refuses it with a 4xx naming the reason, while the previous version keeps serving.
 */
class AdminApiTest {
    private static final String TOKEN = "test-admin-token-0123456789";
    private static final String[] AUTH = {"Authorization", "Bearer " + TOKEN};

    private static byte[] secondZip;
    private static String secondSha;
    private static String embeddedSha;

    @TempDir
    Path root;
    private DigitsServer server;
    private Http http;

    @BeforeAll
    static void models() throws Exception {
        TestModels.ensureEmbeddedModel();
        Path second = TestModels.secondModel();
        secondZip = TestModels.zip(second);
        secondSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(Files.readAllBytes(second.resolve("weights.safetensors"))));
        embeddedSha = TestModels.weightsSha256(TestModels.embeddedModel());
    }

    @BeforeEach
    void start() throws Exception {
        server = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).models(root).adminToken(TOKEN).build());
        http = new Http(server);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    private Http.Response upload(String query, byte[] zip) {
        return http.post("/api/v1/admin/models/cnn/versions" + query, "application/zip", zip, AUTH);
    }

    private JsonNode predictModel() {
        Http.Response r = http.post("/api/v1/predict", "image/png", TestModels.mnistPng(0));
        assertEquals(200, r.status, r.text());
        return r.json().get("model");
    }

    private void assertError(Http.Response r, int status, String detailPart) {
        assertEquals(status, r.status, r.text());
        JsonNode body = r.json();
        assertTrue(body.has("error"), r.text());
        assertTrue(body.get("detail").asText().contains(detailPart), r.text());
        assertFalse(body.get("detail").asText().contains(root.toString()), "no server path in " + r.text());
    }

    /** The upload was refused and changed nothing: version 1, the embedded model, keeps serving. */
    private void assertNothingChanged() throws Exception {
        assertEquals(1, server.models().registry().model("cnn").versions().size());
        JsonNode model = predictModel();
        assertEquals(1, model.get("version").asInt());
        assertEquals(embeddedSha, model.get("sha256").asText());
        try (var entries = Files.list(root.resolve("cnn"))) {
            assertTrue(entries.noneMatch(p -> p.getFileName().toString().startsWith(".")), "no staging left behind");
        }
    }

    /** A copy of the embedded model (with its whole export) to tamper with. */
    private Path embeddedCopy(String name) throws Exception {
        Path dir = root.resolveSibling(root.getFileName() + "-" + name);
        TestModels.deleteTree(dir);
        Files.createDirectories(dir);
        EmbeddedModel.copyTo(dir);
        return dir;
    }

    @Test
    void administrationIsRefusedWhenTheServerHasNoToken() throws Exception {
        try (DigitsServer plain = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).build())) {
            Http.Response r = new Http(plain).post("/api/v1/admin/models/cnn/versions", "application/zip", secondZip, AUTH);
            assertError(r, 403, "DIGITS_ADMIN_TOKEN");
        }
    }

    @Test
    void aMissingTokenAnswers401WithABearerChallenge() {
        Http.Response r = http.post("/api/v1/admin/models/cnn/rollback", "application/json", new byte[0]);
        assertError(r, 401, "Bearer");
        assertTrue(r.header("WWW-Authenticate").startsWith("Bearer"), r.header("WWW-Authenticate"));
    }

    @Test
    void aWrongTokenAnswers403() {
        Http.Response r = http.post("/api/v1/admin/models/cnn/versions", "application/zip", secondZip,
                "Authorization", "Bearer wrong-token-0123456789");
        assertError(r, 403, "wrong");
        assertEquals(1, server.models().registry().model("cnn").versions().size());
    }

    @Test
    void anUploadedZipBecomesTheLatestVersionAndAnswersPredictions() {
        Http.Response r = upload("", secondZip);
        assertEquals(201, r.status, r.text());
        assertEquals(2, r.json().get("version").asInt());
        assertTrue(r.json().get("latest").asBoolean());
        JsonNode verified = r.json().get("verified");
        assertTrue(verified != null && verified.get("images").asInt() == 100 && verified.get("accuracy").asDouble() >= 0.9,
                "the version carries the server's own figures: " + r.text());
        assertEquals(verified, http.get("/api/v1/models/cnn/versions/2").json().get("verified"),
                "the catalogue shows them");
        assertEquals(secondSha, r.json().get("sha256").asText());
        JsonNode model = predictModel();
        assertEquals(2, model.get("version").asInt());
        assertEquals(secondSha, model.get("sha256").asText());
        assertTrue(Files.isRegularFile(root.resolve("cnn/versions/2/weights.safetensors")));
        assertEquals("2", readLatest());
    }

    @Test
    void anUploadWithActivateFalseIsAddedButNotServedByDefault() {
        Http.Response r = upload("?activate=false", secondZip);
        assertEquals(201, r.status, r.text());
        assertFalse(r.json().get("latest").asBoolean());
        assertEquals(1, predictModel().get("version").asInt());
        Http.Response explicit = http.post("/api/v1/predict?version=2", "image/png", TestModels.mnistPng(0));
        assertEquals(secondSha, explicit.json().get("model").get("sha256").asText());
    }

    @Test
    void anUploadAsMultipartFilesNamedByTheirPathIsAccepted() throws Exception {
        Path second = TestModels.secondModel();
        Http.Multipart form = new Http.Multipart();
        for (Map.Entry<String, Path> f : TestModels.servedFiles(second).entrySet()) {
            form.file(f.getKey(), f.getKey(), "application/octet-stream", Files.readAllBytes(f.getValue()));
        }
        Http.Response r = http.postMultipart("/api/v1/admin/models/cnn/versions", form, AUTH);
        assertEquals(201, r.status, r.text());
        assertEquals(secondSha, predictModel().get("sha256").asText());
    }

    @Test
    void aZipHoldingTheModelInOneFolderIsAccepted() throws Exception {
        Http.Response r = upload("", TestModels.zip(TestModels.secondModel(), "cnn/"));
        assertEquals(201, r.status, r.text());
        assertEquals(secondSha, predictModel().get("sha256").asText());
    }

    @Test
    void anUploadForANewNameCreatesThatModel() {
        Http.Response r = http.post("/api/v1/admin/models/cnn-small/versions", "application/zip", secondZip, AUTH);
        assertEquals(201, r.status, r.text());
        assertEquals(1, r.json().get("version").asInt());
        Http.Response p = http.post("/api/v1/predict?model=cnn-small", "image/png", TestModels.mnistPng(0));
        assertEquals("cnn-small", p.json().get("model").get("name").asText());
        assertEquals(2, http.get("/api/v1/models").json().get("models").size());
    }

    @Test
    void anExpectedDigestThatDoesNotMatchTheWeightsIsRefused() {
        Http.Response r = upload("?sha256=" + "0".repeat(64), secondZip);
        assertError(r, 422, secondSha);
        assertEquals(1, server.models().registry().model("cnn").versions().size());
    }

    @Test
    void anExpectedDigestThatMatchesIsAccepted() {
        assertEquals(201, upload("?sha256=" + secondSha, secondZip).status);
    }

    @Test
    void weightsThatDoNotMatchTheModelCardAreRefused() throws Exception {
        Path broken = root.resolveSibling(root.getFileName() + "-broken");
        TestModels.copyModel(TestModels.secondModel(), broken);
        byte[] w = Files.readAllBytes(broken.resolve("weights.safetensors"));
        w[w.length - 1] ^= 1;
        Files.write(broken.resolve("weights.safetensors"), w);
        Http.Response r = upload("", TestModels.zip(broken));
        assertError(r, 422, "model-card.json");
        TestModels.deleteTree(broken);
    }

    @Test
    void anUntrainedModelFailsVerificationAndNothingChanges() throws Exception {
        Path untrained = root.resolveSibling(root.getFileName() + "-untrained");
        TestModels.untrainedCopy(untrained);
        Http.Response r = upload("", TestModels.zip(untrained));
        assertError(r, 422, "known digits");
        assertNothingChanged();
        TestModels.deleteTree(untrained);
    }

    /**
     * Classes 0 and 1 swapped: 80% right on digits, so a "half right" check passes it; held against its card's claims
     * (99% overall, about 99% for each class) it is refused, naming the class.
     */
    @Test
    void aModelWithSwappedClassesIsRefusedAgainstItsCardsClaims() throws Exception {
        Path swapped = root.resolveSibling(root.getFileName() + "-classes-swapped");
        TestModels.swappedClassesCopy(swapped, 0, 1);
        Http.Response r = upload("", TestModels.zip(swapped));
        assertError(r, 422, "card claims");
        assertNothingChanged();
        TestModels.deleteTree(swapped);
    }

    @Test
    void anOnnxFileSwappedForAnotherModelsIsRefusedByItsDigestAndTheServedVersionStays() throws Exception {
        Path swapped = embeddedCopy("swapped");
        Files.copy(TestModels.secondModel().resolve(TestModels.ONNX), swapped.resolve(TestModels.ONNX),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Http.Response r = upload("", TestModels.zip(swapped));
        assertError(r, 422, "export/cnn.onnx has sha256");
        assertTrue(r.json().get("detail").asText().contains("manifest"), r.text());
        assertNothingChanged();
        TestModels.deleteTree(swapped);
    }

    @Test
    void aSwappedOnnxFileRelistedInTheManifestFailsTheVerificationSample() throws Exception {
        Path swapped = embeddedCopy("forged");
        Files.copy(TestModels.secondModel().resolve(TestModels.ONNX), swapped.resolve(TestModels.ONNX),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        // Passed off as the embedded model's file: its metadata claims those weights, the manifest its new digest.
        TestModels.forgeWeightsMetadata(swapped, secondSha, embeddedSha);
        TestModels.relist(swapped, "cnn.onnx");
        Http.Response r = upload("", TestModels.zip(swapped));
        assertError(r, 422, "export/cnn.onnx does not compute what was verified");
        assertNothingChanged();
        TestModels.deleteTree(swapped);
    }

    @Test
    void aSwappedOnnxFileRelistedInTheManifestIsRefusedByTheWeightsItNames() throws Exception {
        Path swapped = embeddedCopy("relisted");
        Files.copy(TestModels.secondModel().resolve(TestModels.ONNX), swapped.resolve(TestModels.ONNX),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        TestModels.relist(swapped, "cnn.onnx");
        Http.Response r = upload("", TestModels.zip(swapped));
        assertError(r, 422, "weights_sha256");
        assertTrue(r.json().get("detail").asText().contains(secondSha), r.text());
        assertNothingChanged();
        TestModels.deleteTree(swapped);
    }

    @Test
    void anUploadWithoutAnExportIsRefusedNamingTheCommandThatMakesOne() throws Exception {
        Path bare = embeddedCopy("bare");
        TestModels.deleteTree(bare.resolve(ModelArtifact.EXPORT_DIR));
        Http.Response r = upload("", TestModels.zip(bare));
        assertError(r, 400, "has no verified ONNX export");
        assertTrue(r.json().get("detail").asText().contains("digits export"), r.text());
        assertNothingChanged();
        TestModels.deleteTree(bare);
    }

    @Test
    void anExportFileTheManifestDoesNotListIsRefused() throws Exception {
        Path extra = embeddedCopy("extra");
        Files.copy(extra.resolve(TestModels.ONNX), extra.resolve("export/unverified.onnx"));
        assertError(upload("", TestModels.zip(extra)), 422, "export/unverified.onnx is not in the export manifest");
        assertNothingChanged();
        TestModels.deleteTree(extra);
    }

    @Test
    void weightsChangedWithTheirCardButNotReExportedAreRefused() throws Exception {
        Path stale = embeddedCopy("stale");
        Path other = TestModels.secondModel();
        for (String f : new String[]{"weights.safetensors", "model-card.json"}) {
            Files.copy(other.resolve(f), stale.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        assertError(upload("", TestModels.zip(stale)), 422, "export/manifest.json was verified against weights");
        assertNothingChanged();
        TestModels.deleteTree(stale);
    }

    @Test
    void aZipEntryLeavingTheDirectoryIsRefused() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry("../../escaped.txt"));
            zip.write("x".getBytes(StandardCharsets.UTF_8));
            zip.closeEntry();
        }
        assertError(upload("", bytes.toByteArray()), 400, "leaves the model directory");
        assertFalse(Files.exists(root.resolve("escaped.txt")));
        assertFalse(Files.exists(root.getParent().resolve("escaped.txt")));
    }

    @Test
    void aZipWithoutWeightsIsRefusedNamingTheMissingFile() throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            zip.putNextEntry(new ZipEntry("spec.json"));
            zip.write(Files.readAllBytes(TestModels.secondModel().resolve("spec.json")));
            zip.closeEntry();
        }
        assertError(upload("", bytes.toByteArray()), 400, "weights.safetensors");
    }

    @Test
    void bytesThatAreNoZipAreRefused() {
        assertError(upload("", "not a zip".getBytes(StandardCharsets.UTF_8)), 400, "zip");
    }

    @Test
    void anUploadInAnotherMediaTypeAnswers415() {
        assertEquals(415, http.post("/api/v1/admin/models/cnn/versions", "text/plain", secondZip, AUTH).status);
    }

    @Test
    void aModelNameThatCannotBeADirectoryIsRefused() {
        Http.Response r = http.post("/api/v1/admin/models/.hidden/versions", "application/zip", secondZip, AUTH);
        assertError(r, 400, "cannot name a model");
    }

    @Test
    void rollbackReturnsToThePreviousVersion() {
        assertEquals(201, upload("", secondZip).status);
        Http.Response r = http.post("/api/v1/admin/models/cnn/rollback", null, new byte[0], AUTH);
        assertEquals(200, r.status, r.text());
        assertEquals(1, r.json().get("latest").asInt());
        assertEquals(1, predictModel().get("version").asInt());
        assertEquals("1", readLatest());
    }

    @Test
    void rollbackToANamedVersionActivatesIt() {
        upload("", secondZip);
        upload("", secondZip);
        Http.Response r = http.postJson("/api/v1/admin/models/cnn/rollback", Map.of("version", 2), AUTH);
        assertEquals(200, r.status, r.text());
        assertEquals(2, predictModel().get("version").asInt());
    }

    @Test
    void rollbackFromTheFirstVersionAnswers409() {
        assertError(http.post("/api/v1/admin/models/cnn/rollback", null, new byte[0], AUTH), 409, "no version before");
    }

    @Test
    void activatingAVersionMakesItTheLatestAgain() {
        upload("", secondZip);
        http.post("/api/v1/admin/models/cnn/rollback", null, new byte[0], AUTH);
        Http.Response r = http.post("/api/v1/admin/models/cnn/versions/2/activate", null, new byte[0], AUTH);
        assertEquals(200, r.status, r.text());
        assertEquals(2, predictModel().get("version").asInt());
    }

    @Test
    void activatingAnUnknownVersionAnswers404() {
        assertError(http.post("/api/v1/admin/models/cnn/versions/9/activate", null, new byte[0], AUTH), 404, "no version 9");
    }

    @Test
    void theActivatedVersionSurvivesARestart() throws Exception {
        upload("", secondZip);
        http.post("/api/v1/admin/models/cnn/rollback", null, new byte[0], AUTH);
        server.close();
        server = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).models(root).adminToken(TOKEN).build());
        http = new Http(server);
        assertEquals(1, predictModel().get("version").asInt());
        assertEquals(2, server.models().registry().model("cnn").versions().size());
    }

    private String readLatest() {
        try {
            return Files.readString(root.resolve("cnn").resolve(ModelRegistry.LATEST_FILE)).trim();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
