package dev.digits.android;

import dev.digits.convert.tflite.TfliteRuntime;
import dev.digits.core.preprocess.DigitPreprocessor;
import dev.digits.core.preprocess.PreprocessedDigit;
import dev.digits.core.recognition.Recognition;
import dev.digits.train.TestData;
import dev.digits.core.data.ImageSet;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The models an APK built from a fresh checkout carries: without a model of your own, app/build.gradle bundles the
 * server's embedded default model (cnn.tflite as assets/mnist.tflite, its quantized variants beside it). Each is run
 * here through the app's Classifier as the phone would run it.
 */
class BundledModelTest {
    private static List<Path> models;

    @BeforeAll
    static void findModels() throws IOException {
        TfliteRuntime.load();
        Path dir = BuildInputs.property("digits.android.default.models");
        try (Stream<Path> files = Files.list(dir)) {
            models = files.filter(p -> p.getFileName().toString().endsWith(".tflite")).sorted()
                    .collect(Collectors.toList());
        }
        assertTrue(models.stream().anyMatch(p -> p.getFileName().toString().equals("cnn.tflite")),
                "the default model the build bundles as mnist.tflite: " + models);
    }

    @Test
    void everyBundledVariantReadsMnistTestDigits() throws IOException {
        for (Path model : models) {
            File file = model.toFile();
            // The desktop runtime's int8 kernels are slow (tens of ms per digit here), so variants get fewer digits.
            ImageSet test = TestData.mnist().test().head(file.getName().equals("cnn.tflite") ? 1000 : 300);
            try (Classifier classifier = Classifier.open(file, 2)) {
                int correct = 0;
                for (int i = 0; i < test.size(); i++) {
                    Recognition r = classifier.classify(PreprocessedDigit.fromMnist(test.rawImage(i)), 0);
                    if (r.index() == test.label(i)) correct++;
                }
                double accuracy = correct / (double) test.size();
                assertTrue(accuracy >= 0.98, file.getName() + " (" + classifier.inputSignature() + "): accuracy "
                        + accuracy + " on " + test.size() + " MNIST test digits");
            }
        }
    }

    @Test
    void theDefaultModelReadsDigitsDrawnOnThePad() throws IOException {
        Path model = models.stream().filter(p -> p.getFileName().toString().equals("cnn.tflite")).findFirst()
                .orElseThrow();
        StringBuilder wrong = new StringBuilder();
        try (Classifier classifier = Classifier.open(model.toFile(), 1)) {
            for (Map.Entry<Integer, StrokePad> e : ClassifierTest.drawnDigits().entrySet()) {
                PreprocessedDigit digit = DigitPreprocessor.defaults().process(e.getValue().whiteOnBlack(),
                        DrawView.PAD_SIZE, DrawView.PAD_SIZE);
                Recognition r = classifier.classify(digit, 0);
                if (r.index() != e.getKey()) wrong.append("drew ").append(e.getKey()).append(", got ").append(r)
                        .append('\n');
            }
        }
        assertEquals("", wrong.toString());
    }
}
