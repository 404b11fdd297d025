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
    void refusesTooFewDigitsOrAnImpossibleShare(@TempDir Path dir) throws IOException {
        try (TrainedModel model = QuickModels.train("mlp", 500, dir)) {
            ImageSet few = TestData.mnist().train().head(50);
            assertThrows(IllegalArgumentException.class, () -> DigitCheckFit.fit(model, few, 0.01));
            ImageSet enough = TestData.mnist().train().head(500);
            assertThrows(IllegalArgumentException.class, () -> DigitCheckFit.fit(model, enough, 0.6));
        }
    }
}
