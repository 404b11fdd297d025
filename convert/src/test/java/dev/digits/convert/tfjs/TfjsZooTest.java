package dev.digits.convert.tfjs;

import dev.digits.convert.Sources;
import dev.digits.convert.ExportOptions;
import dev.digits.convert.LoadedModel;
import dev.digits.convert.Quantization;
import dev.digits.core.model.Architectures;
import dev.digits.train.Evaluation;
import dev.digits.train.QuickModels;
import dev.digits.train.TestData;
import dev.digits.train.TrainedModel;
import dev.digits.core.data.ImageSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.digits.convert.tfjs.ReferenceCheck.maxDifference;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every zoo architecture, briefly trained on real MNIST, exported to TF.js and run by TF.js under node. */
class TfjsZooTest {
    private static final int TEST_IMAGES = 500;

    @TempDir
    static Path shared;

    @TempDir
    Path dir;

    private static ImageSet test;
    private static float[] pixels;
    private static TrainedModel cnn;

    @BeforeAll
    static void loadData() throws IOException {
        test = TestData.mnist().test().head(TEST_IMAGES);
        pixels = new float[test.size() * 784];
        for (int i = 0; i < test.size(); i++) test.copyScaled(i, pixels, i * 784);
        cnn = QuickModels.train("cnn", 3000, shared.resolve("cnn"));
    }

    @AfterAll
    static void closeModel() {
        cnn.close();
    }

    static List<String> architectures() {
        return Architectures.NAMES;
    }

    private static float[][] predictExported(TrainedModel model, ExportOptions options, Path file) throws IOException {
        TfjsExporter exporter = new TfjsExporter();
        exporter.export(Sources.of(model), options, file);
        try (LoadedModel tfjs = exporter.load(file, options)) {
            return tfjs.predict(pixels, test.size());
        }
    }

    private static long shardBytes(Path dir) throws IOException {
        long n = 0;
        try (var files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) if (p.getFileName().toString().endsWith(".bin")) n += Files.size(p);
        }
        return n;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("architectures")
    void everyZooArchitectureExportsToAFileThatTfjsRunsLikeTheTrainedModel(String architecture) throws IOException {
        try (TrainedModel model = QuickModels.train(architecture, 500, dir.resolve("model"))) {
            float[][] expected = model.predictAll(test, 250);
            float[][] actual = predictExported(model, ExportOptions.builder().build(), dir.resolve("tfjs/model.json"));
            float diff = maxDifference(expected, actual);
            assertTrue(diff <= 1e-4f, architecture + ": largest probability difference " + diff);
            assertEquals(Evaluation.of(test, expected).accuracy(), Evaluation.of(test, actual).accuracy(), 1e-9, architecture);
        }
    }

    @Test
    void float16WeightsHalveTheShardsAndKeepTheAccuracy() throws IOException {
        float[][] expected = cnn.predictAll(test, 250);
        float[][] full = predictExported(cnn, ExportOptions.builder().build(), dir.resolve("f32/model.json"));
        float[][] half = predictExported(cnn, ExportOptions.builder().quantization(Quantization.FLOAT16).build(),
                dir.resolve("f16/model.json"));
        float diff = maxDifference(expected, half);
        assertTrue(diff > 0 && diff <= 1e-2f, "float16 largest probability difference " + diff);
        assertEquals(Evaluation.of(test, expected).accuracy(), Evaluation.of(test, half).accuracy(), 0.004);
        assertEquals(shardBytes(dir.resolve("f32")), 2 * shardBytes(dir.resolve("f16")));
        assertTrue(maxDifference(expected, full) <= 1e-4f);
    }

    @Test
    void int8DynamicWeightsQuarterTheKernelsAndKeepTheAccuracy() throws IOException {
        float[][] expected = cnn.predictAll(test, 250);
        float[][] int8 = predictExported(cnn, ExportOptions.builder().quantization(Quantization.DYNAMIC_INT8).build(),
                dir.resolve("int8/model.json"));
        predictExported(cnn, ExportOptions.builder().build(), dir.resolve("f32/model.json"));
        assertEquals(Evaluation.of(test, expected).accuracy(), Evaluation.of(test, int8).accuracy(), 0.01);
        assertTrue(shardBytes(dir.resolve("int8")) < shardBytes(dir.resolve("f32")) / 3.5,
                shardBytes(dir.resolve("int8")) + " bytes of int8 weights against " + shardBytes(dir.resolve("f32")));
    }

    @Test
    void labelsTheInputContractProvenanceAndDigitCheckTravelInTheMetadataTfjsHandsBack() throws IOException {
        Path file = dir.resolve("model.json");
        Map<String, Object> card = Map.of("name", "quick-cnn", "training", Map.of("epochs", 1L), "provenance", Map.of("java", "17"));
        new TfjsExporter().export(Sources.of(cnn, dev.digits.core.artifact.ModelCard.builder(cnn.spec()).name("quick-cnn")
                .training(Map.of("epochs", 1L)).provenance(Map.of("java", "17"))
                .digitCheck(new dev.digits.core.recognition.DigitCheck(1.4, 0.72)).build()), ExportOptions.builder().build(), file);
        try (TfjsLoadedModel tfjs = TfjsRuntime.locate().load(file)) {
            Map<String, Object> metadata = tfjs.userDefinedMetadata();
            assertEquals(cnn.labels(), metadata.get("labels"));
            assertEquals("NHWC", ((Map<?, ?>) metadata.get("input")).get("layout"));
            assertEquals("cnn", metadata.get("architecture"));
            assertEquals("quick-cnn", metadata.get("modelName"));
            assertEquals(card.get("training"), metadata.get("training"));
            assertEquals(card.get("provenance"), metadata.get("provenance"));
            assertEquals(Map.of("method", "temperature-scaled-max-probability", "temperature", 1.4, "threshold", 0.72),
                    metadata.get("digitCheck"));
            assertEquals(TfjsExporter.TFJS_VERSION, tfjs.tfjsVersion());
        }
    }
}
