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

    /**
     * Given the MNIST test set, the verifier holds a version to its card on 1,000 digits: the embedded model passes
     * (its card's 99.3% is met), and the same model with classes 3 and 8 swapped — 80% right, which the 100 packaged
     * digits would also catch — is refused naming the accuracy its card claims.
     */
    @Test
    void withTheMnistTestSetAVersionIsHeldToItsCardOnAThousandDigits(@TempDir Path dir) throws Exception {
        Path mnist = TestModels.mnistDirectory();
        assertTrue(VersionVerifier.holdsMnistTestSet(mnist), mnist + " holds the MNIST test set");
        VersionVerifier verifier = new VersionVerifier(0.5, mnist);
        dev.digits.core.artifact.ModelCard card = dev.digits.core.artifact.ModelArtifact.open(TestModels.embeddedModel())
                .card();
        try (OnnxSessionModel m = open(TestModels.embeddedModel())) {
            double accuracy = verifier.verify(m, DIGITS, card.metrics());
            assertTrue(accuracy >= card.metrics().accuracy() - VersionVerifier.allowance(card.metrics().accuracy(), 1000),
                    "the embedded model meets its own card on 1,000 digits: " + accuracy);
        }
        TestModels.swappedClassesCopy(dir.resolve("swapped"), 3, 8);
        try (OnnxSessionModel m = open(dir.resolve("swapped"))) {
            VerificationException e = assertThrows(VerificationException.class,
                    () -> verifier.verify(m, DIGITS, card.metrics()));
            assertTrue(e.getMessage().contains("of 1000 known digits") && e.getMessage().contains("card claims"),
                    e.getMessage());
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
