package dev.digits.train;

import dev.digits.core.json.Json;
import dev.digits.core.model.Architectures;
import dev.digits.core.model.ModelSpec;
import dev.digits.train.data.Dataset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Real training on the real MNIST files: one epoch of the MLP. */
class MnistTrainingTest {
    @TempDir
    static Path dir;
    static Path modelDir;
    static Dataset data;
    static String log;

    @BeforeAll
    static void trainOneEpoch() throws Exception {
        data = TestData.mnist();
        modelDir = dir.resolve("mlp");
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Trainer trainer = Trainer.builder().architecture(Architectures.get("mlp")).epochs(1).seed(7)
                .progress(true, new PrintStream(buf, true)).build();
        try (TrainedModel model = trainer.train(data, modelDir)) {
            assertEquals(10, model.labels().size());
        }
        log = buf.toString();
    }

    @Test
    void oneEpochOfTheMlpClearsNinetyFivePercentOnTheFullTestSet() throws Exception {
        try (TrainedModel model = TrainedModel.load(modelDir)) {
            Evaluation eval = model.evaluate(data.test());
            assertEquals(10_000, eval.total());
            assertTrue(eval.accuracy() > 0.95, "accuracy " + eval.accuracy());
        }
    }

    @Test
    void theModelDirectoryHoldsEverythingLaterStepsRead() throws Exception {
        for (String f : List.of("spec.json", "weights.safetensors", "model-card.json", "history.csv",
                "training-curves.png", "confusion-matrix.png", "misclassified.png", "checkpoints/epoch-001.safetensors")) {
            assertTrue(Files.size(modelDir.resolve(f)) > 0, f);
        }
        assertEquals(Architectures.get("mlp"), ModelSpec.read(modelDir.resolve("spec.json")));
        Map<String, Object> card = Json.parseObject(Files.readString(modelDir.resolve("model-card.json")));
        assertEquals("mlp", card.get("architecture"));
        assertEquals(101_770L, ((Number) card.get("parameters")).longValue());
        @SuppressWarnings("unchecked")
        Map<String, Object> training = (Map<String, Object>) card.get("training");
        assertEquals(7L, ((Number) training.get("seed")).longValue());
        assertTrue(training.get("checksums").toString().contains("ba891046e6505d7a"));
        assertTrue(card.get("provenance").toString().contains("PyTorch"));
        assertEquals(2, Files.readAllLines(modelDir.resolve("history.csv")).size());
    }

    @Test
    void progressShowsLossAccuracyAndSpeedPerEpoch() {
        assertTrue(log.contains("Epoch 1/1"), log);
        assertTrue(log.contains("val_accuracy") && log.contains("images/s"), log);
    }

    @Test
    void reloadedModelPredictsExactlyAsWhenSaved() throws Exception {
        float[] image = data.test().image(0);
        try (TrainedModel a = TrainedModel.load(modelDir); TrainedModel b = TrainedModel.load(modelDir)) {
            float[] pa = a.predict(image);
            assertArrayEquals(pa, b.predict(image));
            assertEquals(7, Evaluation.argmax(pa));
            double sum = 0;
            for (float p : pa) sum += p;
            assertEquals(1.0, sum, 1e-5);
        }
    }

    @Test
    void resumeContinuesFromTheLastCompleteCheckpoint() throws Exception {
        Path copy = dir.resolve("resumed");
        Files.createDirectories(copy.resolve("checkpoints"));
        for (String f : List.of("spec.json", "checkpoints/epoch-001.safetensors", "checkpoints/history.csv", "checkpoints/state.json")) {
            Files.copy(modelDir.resolve(f), copy.resolve(f));
        }
        Dataset small = new Dataset("mnist-head", data.train().head(2000), data.test().head(1000), data.checksums());
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Trainer trainer = Trainer.builder().architecture(Architectures.get("mlp")).epochs(2).seed(7)
                .progress(true, new PrintStream(buf, true)).build();
        try (TrainedModel model = trainer.train(small, copy, true)) {
            assertTrue(model.evaluate(small.test()).accuracy() > 0.9);
        }
        assertTrue(buf.toString().contains("Resuming") && buf.toString().contains("Epoch 2/2"), buf.toString());
        assertTrue(!buf.toString().contains("Epoch 1/2:"), buf.toString());
        assertEquals(3, Files.readAllLines(copy.resolve("history.csv")).size());
    }
}
