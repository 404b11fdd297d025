package dev.digits.serve;

import dev.digits.serve.registry.EmbeddedModel;
import dev.digits.serve.registry.ModelRegistryException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A fresh machine: the model packaged in the jar is served without any models directory, data or training. */
class EmbeddedModelTest {
    @BeforeAll
    static void embedded() throws Exception {
        TestModels.ensureEmbeddedModel();
    }

    @Test
    void withoutAModelsDirectoryTheEmbeddedModelIsServedAsCnnVersionOne(@TempDir Path copy) throws Exception {
        EmbeddedModel.copyTo(copy);
        try (DigitsServer server = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).build())) {
            Http http = new Http(server);
            assertEquals(200, http.get("/health").status);
            Http.Response weights = http.get("/api/v1/models/cnn/versions/1/files/weights.safetensors");
            assertArrayEquals(Files.readAllBytes(copy.resolve("weights.safetensors")), weights.body);
            assertEquals(200, http.post("/api/v1/predict", "image/png", TestModels.mnistPng(0)).status);
        }
    }

    @Test
    void theTemporaryModelsDirectoryIsRemovedAtShutdown() throws Exception {
        Path root;
        try (DigitsServer server = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).build())) {
            root = server.models().registry().root();
            assertTrue(Files.isDirectory(root.resolve("cnn/versions/1")));
        }
        assertTrue(Files.notExists(root), root + " remains");
    }

    @Test
    void anEmptyModelsDirectoryIsSeededWithTheEmbeddedModelOnDisk(@TempDir Path root) throws Exception {
        try (DigitsServer server = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).models(root).build())) {
            assertEquals(200, new Http(server).get("/health").status);
        }
        assertTrue(Files.isRegularFile(root.resolve("cnn/versions/1/spec.json")));
        assertTrue(Files.isRegularFile(root.resolve("cnn/versions/1/weights.safetensors")));
        assertEquals("1", Files.readString(root.resolve("cnn/latest")).trim());
    }

    @Test
    void aModelsDirectoryWithModelsIsServedAsItIs(@TempDir Path root) throws Exception {
        TestModels.copyModel(TestModels.secondModel(), root.resolve("mine"));
        try (DigitsServer server = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).models(root).build())) {
            Http.Response list = new Http(server).get("/api/v1/models");
            assertEquals(1, list.json().get("models").size());
            assertEquals("mine", list.json().get("models").get(0).get("name").asText());
            Http.Response p = new Http(server).post("/api/v1/predict", "image/png", TestModels.mnistPng(0));
            assertEquals("mine", p.json().get("model").get("name").asText(), "the only model is the default");
        }
        assertTrue(Files.notExists(root.resolve("cnn")));
    }

    @Test
    void aModelsPathThatIsAFileIsRefusedWithTheFix(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("models.txt"), "x");
        ModelRegistryException e = assertThrows(ModelRegistryException.class,
                () -> DigitsServer.start(ServerConfig.builder().port(0).models(file).build()));
        assertTrue(e.getMessage().contains("directory of models"), e.getMessage());
    }

    @Test
    void aSingleModelDirectoryGivenAsTheModelsDirectoryIsRefusedNamingItsParent(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("cnn");
        TestModels.copyModel(TestModels.secondModel(), model);
        ModelRegistryException e = assertThrows(ModelRegistryException.class,
                () -> DigitsServer.start(ServerConfig.builder().port(0).models(model).build()));
        assertTrue(e.getMessage().contains("--models " + dir), e.getMessage());
    }
}
