package dev.digits.cli;

import dev.digits.core.artifact.InputContract;
import dev.digits.core.artifact.ModelArtifact;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A model trained with {@code --deskew}, as a user makes and uses it: its card declares the digit-deskewed
 * preprocessing, and every command that feeds it images deskews them as training did.
 */
class DeskewedModelTest {
    @TempDir
    static Path dir;
    private static Path model;
    private static String trainedAccuracy;
    private static String trainingOutput;

    private static String data() {
        return System.getProperty("digits.data");
    }

    @BeforeAll
    static void train() {
        model = dir.resolve("mlp");
        CliTest.Run r = CliTest.run("train", "--model", "mlp", "--epochs", "1", "--limit", "3000", "--seed", "4",
                "--deskew", "--data", data(), "--output", model.toString());
        assertEquals(0, r.code(), r.err());
        trainingOutput = r.out();
        assertTrue(r.out().contains(", deskewed"), "the run says so: " + r.out());
        Matcher m = Pattern.compile("Test accuracy ([0-9.]+)%").matcher(r.out());
        assertTrue(m.find(), r.out());
        trainedAccuracy = m.group(1);
    }

    @Test
    void theCardDeclaresTheDeskewingAndEvaluationDeskewsTheTestSetAsTrainingDid() throws Exception {
        assertEquals(InputContract.Preprocessing.DIGIT_DESKEWED, ModelArtifact.open(model).input().preprocessing());
        CliTest.Run eval = CliTest.run("evaluate", model.toString(), "--data", data());
        assertEquals(0, eval.code(), eval.err());
        // The same test images as the trainer scored: deskewed. Upright ones would score otherwise.
        assertTrue(eval.out().contains("Accuracy " + trainedAccuracy + "%"), trainedAccuracy + "% expected:\n" + eval.out());
    }

    @Test
    void theRobustnessBenchmarkRunsTheModelOnItsOwnPreprocessing() {
        CliTest.Run r = CliTest.run("robustness", model.toString(), "--images", "2", "--seed", "3", "--compare-methods",
                "--output", dir.resolve("robustness").toString(), "--data", data());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("| canvas-280 | digit | 2 |"), r.out());
    }

    @Test
    void eachEpochIsValidatedOnHeldOutTrainingImagesNotTheTestSet() throws Exception {
        Map<String, Object> training = ModelArtifact.open(model).card().training();
        // --limit takes the first 3,000 of the 55,000 left once the last 5,000 are held out.
        assertEquals(3000, ((Number) training.get("trainImages")).intValue(), training.toString());
        assertEquals(TrainCommand.DEFAULT_HOLD_OUT, ((Number) training.get("validationImages")).intValue());
        assertEquals(10_000, ((Number) training.get("testImages")).intValue());
        assertEquals("held out of the training images, never trained on", training.get("validation"));
        assertTrue(trainingOutput.contains("Each epoch is validated on the last 5,000 training images"), trainingOutput);
    }
}
