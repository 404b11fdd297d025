package dev.digits.serve.registry;

import dev.digits.serve.TestModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The models directory layout, read from and written to real files. */
class ModelRegistryTest {
    private static Path model;

    @BeforeAll
    static void model() throws Exception {
        model = TestModels.secondModel();
    }

    private static List<Integer> versions(ModelRegistry r, String name) {
        return r.model(name).versions().stream().map(StoredVersion::version).collect(Collectors.toList());
    }

    @Test
    void numberedVersionDirectoriesAreReadInOrderAndTheHighestIsTheLatest(@TempDir Path root) throws Exception {
        for (String v : new String[]{"1", "2", "10"}) TestModels.copyModel(model, root.resolve("cnn/versions/" + v));
        ModelRegistry r = ModelRegistry.open(root);
        assertEquals(List.of(1, 2, 10), versions(r, "cnn"));
        assertEquals(10, r.model("cnn").latest());
    }

    @Test
    void theLatestFileChoosesTheServedVersion(@TempDir Path root) throws Exception {
        for (String v : new String[]{"1", "2"}) TestModels.copyModel(model, root.resolve("cnn/versions/" + v));
        Files.writeString(root.resolve("cnn/latest"), "1\n");
        assertEquals(1, ModelRegistry.open(root).model("cnn").latest());
    }

    @Test
    void aLatestFileNamingAMissingVersionFallsBackToTheHighest(@TempDir Path root) throws Exception {
        TestModels.copyModel(model, root.resolve("cnn/versions/3"));
        Files.writeString(root.resolve("cnn/latest"), "7\n");
        assertEquals(3, ModelRegistry.open(root).model("cnn").latest());
    }

    @Test
    void aModelDirectoryAtTheTopIsVersionOneBesideNumberedVersions(@TempDir Path root) throws Exception {
        TestModels.copyModel(model, root.resolve("cnn"));
        TestModels.copyModel(model, root.resolve("cnn/versions/2"));
        ModelRegistry r = ModelRegistry.open(root);
        assertEquals(List.of(1, 2), versions(r, "cnn"));
        assertEquals(root.toAbsolutePath().resolve("cnn"), r.model("cnn").version(1).directory());
    }

    @Test
    void versionOneDefinedTwiceIsRefusedNamingBothPlaces(@TempDir Path root) throws Exception {
        TestModels.copyModel(model, root.resolve("cnn"));
        TestModels.copyModel(model, root.resolve("cnn/versions/1"));
        ModelRegistryException e = assertThrows(ModelRegistryException.class, () -> ModelRegistry.open(root));
        assertTrue(e.getMessage().contains("versions/1") && e.getMessage().contains("version 1"), e.getMessage());
    }

    @Test
    void directoriesThatHoldNoModelAndBadlyNamedVersionsAreSkipped(@TempDir Path root) throws Exception {
        TestModels.copyModel(model, root.resolve("cnn/versions/1"));
        TestModels.copyModel(model, root.resolve("cnn/versions/draft"));
        Files.createDirectories(root.resolve("notes"));
        Files.createDirectories(root.resolve("incomplete/versions/1"));
        Files.writeString(root.resolve("incomplete/versions/1/spec.json"), "{}");
        ModelRegistry r = ModelRegistry.open(root);
        assertEquals(List.of("cnn"), r.models().stream().map(StoredModel::name).collect(Collectors.toList()));
        assertEquals(List.of(1), versions(r, "cnn"));
    }

    @Test
    void aMissingRootIsCreatedEmpty(@TempDir Path dir) throws Exception {
        ModelRegistry r = ModelRegistry.open(dir.resolve("models"));
        assertTrue(r.isEmpty());
        assertTrue(Files.isDirectory(dir.resolve("models")));
    }

    @Test
    void aCommittedVersionGetsTheNextNumberWithoutBecomingTheLatest(@TempDir Path root) throws Exception {
        TestModels.copyModel(model, root.resolve("cnn/versions/1"));
        ModelRegistry r = ModelRegistry.open(root);
        Path staging = r.newStagingDirectory("cnn");
        TestModels.copyModel(model, staging);
        StoredVersion v = r.commit("cnn", staging);
        assertEquals(2, v.version());
        assertEquals(1, r.model("cnn").latest());
        assertFalse(Files.exists(staging));
        assertTrue(Files.isRegularFile(root.resolve("cnn/versions/2/weights.safetensors")));
    }

