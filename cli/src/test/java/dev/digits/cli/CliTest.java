package dev.digits.cli;

import dev.digits.train.QuickModels;
import dev.digits.train.TestData;
import dev.digits.train.TrainedModel;
import dev.digits.core.data.ImageSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The digits command as a user runs it: real files, a really trained model, output and exit codes. */
class CliTest {
    @TempDir
    static Path dir;
    static Path model;

    /** What one run printed and returned. */
    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        PrintStream oldOut = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            CommandLine cl = DigitsCommand.newCommandLine();
            cl.setErr(new PrintWriter(err, true));
            cl.setOut(new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8), true));
            int code = cl.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString());
        } finally {
            System.setOut(oldOut);
        }
    }

    @BeforeAll
    static void trainAModel() throws Exception {
        model = dir.resolve("cnn");
        try (TrainedModel m = QuickModels.train("cnn", 6000, model)) {
            assertEquals(10, m.labels().size());
        }
    }

    @Test
    void everyCommandHasHelp() {
        for (String c : new String[] {"train", "summary", "evaluate", "predict"}) {
            Run r = run(c, "--help");
            assertEquals(0, r.code, c);
            assertTrue(r.out.contains("Usage: digits " + c), r.out);
        }
    }

    @Test
    void everyCommandsHelpRendersWithoutPicocliWarnings() {
        // picocli reports a description it cannot format (a lone '%') on System.err and prints it unformatted.
        PrintStream oldErr = System.err;
        ByteArrayOutputStream warnings = new ByteArrayOutputStream();
        try {
            System.setErr(new PrintStream(warnings, true, StandardCharsets.UTF_8));
            for (String c : DigitsCommand.newCommandLine().getSubcommands().keySet()) {
                Run r = run(c, "--help");
                assertEquals(0, r.code, c);
                assertTrue(r.out.contains("Usage: digits " + c), r.out);
                assertFalse(r.out.contains("%n"), c + " --help printed an unformatted description:\n" + r.out);
            }
        } finally {
            System.setErr(oldErr);
        }
        String printed = warnings.toString(StandardCharsets.UTF_8);
        assertFalse(printed.contains("picocli WARN"), printed);
    }

    @Test
    void summaryPrintsTheLayerTableWithKerasParameterCounts() {
        Run r = run("summary", "--model", "cnn");
        assertEquals(0, r.code);
        assertTrue(r.out.contains("conv2d_1") && r.out.contains("(26, 26, 32)") && r.out.contains("320"), r.out);
        assertTrue(r.out.contains("Total params: 93,322"), r.out);
    }

    @Test
    void unknownArchitectureIsOneLineWithoutStackTraceAndExitCodeThree() {
        Run r = run("summary", "--model", "vgg16");
        assertEquals(ExitCodes.INVALID_INPUT, r.code);
        assertTrue(r.err.contains("unknown model 'vgg16'") && r.err.contains("cnn"), r.err);
        assertFalse(r.err.contains("\tat "), r.err);
        assertEquals(1, r.err.strip().lines().count(), r.err);
    }

    @Test
    void verboseShowsTheStackTrace() {
        Run r = run("summary", "--model", "vgg16", "--verbose");
        assertEquals(ExitCodes.INVALID_INPUT, r.code);
        assertTrue(r.err.contains("\tat "), r.err);
    }

    @Test
    void badSpecFileNamesTheLayer() throws Exception {
        Path spec = dir.resolve("bad.json");
        Files.writeString(spec, "{\"name\":\"bad\",\"input\":[28,28,1],\"layers\":[{\"type\":\"conv2d\",\"filters\":8,\"kernel\":40},"
                + "{\"type\":\"flatten\"},{\"type\":\"dense\",\"units\":10,\"activation\":\"softmax\"}]}");
        Run r = run("summary", "--model", spec.toString());
        assertEquals(ExitCodes.INVALID_INPUT, r.code);
        assertTrue(r.err.contains("layer 1") && r.err.contains("kernel 40"), r.err);
    }

    @Test
    void missingModelDirectorySaysHowToMakeOne() {
        Run r = run("evaluate", dir.resolve("nothing-here").toString(), "--data", System.getProperty("digits.data"));
        assertEquals(ExitCodes.INVALID_INPUT, r.code);
        assertTrue(r.err.contains("does not exist") && r.err.contains("digits train"), r.err);
    }

    @Test
    void trainingInputErrorsNameTheOptionAndWhatItTakesBeforeAnyWork() {
        String data = System.getProperty("digits.data");
        Path out = dir.resolve("never-written");
        String[][] cases = {
                {"--augment=wobbly", "--augment takes affine or handwriting, got 'wobbly'"},
                {"--user-digits=0", "--user-digits must be at least 1, got 0"},
                {"--not-digits=-5", "--not-digits must be at least 1, got -5"},
                {"--hold-out=50", "--hold-out must be 0 or from 100 to 59999, got 50"},
        };
        for (String[] c : cases) {
            Run r = run("train", "--model", "mlp", c[0], "--data", data, "--output", out.toString());
            assertEquals(ExitCodes.INVALID_INPUT, r.code, c[0] + ": " + r.err);
            assertTrue(r.err.contains(c[1]), r.err);
            assertEquals(1, r.err.strip().lines().count(), r.err);
            assertFalse(Files.exists(out), c[0] + " wrote " + out);
        }
    }

    @Test
    void unknownOptionIsAUsageError() {
        Run r = run("train", "--epoch", "3");
        assertEquals(ExitCodes.USAGE, r.code);
    }

    @Test
    void evaluatePrintsAccuracyPerClassAndConfusionMatrix() {
        Run r = run("evaluate", model.toString(), "--data", System.getProperty("digits.data"), "--plots", dir.resolve("plots").toString());
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("Accuracy") && r.out.contains("precision") && r.out.contains("Confusion matrix"), r.out);
        assertTrue(Files.exists(dir.resolve("plots/confusion-matrix.png")));
    }

    @Test
    void evaluateSaysWhatTheCardsDigitCheckRejects() throws Exception {
        // The embedded model as the repository holds it: its card carries the check fitted on held-out digits.
        Path embedded = Path.of("..", "serve", "src", "main", "resources", "dev", "digits", "serve", "default-model");
        Run r = run("evaluate", embedded.toString(), "--data", System.getProperty("digits.data"));
        assertEquals(0, r.code, r.err);
        java.util.Map<String, ?> card = dev.digits.core.json.Json.parseObject(
                Files.readString(embedded.resolve("model-card.json")));
        dev.digits.core.recognition.DigitCheck check = dev.digits.core.recognition.DigitCheck.fromJson(card.get("digitCheck"));
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("Digit check \\(" + java.util.regex.Pattern.quote(
                check.toString()) + "\\): ([0-9,]+) of 10,000 images \\(([0-9.]+)%\\) answered \"not a digit\";"
                + " accuracy on the rest ([0-9.]+)%").matcher(r.out);
        assertTrue(m.find(), r.out);
        double rejected = Double.parseDouble(m.group(2));
        // Fitted to reject 1% of 5,000 held-out training digits; on the test set the share differs a little.
        assertTrue(rejected > 0.3 && rejected < 1.5, "the check was fitted to reject 1% of held-out digits: " + rejected);
        assertTrue(Double.parseDouble(m.group(3)) > 99.4, "the digits it keeps are read at least as well: " + m.group(3));
        // A model whose card has no check says nothing about one.
        Run plain = run("evaluate", model.toString(), "--data", System.getProperty("digits.data"));
        assertFalse(plain.out.contains("Digit check"), plain.out);
    }

    @Test
    void predictReadsMnistDigitsSavedAsPngAndDarkInkOnPaper() throws Exception {
        ImageSet test = TestData.mnist().test();
        Path white = dir.resolve("seven.png");
        Path paper = dir.resolve("seven-on-paper.png");
        // Test image 0 is a 7: once as MNIST has it (white on black, upscaled), once inverted like ink on paper.
        BufferedImage a = new BufferedImage(112, 112, BufferedImage.TYPE_INT_RGB);
        BufferedImage b = new BufferedImage(112, 112, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 112; y++) {
            for (int x = 0; x < 112; x++) {
                int v = test.pixel(0, y / 4, x / 4);
                a.setRGB(x, y, v * 0x010101);
                b.setRGB(x, y, (255 - v) * 0x010101);
            }
        }
        ImageIO.write(a, "png", white.toFile());
        ImageIO.write(b, "png", paper.toFile());
        Run r = run("predict", model.toString(), white.toString(), paper.toString());
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("seven.png: 7 (") && r.out.contains("seven-on-paper.png: 7 ("), r.out);
    }

    @Test
    void predictSaysNoDigitForABlankImage() throws Exception {
        Path blank = dir.resolve("blank.png");
        ImageIO.write(new BufferedImage(50, 50, BufferedImage.TYPE_INT_RGB), "png", blank.toFile());
        Run r = run("predict", model.toString(), blank.toString());
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.contains("blank.png: no digit found"), r.out);
    }

    @Test
    void predictRejectsAFileThatIsNotAnImage() throws Exception {
        Path text = dir.resolve("notes.png");
        Files.writeString(text, "not an image");
        Run r = run("predict", model.toString(), text.toString());
        assertEquals(ExitCodes.INVALID_INPUT, r.code);
        assertTrue(r.err.contains("notes.png is not an image"), r.err);
    }
}
