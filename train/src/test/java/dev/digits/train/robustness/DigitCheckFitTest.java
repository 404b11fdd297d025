package dev.digits.train.robustness;

import dev.digits.core.data.ImageSet;
import dev.digits.core.recognition.DigitCheck;
import dev.digits.train.QuickModels;
import dev.digits.train.TestData;
import dev.digits.train.TrainedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DigitCheckFitTest {
    @Test
    void theFittedCheckRejectsTheChosenShareOfHeldOutDigits(@TempDir Path dir) throws IOException {
        ImageSet train = TestData.mnist().train();
        // The model trains on the first 3,000 images; the check is fitted on 2,000 it never saw.
        ImageSet heldOut = train.subset(ImageSet.range(train.size() - 2000, train.size()));
        try (TrainedModel model = QuickModels.train("cnn", 3000, dir)) {
            DigitCheckFit fit = DigitCheckFit.fit(model, heldOut, 0.05);
            DigitCheck check = fit.check();
            assertTrue(check.rejects());
            assertTrue(check.temperature() > 0.1 && check.temperature() < 10, fit.describe());
            assertEquals(0.05, fit.rejectedShareOf(model, heldOut), 0.005, fit.describe());
            // Other digits the model never saw: about the same share, as the test set shows.
            double test = fit.rejectedShareOf(model, TestData.mnist().test().head(2000));
            assertTrue(test > 0.02 && test < 0.1, "MNIST test digits rejected: " + test);
            assertTrue(fit.describe().contains("rejecting 5.0% of 2,000 held-out training digits"), fit.describe());
        }
    }

    @Test
    void fittedAlsoOnDigitsDrawnAsUsersSendThemItPassesMoreOfThoseAndNamesBothKinds(@TempDir Path dir) throws IOException {
        ImageSet train = TestData.mnist().train();
        ImageSet heldOut = train.subset(ImageSet.range(train.size() - 1000, train.size()));
        InstalledFonts fonts = InstalledFonts.under(InstalledFonts.SYSTEM_FONTS);
        ImageSet drawn = UserDigitTrainingImages.generateHeldOut(heldOut, fonts, 1000, 1);
        // Judged on other drawn digits: redrawn from the test set with the benchmark's kind of seed.
        ImageSet judged = UserDigitTrainingImages.generate(TestData.mnist().test().head(1000), fonts, 500, 7, null);
        try (TrainedModel model = QuickModels.train("cnn", 3000, dir)) {
            DigitCheckFit mnistOnly = DigitCheckFit.fit(model, heldOut, 0.02);
            DigitCheckFit both = DigitCheckFit.fit(model, heldOut.append(drawn), 0.02, "held-out digits (MNIST and drawn)");
            double before = mnistOnly.rejectedShareOf(model, judged);
            double after = both.rejectedShareOf(model, judged);
            assertTrue(after < before, "drawn digits rejected: " + before + " fitted on MNIST, " + after + " on both");
            assertTrue(both.rejectedShareOf(model, heldOut) <= mnistOnly.rejectedShareOf(model, heldOut) + 1e-9);
            assertTrue(both.describe().endsWith("rejecting 2.0% of 2,000 held-out digits (MNIST and drawn)"), both.describe());
        }
    }

    @Test
    void heldOutDrawnDigitsAreReproducibleAndNotTheTrainingDraws() throws IOException {
        ImageSet digits = TestData.mnist().train().head(500);
        InstalledFonts fonts = InstalledFonts.under(InstalledFonts.SYSTEM_FONTS);
        ImageSet a = UserDigitTrainingImages.generateHeldOut(digits, fonts, 60, 1);
        ImageSet b = UserDigitTrainingImages.generateHeldOut(digits, fonts, 60, 1);
        ImageSet trainingDraws = UserDigitTrainingImages.generate(digits, fonts, 60, 1, null);
        assertEquals(60, a.size());
        for (int i = 0; i < a.size(); i++) assertArrayEquals(a.rawImage(i), b.rawImage(i));
        int same = 0;
        for (int i = 0; i < a.size(); i++) if (java.util.Arrays.equals(a.rawImage(i), trainingDraws.rawImage(i))) same++;
        assertEquals(0, same, "the same seed draws other pictures for fitting than for training");
    }

    @Test
    void refusesTooFewDigitsOrAnImpossibleShare(@TempDir Path dir) throws IOException {
        try (TrainedModel model = QuickModels.train("mlp", 500, dir)) {
            ImageSet few = TestData.mnist().train().head(50);
            assertThrows(IllegalArgumentException.class, () -> DigitCheckFit.fit(model, few, 0.01));
            ImageSet enough = TestData.mnist().train().head(500);
            assertThrows(IllegalArgumentException.class, () -> DigitCheckFit.fit(model, enough, 0.6));
        }
    }
}
