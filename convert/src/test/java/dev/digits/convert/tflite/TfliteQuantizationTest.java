package dev.digits.convert.tflite;

import dev.digits.convert.Sources;
import dev.digits.convert.ExportOptions;
import dev.digits.convert.ExportOptions.InputType;
import dev.digits.convert.LoadedModel;
import dev.digits.convert.Quantization;
import dev.digits.train.TestData;
import dev.digits.train.TrainedModel;
import dev.digits.core.data.ImageSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.lite.DataType;
import org.tensorflow.lite.Interpreter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The briefly trained cnn in every quantization: sizes, agreement with the reference and accuracy on MNIST. */
class TfliteQuantizationTest {
    private static final int TEST_IMAGES = 1000;
    private static TrainedModel model;
    private static ImageSet test;
    private static ImageSet calibration;
    private static float[] pixels;
    private static float[][] reference;

    @TempDir
    static Path dir;

    @BeforeAll
    static void trainAndPredict() throws IOException {
        model = TrainedZoo.get("cnn");
        test = TestData.mnist().test().head(TEST_IMAGES);
        calibration = TestData.mnist().train().head(FullIntegerQuantization.CALIBRATION_IMAGES);
        pixels = Predictions.pixels(test);
        reference = model.predictAll(test, 250);
    }

    @Test
    void everyQuantizationLoadsAndKeepsTheAccuracy() throws Exception {
        Map<Quantization, Long> sizes = new EnumMap<>(Quantization.class);
        double referenceAccuracy = Predictions.accuracy(reference, test);
        for (Quantization q : Quantization.values()) {
            ExportOptions options = ExportOptions.builder().quantization(q).representative(calibration).build();
            Path file = export(options, "cnn-" + q.id() + ".tflite");
            sizes.put(q, Files.size(file));
            float[][] p = predict(file, options);
            double diff = Predictions.maxDifference(p, reference);
            double agreement = Predictions.agreement(p, reference);
            double acc = Predictions.accuracy(p, test);
            System.out.printf("cnn %-12s %8d bytes  max prob diff %.2e  same answer %.1f%%  accuracy %.2f%% (reference %.2f%%)%n",
                    q.id(), sizes.get(q), diff, 100 * agreement, 100 * acc, 100 * referenceAccuracy);
            double maxDiff = switch (q) {
                case FLOAT32 -> 1e-4;
                case FLOAT16 -> 5e-3;
                default -> 0.15;
            };
            assertTrue(diff <= maxDiff, q + ": probabilities differ from the reference by " + diff);
            assertTrue(agreement >= (q == Quantization.FLOAT16 || q == Quantization.FLOAT32 ? 0.995 : 0.98),
                    q + ": same answer as the reference on only " + agreement);
            assertTrue(acc >= referenceAccuracy - 0.01, q + ": accuracy " + acc + " vs " + referenceAccuracy);
        }
        assertTrue(sizes.get(Quantization.FLOAT16) < 0.55 * sizes.get(Quantization.FLOAT32), "float16 size " + sizes);
        assertTrue(sizes.get(Quantization.DYNAMIC_INT8) < 0.3 * sizes.get(Quantization.FLOAT32), "int8 size " + sizes);
        assertTrue(sizes.get(Quantization.FULL_INT8) < 0.3 * sizes.get(Quantization.FLOAT32), "int8 size " + sizes);
    }

    @Test
    void fullIntegerFilesTakeAndGiveTheIntegerTypesAskedFor() throws Exception {
        for (InputType type : InputType.values()) {
            ExportOptions options = ExportOptions.builder().quantization(Quantization.FULL_INT8)
                    .representative(calibration.head(100)).inputType(type).build();
            Path file = export(options, "cnn-int8-" + type + ".tflite");
            DataType expected = switch (type) {
                case FLOAT32 -> DataType.FLOAT32;
                case UINT8 -> DataType.UINT8;
                case INT8 -> DataType.INT8;
            };
            try (Interpreter interpreter = new Interpreter(file.toFile())) {
                assertEquals(expected, interpreter.getInputTensor(0).dataType());
                assertEquals(expected, interpreter.getOutputTensor(0).dataType());
                assertArrayEquals(new int[] {1, 28, 28, 1}, interpreter.getInputTensor(0).shape());
                if (type != InputType.FLOAT32) {
                    // Pixels map exactly: k/255 for uint8 k, (k + 128)/255 for int8 k; probabilities in 1/256 steps.
                    assertEquals(1f / 255f, interpreter.getInputTensor(0).quantizationParams().getScale(), 1e-9);
                    assertEquals(type == InputType.UINT8 ? 0 : -128, interpreter.getInputTensor(0).quantizationParams().getZeroPoint());
                    assertEquals(1f / 256f, interpreter.getOutputTensor(0).quantizationParams().getScale(), 1e-9);
                    assertEquals(type == InputType.UINT8 ? 0 : -128, interpreter.getOutputTensor(0).quantizationParams().getZeroPoint());
                }
            }
            // The first 300 test images: enough to see the integer input and output are fed and read correctly.
            float[][] p;
            try (LoadedModel loaded = new TfliteExporter().load(file, options)) {
                p = loaded.predict(Arrays.copyOf(pixels, 300 * 784), 300);
            }
            double agreement = Predictions.agreement(p, Arrays.copyOf(reference, 300));
            assertTrue(agreement >= 0.97, type + ": the same answer as the reference on only " + agreement);
        }
    }

    private static Path export(ExportOptions options, String name) throws IOException {
        Path file = dir.resolve(name);
        new TfliteExporter().export(Sources.of(model), options, file);
        return file;
    }

    private static float[][] predict(Path file, ExportOptions options) throws IOException {
        try (LoadedModel loaded = new TfliteExporter().load(file, options)) {
            return loaded.predict(pixels, TEST_IMAGES);
        }
    }
}
