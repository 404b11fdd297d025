package dev.digits.convert.tflite;

import dev.digits.convert.ExportOptions;
import dev.digits.convert.LoadedModel;
import dev.digits.convert.Quantization;
import dev.digits.convert.Sources;
import dev.digits.core.data.ImageSet;
import dev.digits.train.TestData;
import dev.digits.train.TrainedModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * LiteRT.js, where exported .tflite files are verified, against the TensorFlow Lite 2.6 Java interpreter an Android
 * app's Interpreter API stands for: two builds of the runtime, one file, the same answers.
 */
class LiteRtLoadedModelTest {
    private static final int IMAGES = 500;
    private static TrainedModel model;
    private static ImageSet test;
    private static float[] pixels;

    @TempDir
    static Path dir;

    @BeforeAll
    static void load() throws IOException {
        model = TrainedZoo.get("cnn");
        test = TestData.mnist().test().head(IMAGES);
        pixels = Predictions.pixels(test);
    }

    @Test
    void answersAsTheTfliteInterpreterDoesInEveryQuantization() throws Exception {
        ImageSet calibration = TestData.mnist().train().head(FullIntegerQuantization.CALIBRATION_IMAGES);
        for (Quantization q : Quantization.values()) {
            ExportOptions options = ExportOptions.builder().quantization(q).representative(calibration).build();
            Path file = dir.resolve("cnn-" + q.id() + ".tflite");
            new TfliteExporter().export(Sources.of(model), options, file);
            float[][] liteRt;
            try (LiteRtLoadedModel m = LiteRtLoadedModel.start(LiteRtLoadedModel.locate(), file)) {
                assertTrue(m.runtime().startsWith("LiteRT.js "), m.runtime());
                liteRt = m.predict(pixels, IMAGES);
            }
            float[][] interpreter;
            try (LoadedModel m = new TfliteLoadedModel(file)) {
                interpreter = m.predict(pixels, IMAGES);
            }
            double diff = Predictions.maxDifference(liteRt, interpreter);
            double agreement = Predictions.agreement(liteRt, interpreter);
            System.out.printf("cnn %-12s LiteRT.js against the TFLite 2.6 interpreter: max prob diff %.2e, same answer %.1f%%%n",
                    q.id(), diff, 100 * agreement);
            // Float files: the same float arithmetic in another order. Integer files: XNNPACK's kernels round
            // requantization and the hybrid kernels' per-batch activation scales their own way.
            double maxDiff = q == Quantization.FLOAT32 || q == Quantization.FLOAT16 ? 1e-4 : 0.1;
            double minAgreement = q == Quantization.FLOAT32 || q == Quantization.FLOAT16 ? 1.0 : 0.99;
            assertTrue(diff <= maxDiff, q + ": the two runtimes' probabilities differ by " + diff);
            assertTrue(agreement >= minAgreement, q + ": the same answer in both runtimes on only " + agreement);
        }
    }

    @Test
    void theExporterVerifiesInTheRuntimeChosen() throws Exception {
        Path file = dir.resolve("cnn-choice.tflite");
        new TfliteExporter().export(Sources.of(model), ExportOptions.builder().build(), file);
        String before = System.getProperty(TfliteExporter.RUNTIME_PROPERTY);
        try {
            System.setProperty(TfliteExporter.RUNTIME_PROPERTY, "interpreter");
            TfliteExporter interpreter = new TfliteExporter();
            assertTrue(interpreter.runtime().startsWith("TensorFlow Lite 2.6"), interpreter.runtime());
            try (LoadedModel m = interpreter.load(file, ExportOptions.builder().build())) {
                assertTrue(m instanceof TfliteLoadedModel, m.toString());
            }
            System.setProperty(TfliteExporter.RUNTIME_PROPERTY, "litert");
            TfliteExporter liteRt = new TfliteExporter();
            assertTrue(liteRt.runtime().startsWith("LiteRT.js 2."), liteRt.runtime());
            try (LoadedModel m = liteRt.load(file, ExportOptions.builder().build())) {
                assertTrue(m instanceof LiteRtLoadedModel, m.toString());
                assertEquals(10, m.predict(new float[784], 1)[0].length);
            }
            System.setProperty(TfliteExporter.RUNTIME_PROPERTY, "gpu");
            Exception e = assertThrows(RuntimeException.class, () -> new TfliteExporter().runtime());
            assertTrue(e.getMessage().contains("choose litert, interpreter or auto"), e.getMessage());
        } finally {
            if (before == null) System.clearProperty(TfliteExporter.RUNTIME_PROPERTY);
            else System.setProperty(TfliteExporter.RUNTIME_PROPERTY, before);
        }
    }