    @Test
    void aCommitNeverOverwritesAnExistingVersionDirectory(@TempDir Path root) throws Exception {
        TestModels.copyModel(model, root.resolve("cnn/versions/1"));
        ModelRegistry r = ModelRegistry.open(root);
        Files.createDirectories(root.resolve("cnn/versions/2"));
        Files.writeString(root.resolve("cnn/versions/2/notes.txt"), "left by hand");
        Path staging = r.newStagingDirectory("cnn");
        TestModels.copyModel(model, staging);
        assertEquals(3, r.commit("cnn", staging).version());
        assertEquals("left by hand", Files.readString(root.resolve("cnn/versions/2/notes.txt")));
    }

    @Test
    void activatingAVersionRewritesTheLatestFileAndTheView(@TempDir Path root) throws Exception {
        for (String v : new String[]{"1", "2"}) TestModels.copyModel(model, root.resolve("cnn/versions/" + v));
        ModelRegistry r = ModelRegistry.open(root);
        r.activate("cnn", 1);
        assertEquals(1, r.model("cnn").latest());
        assertEquals("1", Files.readString(root.resolve("cnn/latest")).trim());
        assertEquals(1, ModelRegistry.open(root).model("cnn").latest());
    }

    @Test
    void unknownNamesAndVersionsAreReportedWithWhatExists(@TempDir Path root) throws Exception {
        TestModels.copyModel(model, root.resolve("cnn/versions/1"));
        ModelRegistry r = ModelRegistry.open(root);
        UnknownModelException name = assertThrows(UnknownModelException.class, () -> r.model("mlp"));
        assertTrue(name.getMessage().contains("cnn"), name.getMessage());
        UnknownModelException version = assertThrows(UnknownModelException.class, () -> r.model("cnn").version(4));
        assertTrue(version.getMessage().contains("are 1"), version.getMessage());
    }

    @Test
    void modelNamesAreLimitedToWhatIsSafeInUrlsAndPaths() {
        assertTrue(ModelRegistry.isValidName("cnn-v2.small_1"));
        for (String bad : new String[]{"", ".hidden", "a/b", "..", "a b", "x".repeat(65)}) {
            assertFalse(ModelRegistry.isValidName(bad), bad);
        }
    }

    @Test
    void theFilesOfAVersionAreTheModelsOwnAndItsExportsOnly(@TempDir Path root) throws Exception {
        TestModels.copyModel(model, root.resolve("cnn/versions/1"));
        Files.createDirectories(root.resolve("cnn/versions/1/export/.tmp"));
        Files.writeString(root.resolve("cnn/versions/1/export/.tmp/half.onnx"), "x");
        Files.writeString(root.resolve("cnn/versions/1/export/labels.txt"), "0\n1\n");
        StoredVersion v = ModelRegistry.open(root).model("cnn").version(1);
        assertEquals(List.of("export/cnn.onnx", "export/labels.txt", "export/manifest.json",
                "export/verification-images.idx", "model-card.json", "spec.json", "weights.safetensors"),
                List.copyOf(v.files().keySet()));
        assertEquals("export/cnn.onnx", v.servingFile().orElseThrow().path(), "the manifest's float32 ONNX file");
        assertEquals(StoredVersion.sha256(root.resolve("cnn/versions/1/weights.safetensors")), v.sha256());
    }

    /** An upload killed half-way leaves its staging directory; the next start removes it, a fresh one it keeps. */
    @Test
    void stagingDirectoriesOfAbandonedUploadsAreRemovedAtOpen(@TempDir Path root) throws Exception {
        Path model = Files.createDirectories(root.resolve("cnn"));
        Path abandoned = Files.createDirectories(model.resolve(".upload-killed"));
        Files.write(abandoned.resolve("weights.safetensors"), new byte[1024]);
        Files.setLastModifiedTime(abandoned, java.nio.file.attribute.FileTime.from(
                java.time.Instant.now().minus(ModelRegistry.ABANDONED_AFTER).minusSeconds(60)));
        Path inProgress = Files.createDirectories(model.resolve(".upload-running"));
        ModelRegistry.open(root);
        assertFalse(Files.exists(abandoned), "an abandoned upload is removed");
        assertTrue(Files.exists(inProgress), "an upload another server may be unpacking is kept");
    }
}
