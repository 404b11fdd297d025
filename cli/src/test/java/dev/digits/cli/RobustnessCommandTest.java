package dev.digits.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code digits robustness} on the embedded model, as a user runs it: the table printed, its files written. */
class RobustnessCommandTest {
    @TempDir
    Path dir;

    private static String data() {
        return System.getProperty("digits.data");
    }

    @Test
    void measuresEveryCategoryAndWritesTheTableAndTheExamples() throws Exception {
        Path out = dir.resolve("report");
        CliTest.Run run = CliTest.run("robustness", "--images", "3", "--seed", "2", "--threshold", "0.5", "--output", out.toString(),
                "--data", data());
        assertEquals(0, run.code(), run.err());
        List<String> rows = run.out().lines().filter(l -> l.startsWith("| ") && !l.startsWith("| category")).toList();
        assertEquals(17 + 2, rows.size(), "one row per category and two totals:\n" + run.out());
        for (String row : rows) assertEquals(10, row.split("\\|", -1).length - 1, "nine columns: " + row);
        assertTrue(rows.stream().anyMatch(r -> r.startsWith("| canvas-280 | digit | 3 |")), run.out());
        assertTrue(rows.stream().anyMatch(r -> r.startsWith("| empty-canvas | empty | 3 | — | 100.0% | 100.0% |")),
                "an empty pad is found empty every time:\n" + run.out());
        assertTrue(run.out().contains("threshold=0.500"), "the check measured is named: " + run.out());
        String written = Files.readString(out.resolve("robustness.md"));
        assertTrue(written.contains("| paper-photo | digit | 3 |"), written);
        BufferedImage grid = ImageIO.read(out.resolve("examples.png").toFile());
        assertNotNull(grid);
        assertTrue(grid.getHeight() >= 17 * 100, "a row of examples per category, got height " + grid.getHeight());
    }

    @Test
    void tabulatesTheChecksTradeOffBesideTheMethodComparison() {
        CliTest.Run run = CliTest.run("robustness", "--images", "2", "--seed", "2", "--thresholds", "0,0.5,0.9",
                "--compare-methods", "--output", dir.resolve("points").toString(), "--data", data());
        assertEquals(0, run.code(), run.err());
        List<String> points = run.out().lines().filter(l -> l.matches("\\| 0\\.\\d{4} \\|.*")).toList();
        assertEquals(3, points.size(), run.out());
        assertTrue(points.get(0).startsWith("| 0.0000 | 0.0% |"), "no threshold rejects no MNIST digit: " + points.get(0));
        assertTrue(run.out().contains("temperature-scaled max probability"), "the comparison follows: " + run.out());
    }

    @Test
    void impossibleSettingsAreOneLineAndExitCode3() {
        CliTest.Run none = CliTest.run("robustness", "--images", "0", "--output", dir.toString(), "--data", data());
        assertEquals(ExitCodes.INVALID_INPUT, none.code());
        assertTrue(none.err().contains("--images must be at least 1"), none.err());
        CliTest.Run threshold = CliTest.run("robustness", "--threshold", "1.5", "--images", "1", "--output", dir.toString(), "--data", data());
        assertEquals(ExitCodes.INVALID_INPUT, threshold.code());
        assertTrue(threshold.err().contains("threshold must be in [0, 1)"), threshold.err());
        CliTest.Run thresholds = CliTest.run("robustness", "--thresholds", "0.5,1.5", "--images", "1", "--output",
                dir.toString(), "--data", data());
        assertEquals(ExitCodes.INVALID_INPUT, thresholds.code());
        assertTrue(thresholds.err().contains("--thresholds: ") && thresholds.err().contains("threshold must be in [0, 1)"),
                thresholds.err());
        assertFalse(thresholds.err().contains("\tat "), "no stack trace: " + thresholds.err());
        assertFalse(threshold.err().contains("\tat "), "no stack trace: " + threshold.err());
        assertFalse(Files.exists(dir.resolve("robustness.md")), "nothing written");
    }
}
