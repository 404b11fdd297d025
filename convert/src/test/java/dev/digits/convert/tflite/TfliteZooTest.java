package dev.digits.convert.tflite;

import dev.digits.convert.Sources;
import dev.digits.convert.ExportOptions;
import dev.digits.convert.LoadedModel;
import dev.digits.convert.Quantization;
import dev.digits.core.model.Architectures;
import dev.digits.train.TestData;
import dev.digits.train.TrainedModel;
import dev.digits.core.data.ImageSet;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every zoo architecture, briefly trained, exported and run in TFLite on real MNIST test images. */
class TfliteZooTest {
    private static final int TEST_IMAGES = 500;
    /** Fewer images for the quantized files: they only need to show the graph works, accuracy is measured elsewhere. */
    private static final int QUANTIZED_TEST_IMAGES = 60;

    @TempDir
    Path dir;

    static List<String> architectures() {
        return Architectures.NAMES;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("architectures")
    void float32ExportAgreesWithTheTrainedModel(String architecture) throws Exception {
        TrainedModel model = TrainedZoo.get(architecture);
        ImageSet test = TestData.mnist().test().head(TEST_IMAGES);
        float[][] actual = run(model, ExportOptions.builder().build(), test);
        double diff = Predictions.maxDifference(actual, model.predictAll(test, 100));
        assertEquals(TEST_IMAGES, actual.length);
        assertTrue(diff <= 1e-4, architecture + ": TFLite differs from the trained model by " + diff);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("architectures")
    void quantizedExportsLoadAndGiveTheSameAnswers(String architecture) throws Exception {
        TrainedModel model = TrainedZoo.get(architecture);
        ImageSet test = TestData.mnist().test().head(QUANTIZED_TEST_IMAGES);
        ImageSet calibration = TestData.mnist().train().head(100);
        float[][] reference = model.predictAll(test, 100);
        for (Quantization q : List.of(Quantization.FLOAT16, Quantization.DYNAMIC_INT8, Quantization.FULL_INT8)) {
            float[][] actual = run(model, ExportOptions.builder().quantization(q).representative(calibration).build(), test);
            double agreement = Predictions.agreement(actual, reference);
            assertTrue(agreement >= (q == Quantization.FLOAT16 ? 0.99 : 0.9),
                    architecture + " " + q.id() + ": the same answer as the trained model on only " + agreement);
        }
    }

    private float[][] run(TrainedModel model, ExportOptions options, ImageSet images) throws IOException {
        TfliteExporter exporter = new TfliteExporter();
        Path file = dir.resolve(model.spec().name() + "-" + options.quantization().id() + ".tflite");
        exporter.export(Sources.of(model), options, file);
        try (LoadedModel loaded = exporter.load(file, options)) {
            return loaded.predict(Predictions.pixels(images), images.size());
        }
    }
}
