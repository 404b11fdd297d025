package dev.digits.android;

import dev.digits.convert.Quantization;
import dev.digits.core.preprocess.DigitPreprocessor;
import dev.digits.core.preprocess.PreprocessedDigit;
import dev.digits.core.recognition.Recognition;
import dev.digits.train.TestData;
import dev.digits.train.TrainedModel;
import dev.digits.core.data.ImageSet;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The app's {@link Classifier}, unchanged, on the desktop TFLite runtime with a model exported by Digits: the same
 * {@code Interpreter} calls the phone makes, the same core preprocessing in front of them.
 */
class ClassifierTest {
    private static final int MNIST_IMAGES = 1000;
    private static ImageSet mnistTest;
    private static TrainedModel reference;

    @BeforeAll
    static void trainAndExport() throws IOException {
        reference = ExportedModels.trained();
        mnistTest = TestData.mnist().test().head(MNIST_IMAGES);
    }

    private static Classifier open(Quantization q, int threads) throws IOException {
        File file = ExportedModels.tflite(q).toFile();
        return new Classifier(Classifier.map(file), file.getName(), threads, Classifier.Accelerator.CPU);
    }

    @Test
    void classifiesMnistTestDigitsWithTheTrainedModelsProbabilities() throws IOException {
        int correct = 0;
        float worst = 0;
        try (Classifier classifier = open(Quantization.FLOAT32, 2)) {
            assertEquals("[1, 28, 28, 1] FLOAT32", classifier.inputSignature());
            for (int i = 0; i < mnistTest.size(); i++) {
                PreprocessedDigit digit = PreprocessedDigit.fromMnist(mnistTest.rawImage(i));
                Recognition r = classifier.classify(digit, 0);
                float[] expected = reference.predict(mnistTest.image(i));
                float[] actual = r.probabilities();
                for (int k = 0; k < 10; k++) worst = Math.max(worst, Math.abs(expected[k] - actual[k]));
                if (r.index() == mnistTest.label(i)) correct++;
                assertTrue(r.inferenceMillis() > 0, "inference time is measured");
            }
        }
        assertTrue(worst < 1e-4, "largest probability difference to the trained model: " + worst);
        double accuracy = correct / (double) mnistTest.size();
        assertTrue(accuracy > 0.93, "accuracy on " + mnistTest.size() + " MNIST test digits: " + accuracy);
    }

    /** Digits drawn on the app's pad: pen strokes as a finger would leave them. */
    static Map<Integer, StrokePad> drawnDigits() {
        Map<Integer, StrokePad> d = new LinkedHashMap<>();
        d.put(0, new StrokePad().arc(140, 140, 55, 85, 0, 360));
        d.put(1, new StrokePad().stroke(145, 45, 135, 235));
        d.put(2, new StrokePad().arc(140, 100, 55, 50, 170, 380).stroke(190, 117, 85, 230, 205, 230));
        d.put(3, new StrokePad().arc(135, 95, 55, 45, -160, 90).arc(135, 185, 60, 45, -90, 160));
        d.put(4, new StrokePad().stroke(150, 45, 80, 165, 210, 165).stroke(175, 95, 175, 235));
        d.put(7, new StrokePad().stroke(80, 55, 200, 55, 115, 235));
        d.put(8, new StrokePad().arc(140, 92, 45, 45, 0, 360).arc(140, 185, 55, 50, 0, 360));
        return d;
    }

    @Test
    void classifiesDigitsDrawnOnThePadAndWrittenOnPaper() throws IOException {
        DigitPreprocessor preprocessor = DigitPreprocessor.defaults();
        StringBuilder wrong = new StringBuilder();
        try (Classifier classifier = open(Quantization.FLOAT32, 1)) {
            for (Map.Entry<Integer, StrokePad> e : drawnDigits().entrySet()) {
                int size = DrawView.PAD_SIZE;
                PreprocessedDigit pad = preprocessor.process(e.getValue().whiteOnBlack(), size, size);
                PreprocessedDigit paper = preprocessor.process(e.getValue().inkOnPaper(), size, size);
                assertTrue(paper.inverted(), "dark ink on paper is inverted");
                for (PreprocessedDigit digit : new PreprocessedDigit[]{pad, paper}) {
                    Recognition r = classifier.classify(digit, 0);
                    if (r.index() != e.getKey()) {
                        wrong.append("drew ").append(e.getKey()).append(", got ").append(r).append('\n')
                                .append(digit.toAsciiArt());
                    }
                }
            }
        }
        assertEquals("", wrong.toString());
    }

    @Test
    void refusesToLabelABlankPad() throws IOException {
        PreprocessedDigit blank = DigitPreprocessor.defaults().process(new StrokePad().whiteOnBlack(),
                DrawView.PAD_SIZE, DrawView.PAD_SIZE);
        assertFalse(blank.found());
        try (Classifier classifier = open(Quantization.FLOAT32, 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> classifier.classify(blank, 0));
            assertTrue(e.getMessage().contains("no digit"), e.getMessage());
        }
    }

