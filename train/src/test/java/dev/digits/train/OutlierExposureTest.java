package dev.digits.train;

import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.data.ImageSet;
import dev.digits.core.model.Architectures;
import dev.digits.train.data.Dataset;
import dev.digits.train.robustness.InstalledFonts;
import dev.digits.train.robustness.NotDigitTrainingImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Training with pictures that are not digits (outlier exposure) makes the model unsure about such pictures — also
 * about ones it never saw — while it still reads digits.
 */
class OutlierExposureTest {
    private static double meanLargestProbability(TrainedModel model, ImageSet images) {
        double sum = 0;
        for (int i = 0; i < images.size(); i++) {
            float[] p = model.predict(images.image(i));
            float max = 0;
            for (float v : p) max = Math.max(max, v);
            sum += max;
        }
        return sum / images.size();
    }

    private static TrainedModel train(Dataset slice, Trainer.NotDigits negatives, Path dir) throws IOException {
        return Trainer.builder().architecture(Architectures.get("cnn")).epochs(1).seed(1).notDigits(negatives)
                .progress(false, new PrintStream(OutputStream.nullOutputStream())).build().train(slice, dir);
    }

    @Test
    void notDigitsGetALowLargestProbabilityAndDigitsAreStillRead(@TempDir Path dir) throws IOException {
        Dataset mnist = TestData.mnist();
        Dataset slice = new Dataset("mnist", mnist.train().head(6000), mnist.test().head(1000), mnist.checksums());
        InstalledFonts fonts = InstalledFonts.under(InstalledFonts.SYSTEM_FONTS);
        ImageSet seen = NotDigitTrainingImages.generate(fonts, 600, 1, null);
        // Other pictures of the same families, drawn with another seed: what the model is judged on.
        ImageSet unseen = NotDigitTrainingImages.generate(fonts, 200, 2, null);
        ImageSet digits = mnist.test().head(1000);
        try (TrainedModel plain = train(slice, null, dir.resolve("plain"));
             TrainedModel exposed = train(slice, new Trainer.NotDigits(seen, 0.25, 0.5, "test pictures"),
                     dir.resolve("exposed"))) {
            double before = meanLargestProbability(plain, unseen);
            double after = meanLargestProbability(exposed, unseen);
            assertTrue(after < 0.75 * before, "mean largest probability on pictures that are not digits: " + before
                    + " without, " + after + " with outlier exposure");
            double accuracyPlain = plain.evaluate(digits).accuracy();
            double accuracyExposed = exposed.evaluate(digits).accuracy();
            assertTrue(accuracyExposed > accuracyPlain - 0.03, accuracyPlain + " → " + accuracyExposed);
            double digitsPlain = meanLargestProbability(plain, digits);
            double digitsExposed = meanLargestProbability(exposed, digits);
            // Confidence falls far more on what is not a digit than on digits: the gap a digit check needs.
            assertTrue(digitsExposed - after > digitsPlain - before + 0.1, "mean largest probability on digits "
                    + digitsPlain + " → " + digitsExposed + ", on pictures that are not digits " + before + " → " + after);
        }
        String card = Files.readString(dir.resolve("exposed").resolve(ModelArtifact.CARD_FILE));
        Map<?, ?> training = (Map<?, ?>) dev.digits.core.json.Json.parseObject(card).get("training");
        Map<?, ?> recorded = (Map<?, ?>) training.get("notDigits");
        assertEquals(600, ((Number) recorded.get("images")).intValue());
        assertEquals("test pictures", recorded.get("source"));
    }
}