    @Test
    void integerInputFilesRunWhereTheirTypeIsTaken() throws Exception {
        ImageSet calibration = TestData.mnist().train().head(100);
        float[][] reference = model.predictAll(test.head(200), 200);
        for (ExportOptions.InputType type : ExportOptions.InputType.values()) {
            ExportOptions options = ExportOptions.builder().quantization(Quantization.FULL_INT8).representative(calibration)
                    .inputType(type).build();
            Path file = dir.resolve("cnn-int8-" + type + "-input.tflite");
            TfliteExporter exporter = new TfliteExporter();
            exporter.export(Sources.of(model), options, file);
            // LiteRT.js's tensors have no int8 type: such a file is verified, and recorded as verified, in the interpreter.
            boolean liteRt = type != ExportOptions.InputType.INT8;
            assertEquals(liteRt, exporter.runtime(file, options).startsWith("LiteRT.js "), type + ": " + exporter.runtime(file, options));
            try (LoadedModel m = exporter.load(file, options)) {
                assertEquals(liteRt, m instanceof LiteRtLoadedModel, type + ": " + m);
                float[][] p = m.predict(java.util.Arrays.copyOf(pixels, 200 * 784), 200);
                double agreement = Predictions.agreement(p, reference);
                assertTrue(agreement >= 0.97, type + ": the same answer as the trained model on only " + agreement);
                for (float[] row : p) {
                    float sum = 0;
                    for (float v : row) sum += v;
                    assertEquals(1f, sum, 0.05f, type + ": dequantized probabilities sum to " + sum);
                }
            }
        }
    }

    @Test
    void aRuntimeDirectoryWithoutLiteRtSaysHowToInstallIt() throws Exception {
        Path runtime = Files.createDirectories(dir.resolve("litert-runtime"));
        Files.copy(LiteRtLoadedModel.locate().directory().resolve("run.mjs"), runtime.resolve("run.mjs"));
        String before = System.getProperty(LiteRtLoadedModel.RUNTIME_PROPERTY);
        try {
            System.setProperty(LiteRtLoadedModel.RUNTIME_PROPERTY, runtime.toString());
            IllegalStateException e = assertThrows(IllegalStateException.class, LiteRtLoadedModel::locate);
            assertTrue(e.getMessage().contains("LiteRT.js (@litertjs/core) is not installed in " + runtime), e.getMessage());
            assertTrue(e.getMessage().contains("npm ci --prefix convert/litert-runtime"), e.getMessage());
        } finally {
            if (before == null) System.clearProperty(LiteRtLoadedModel.RUNTIME_PROPERTY);
            else System.setProperty(LiteRtLoadedModel.RUNTIME_PROPERTY, before);
        }
    }

    @Test
    void aFileLiteRtCannotLoadIsNamedInTheError() throws Exception {
        Path file = dir.resolve("not-a-model.tflite");
        // A flatbuffer header Java reads, with nothing behind it that LiteRT can load.
        new TfliteExporter().export(Sources.of(model), ExportOptions.builder().build(), file);
        byte[] bytes = Files.readAllBytes(file);
        for (int i = 64; i < bytes.length; i++) bytes[i] = 0;
        Files.write(file, bytes);
        Exception e = assertThrows(Exception.class, () -> LiteRtLoadedModel.start(LiteRtLoadedModel.locate(), file).close());
        assertTrue(String.valueOf(e.getMessage()).contains("not-a-model.tflite"), String.valueOf(e.getMessage()));
    }
}
