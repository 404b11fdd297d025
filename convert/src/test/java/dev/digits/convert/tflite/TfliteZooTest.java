package dev.digits.convert.tflite;

import dev.digits.convert.ExportOptions;
import dev.digits.convert.LoadedModel;
import dev.digits.core.model.Architectures;
import dev.digits.train.TestData;
import dev.digits.train.TrainedModel;
import dev.digits.train.data.ImageSet;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every zoo architecture, briefly trained, exported in float32 and run in TFLite on real MNIST test images. */
class TfliteZooTest {
    private static final int TEST_IMAGES = 500;

    @TempDir
    Path dir;

    static List<String> architectures() {
        return Architectures.NAMES;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("architectures")
    void float32ExportAgreesWithTheTrainedModel(String architecture) throws Exception {
        long t0 = System.nanoTime();
        TrainedModel model = TrainedZoo.get(architecture);
        long t1 = System.nanoTime();
        ImageSet test = TestData.mnist().test().head(TEST_IMAGES);
        float[][] expected = model.predictAll(test, 100);
        TfliteExporter exporter = new TfliteExporter();
        Path file = dir.resolve(architecture + ".tflite");
        exporter.export(model, ExportOptions.builder().build(), file);
        float[] pixels = new float[TEST_IMAGES * 784];
        for (int i = 0; i < TEST_IMAGES; i++) test.copyScaled(i, pixels, i * 784);
        try (LoadedModel loaded = exporter.load(file, ExportOptions.builder().build())) {
            long t2 = System.nanoTime();
            float[][] actual = loaded.predict(pixels, TEST_IMAGES);
            long t3 = System.nanoTime();
            double diff = RandomModels.maxDifference(actual, expected);
            System.out.printf("%s: train %.1fs, tflite %d bytes, %d images in %.0f ms, max diff %.2e%n", architecture,
                    (t1 - t0) / 1e9, Files.size(file), TEST_IMAGES, (t3 - t2) / 1e6, diff);
            assertTrue(diff <= 1e-4, architecture + ": TFLite differs from the trained model by " + diff);
            assertEquals(TEST_IMAGES, actual.length);
        }
    }
}
