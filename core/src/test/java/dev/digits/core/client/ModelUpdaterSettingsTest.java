package dev.digits.core.client;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelUpdaterSettingsTest {
    @Test
    void withoutAServerTheUpdaterOnlyReadsWhatIsInstalled(@TempDir Path dir) {
        ModelUpdater offline = ModelUpdater.builder().directory(dir.toFile()).build();
        assertNull(offline.installed());
        IllegalStateException e = assertThrows(IllegalStateException.class, offline::update);
        assertTrue(e.getMessage().contains("server URL"), e.getMessage());
    }

    @Test
    void theModelFileIsNamedByModelQuantizationAndFormat(@TempDir Path dir) {
        ModelUpdater u = ModelUpdater.builder().directory(dir.toFile()).model("cnn").quantization("int8").build();
        assertEquals(dir.resolve("cnn-int8.tflite").toFile(), u.modelFile());
    }

    @Test
    void aModelFileWithoutItsRecordIsNotTrusted(@TempDir Path dir) throws Exception {
        ModelUpdater u = ModelUpdater.builder().directory(dir.toFile()).build();
        Files.write(u.modelFile().toPath(), new byte[]{1, 2, 3});
        assertNull(u.installed());
        Files.writeString(dir.resolve(u.modelFile().getName() + ".json"),
                "{\"version\":1,\"sha256\":\"00\",\"size\":3}");
        assertNull(u.installed(), "a record whose digest does not match the file");
    }

    @Test
    void missingSettingsAreNamed() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ModelUpdater.builder().build())
                .getMessage().contains("directory"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ModelUpdater.builder().directory(new java.io.File(".")).quantization(" ").build())
                .getMessage().contains("quantization"));
    }
}
