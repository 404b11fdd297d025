package dev.digits.train;

import dev.digits.core.data.ImageSet;
import dev.digits.core.model.Architectures;
import dev.digits.train.data.Dataset;
import dev.digits.train.robustness.InstalledFonts;
import dev.digits.train.robustness.UserDigitTrainingImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Digits drawn as users send them, trained beside MNIST, teach a model to read digits of those kinds. */
class UserDigitTrainingTest {
    private static TrainedModel train(Dataset data, Path dir) throws IOException {
        return Trainer.builder().architecture(Architectures.get("cnn")).epochs(1).seed(1)
                .progress(false, new PrintStream(OutputStream.nullOutputStream())).build().train(data, dir);
    }

    @Test
    void drawnDigitsAreLabelledReproducibleAndFromEveryFamily() throws IOException {
        Dataset mnist = TestData.mnist();
        InstalledFonts fonts = InstalledFonts.under(InstalledFonts.SYSTEM_FONTS);
        ImageSet a = UserDigitTrainingImages.generate(mnist.train().head(2000), fonts, 100, 1, null);
        ImageSet b = UserDigitTrainingImages.generate(mnist.train().head(2000), fonts, 100, 1, null);
        ImageSet c = UserDigitTrainingImages.generate(mnist.train().head(2000), fonts, 100, 2, null);
        assertEquals(100, a.size());
        assertArrayEquals(a.image(37), b.image(37));
        assertFalse(Arrays.equals(a.image(37), c.image(37)));
        int[] counts = a.classCounts();
        for (int digit = 0; digit < 10; digit++) assertTrue(counts[digit] > 0, "digit " + digit + ": " + Arrays.toString(counts));
        assertEquals(UserDigitTrainingImages.TRAINING_FAMILIES.size(), 5);
    }

    @Test
    void aModelTrainedWithThemReadsSuchDigitsBetter(@TempDir Path dir) throws IOException {
        Dataset mnist = TestData.mnist();
        ImageSet train = mnist.train().head(6000);
        InstalledFonts fonts = InstalledFonts.under(InstalledFonts.SYSTEM_FONTS);
        ImageSet drawn = UserDigitTrainingImages.generate(train, fonts, 1500, 1, null);
        // Judged on test digits redrawn with another seed: the same kinds of picture, none of them trained on.
        ImageSet judged = UserDigitTrainingImages.generate(mnist.test().head(1000), fonts, 400, 2, null);
        ImageSet digits = mnist.test().head(1000);
        try (TrainedModel plain = train(new Dataset("mnist", train, digits, mnist.checksums()), dir.resolve("plain"));
             TrainedModel withDrawn = train(new Dataset("mnist", train.append(drawn), digits, mnist.checksums()),
                     dir.resolve("drawn"))) {
            double before = plain.evaluate(judged).accuracy();
            double after = withDrawn.evaluate(judged).accuracy();
            assertTrue(after > before + 0.03, "drawn digits read right: " + before + " without, " + after + " with");
            double mnistBefore = plain.evaluate(digits).accuracy();
            double mnistAfter = withDrawn.evaluate(digits).accuracy();
            assertTrue(mnistAfter > mnistBefore - 0.02, "MNIST test digits: " + mnistBefore + " → " + mnistAfter);
        }
    }
}
