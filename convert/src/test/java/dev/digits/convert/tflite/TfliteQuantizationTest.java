package dev.digits.convert.tflite;

import dev.digits.convert.ExportOptions;
import dev.digits.convert.ExportOptions.InputType;
import dev.digits.convert.LoadedModel;
import dev.digits.convert.Quantization;
import dev.digits.train.TestData;
import dev.digits.train.TrainedModel;
import dev.digits.train.data.ImageSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.lite.DataType;
import org.tensorflow.lite.Interpreter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
        pixels = new float[TEST_IMAGES * 784];
        for (int i = 0; i < TEST_IMAGES; i++) test.copyScaled(i, pixels, i * 784);
        reference = model.predictAll(test, 250);
    }

    @Test
    void everyQuantizationLoadsAndKeepsTheAccuracy() throws Exception {
        Map<Quantization, Long> sizes = new EnumMap<>(Quantization.class);
        double referenceAccuracy = accuracy(reference);
        for (Quantization q : Quantization.values()) {
            ExportOptions options = ExportOptions.builder().quantization(q).representative(calibration).build();
            long t0 = System.nanoTime();
            Path file = export(options, "cnn-" + q.id() + ".tflite");
            System.out.printf("export %s %.2fs%n", q, (System.nanoTime() - t0) / 1e9);
            sizes.put(q, Files.size(file));
            float[][] p = predict(file, options);
            double diff = RandomModels.maxDifference(p, reference);
            double agreement = agreement(p);
            double acc = accuracy(p);
            System.out.printf("cnn %-12s %8d bytes  max prob diff %.2e  same answer %.1f%%  accuracy %.2f%% (reference %.2f%%)%n",
                    q.id(), sizes.get(q), diff, 100 * agreement, 100 * acc, 100 * referenceAccuracy);
            double maxDiff = switch (q) {
                case FLOAT32 -> 1e-4;
                case FLOAT16 -> 5e-3;
                default -> 0.15;
            };
            assertTrue(diff <= maxDiff, q + ": probabilities differ from the reference by " + diff);
            assertTrue(agreement >= (q == Quantization.FLOAT16 || q == Quantization.FLOAT32 ? 0.998 : 0.98),
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
                    .representative(calibration).inputType(type).build();
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
            double acc = accuracy(predict(file, options));
            assertTrue(acc >= accuracy(reference) - 0.01, type + ": accuracy " + acc);
        }
    }

    private static Path export(ExportOptions options, String name) throws IOException {
        Path file = dir.resolve(name);
        new TfliteExporter().export(model, options, file);
        return file;
    }

    private static float[][] predict(Path file, ExportOptions options) throws IOException {
        try (LoadedModel loaded = new TfliteExporter().load(file, options)) {
            return loaded.predict(pixels, TEST_IMAGES);
        }
    }

    private static double accuracy(float[][] p) {
        int right = 0;
        for (int i = 0; i < p.length; i++) if (argmax(p[i]) == test.label(i)) right++;
        return (double) right / p.length;
    }

    private static double agreement(float[][] p) {
        int same = 0;
        for (int i = 0; i < p.length; i++) if (argmax(p[i]) == argmax(reference[i])) same++;
        return (double) same / p.length;
    }

    private static int argmax(float[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) if (v[i] > v[best]) best = i;
        return best;
    }
}
