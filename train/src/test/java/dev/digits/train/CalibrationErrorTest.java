package dev.digits.train;

import dev.digits.core.artifact.ModelCard;
import dev.digits.core.data.ImageSet;
import dev.digits.core.json.Json;
import dev.digits.core.model.Architectures;
import dev.digits.core.model.ModelSpec;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The expected calibration error that `digits evaluate` reports and the model card keeps. */
class CalibrationErrorTest {
    private static final ImageSet FOUR = new ImageSet(1, 1, new byte[4], new int[] {0, 0, 1, 1}, List.of("a", "b"));

    @Test
    void certainAnswersThatAreAllRightAreCalibrated() {
        float[][] p = {{1, 0}, {1, 0}, {0, 1}, {0, 1}};
        assertEquals(0, Evaluation.of(FOUR, p).calibrationError(), 1e-12);
    }

    @Test
    void ninetyPercentThatIsRightThreeTimesInFourIsOffByFifteenPoints() {
        // All four answers are given with 0.9; three are right: 0.75 against 0.9 in the one bin they share.
        float[][] p = {{0.9f, 0.1f}, {0.9f, 0.1f}, {0.9f, 0.1f}, {0.1f, 0.9f}};
        Evaluation e = Evaluation.of(FOUR, p);
        assertEquals(0.75, e.accuracy(), 1e-12);
        assertEquals(0.15, e.calibrationError(), 1e-6);
        assertTrue(e.report().contains("Calibration error 15.00%"), e.report());
    }

    @Test
    void answersInDifferentBinsAreWeightedByTheirBinsSizes() {
        // One right at 0.6 (bin 9: |1 − 0.6|), three right at 1.0 (bin 14: 0): (0.4·1 + 0·3) / 4 = 0.1.
        float[][] p = {{0.6f, 0.4f}, {1, 0}, {0, 1}, {0, 1}};
        assertEquals(0.1, Evaluation.of(FOUR, p).calibrationError(), 1e-6);
    }

    @Test
    void theModelCardKeepsIt() {
        ModelSpec spec = Architectures.get("cnn");
        ModelCard.Metrics m = new ModelCard.Metrics(0.99, 0.03, 10000, java.util.Map.of(), java.util.Map.of(), List.of(), 0.0123);
        ModelCard card = ModelCard.builder(spec).metrics(m).build();
        ModelCard read = ModelCard.parse(Json.write(card.toJson()), spec);
        assertEquals(0.0123, read.metrics().calibrationError(), 1e-12);
        ModelCard without = ModelCard.parse(Json.write(ModelCard.builder(spec)
                .metrics(new ModelCard.Metrics(0.99, 0.03, 10000, java.util.Map.of(), java.util.Map.of(), List.of())).build()
                .toJson()), spec);
        assertTrue(Double.isNaN(without.metrics().calibrationError()), "a card without the figure reads as not measured");
    }
}