    @Test
    void everyQuantizedVariantAgreesWithFloat32OnMnist() throws IOException {
        try (Classifier float32 = open(Quantization.FLOAT32, 1)) {
            for (Quantization q : new Quantization[]{Quantization.FLOAT16, Quantization.DYNAMIC_INT8,
                    Quantization.FULL_INT8}) {
                try (Classifier variant = open(q, 1)) {
                    int same = 0;
                    int n = 300;
                    for (int i = 0; i < n; i++) {
                        float[] pixels = mnistTest.image(i);
                        if (variant.classify(pixels, 0).index() == float32.classify(pixels, 0).index()) same++;
                    }
                    assertTrue(same >= n * 0.97, q + " agrees with float32 on " + same + " of " + n + " digits ("
                            + variant.inputSignature() + ")");
                }
            }
        }
    }

    /**
     * A model at an offset that is not a multiple of 4, as in an APK packed without zipalign: mapped in place it
     * crashes TFLite's native code (seen under Robolectric with a float16 file at offset 1027), so it is copied into
     * an aligned buffer and answers exactly as the file does.
     */
    @Test
    void aModelAtAnUnalignedOffsetIsCopiedAndAnswersAsTheFileDoes(@TempDir Path dir) throws IOException {
        Path model = ExportedModels.tflite(Quantization.FLOAT16);
        byte[] bytes = Files.readAllBytes(model);
        Path packed = dir.resolve("packed.bin");
        byte[] withPrefix = new byte[3 + bytes.length];
        System.arraycopy(bytes, 0, withPrefix, 3, bytes.length);
        Files.write(packed, withPrefix);
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(packed);
             Classifier fromFile = Classifier.open(model.toFile(), 1)) {
            // A mapping is read-only; the copy is a writable direct buffer (both are direct, as TFLite needs).
            assertTrue(Classifier.map(channel, 0, 4).isReadOnly(), "an aligned model is mapped, not copied");
            java.nio.ByteBuffer copied = Classifier.map(channel, 3, bytes.length);
            assertFalse(copied.isReadOnly());
            assertTrue(copied.isDirect());
            assertEquals(bytes.length, copied.remaining());
            try (Classifier fromApk = new Classifier(copied, "packed", 1, Classifier.Accelerator.CPU)) {
                for (int i = 0; i < 50; i++) {
                    float[] pixels = mnistTest.image(i);
                    org.junit.jupiter.api.Assertions.assertArrayEquals(fromFile.classify(pixels, 0).probabilities(),
                            fromApk.classify(pixels, 0).probabilities());
                }
            }
        }
    }

    @Test
    void threadCountDoesNotChangeTheAnswer() throws IOException {
        float[] pixels = mnistTest.image(0);
        try (Classifier one = open(Quantization.FLOAT32, 1); Classifier four = open(Quantization.FLOAT32, 4)) {
            float[] a = one.classify(pixels, 0).probabilities();
            float[] b = four.classify(pixels, 0).probabilities();
            for (int k = 0; k < 10; k++) assertEquals(a[k], b[k], 1e-6f);
        }
    }

    @Test
    void benchmarkTimesEveryRunAndReportsMeanAndP90() throws IOException {
        try (Classifier classifier = open(Quantization.FLOAT32, 1)) {
            ModelBenchmark.Result r = new ModelBenchmark(5, 50).run(classifier, ModelBenchmark.standInDigit());
            LatencyStats s = r.stats();
            assertEquals(50, s.count());
            assertTrue(s.minMillis() > 0 && s.minMillis() <= s.p50Millis() && s.p50Millis() <= s.p90Millis()
                    && s.p90Millis() <= s.maxMillis(), s.toString());
            assertTrue(s.meanMillis() >= s.minMillis() && s.meanMillis() <= s.maxMillis(), s.toString());
            assertEquals("1", r.answer().label(), "the benchmark's stand-in input reads as a 1");
        }
    }

    @Test
    void aFileThatIsNotAModelIsRefusedWithItsName(@TempDir Path dir) throws IOException {
        Path junk = dir.resolve("broken.tflite");
        Files.write(junk, new byte[]{'n', 'o', 't', ' ', 'a', ' ', 'm', 'o', 'd', 'e', 'l', 0, 0, 0, 0, 0});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Classifier(Classifier.map(junk.toFile()), "broken.tflite", 1, Classifier.Accelerator.CPU));
        assertTrue(e.getMessage().contains("broken.tflite"), e.getMessage());
    }

    @Test
    void theGpuChoiceWithoutTheGpuArtifactSaysWhatToAdd() throws IOException {
        File file = ExportedModels.tflite(Quantization.FLOAT32).toFile();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Classifier(Classifier.map(file), "cnn", 1, Classifier.Accelerator.GPU));
        assertTrue(e.getMessage().contains("no GPU delegate") && e.getMessage().contains("build.gradle"),
                e.getMessage());
    }
}
