package dev.digits.serve.inference;

import dev.digits.core.data.ImageSet;
import dev.digits.serve.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The known digits every uploaded version is checked on. */
class VersionVerifierTest {
    private static final List<String> DIGITS = List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");

    private static OnnxSessionModel open(Path modelDir) throws Exception {
        return OnnxSessionModel.open(Files.readAllBytes(modelDir.resolve(TestModels.ONNX)), TestModels.ONNX);
    }

    @Test
    void theVerificationDigitsAreTheFirstTenOfEachClassInTheMnistTestSet() {
        ImageSet test = TestModels.mnistTest();
        float[] packaged = VersionVerifier.pixels();
        int[] seen = new int[10];
        for (int i = 0; i < test.size() && java.util.Arrays.stream(seen).anyMatch(c -> c < 10); i++) {
            int label = test.label(i);
            if (seen[label] == 10) continue;
            int slot = label * 10 + seen[label]++;
            float[] expected = test.image(i);
            float[] actual = java.util.Arrays.copyOfRange(packaged, slot * 784, (slot + 1) * 784);
            assertArrayEquals(expected, actual, "verification image " + slot + " (MNIST test image " + i + ")");
            assertTrue(VersionVerifier.label(slot) == label);
        }
    }

    @Test
    void aTrainedModelPassesWithItsShareOfKnownDigitsRight() throws Exception {
        try (OnnxSessionModel m = open(TestModels.secondModel())) {
            float[][] p = m.predict(VersionVerifier.pixels(), VersionVerifier.IMAGES);
            int right = 0;
            for (int i = 0; i < p.length; i++) {
                int best = 0;
                for (int k = 1; k < 10; k++) if (p[i][k] > p[i][best]) best = k;
                if (best == VersionVerifier.label(i)) right++;
            }
            double accuracy = new VersionVerifier(0.5).verify(m, DIGITS);
            assertEquals(right / 100.0, accuracy, 1e-9);
            assertTrue(accuracy >= 0.9, "a trained cnn gets most known digits right: " + accuracy);
        }
    }

    @Test
    void aModelWithZeroWeightsFailsNamingTheScore(@TempDir Path dir) throws Exception {
        TestModels.untrainedCopy(dir.resolve("untrained"));
        try (OnnxSessionModel m = open(dir.resolve("untrained"))) {
            VerificationException e = assertThrows(VerificationException.class,
                    () -> new VersionVerifier(0.5).verify(m, DIGITS));
            assertTrue(e.getMessage().contains("of 100 known digits"), e.getMessage());
        }
    }

    @Test
    void classesThatAreNotTheDigitsInOrderAreRefused() throws Exception {
        try (OnnxSessionModel m = open(TestModels.embeddedModel())) {
            List<String> shuffled = List.of("1", "0", "2", "3", "4", "5", "6", "7", "8", "9");
            VerificationException e = assertThrows(VerificationException.class,
                    () -> new VersionVerifier(0.5).verify(m, shuffled));
            assertTrue(e.getMessage().contains("labelled '1'"), e.getMessage());
        }
    }
}
