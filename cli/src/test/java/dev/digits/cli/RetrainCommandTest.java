package dev.digits.cli;

import dev.digits.core.model.SafeTensors;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.train.QuickModels;
import dev.digits.train.transfer.ImageFolders;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.digits.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code digits retrain} as a user runs it: a really trained base, class folders of real image files, exit codes. */
class RetrainCommandTest {
    @TempDir
    static Path dir;
    static Path base;

    @BeforeAll
    static void baseModel() throws Exception {
        base = dir.resolve("cnn");
        QuickModels.train("cnn", 3000, base).close();
    }

    private static Path images(String name, int perClass) throws Exception {
        return ImageFolders.writeDigits(dir.resolve(name), Map.of("zero", 0, "one", 1, "seven", 7), perClass);
    }

    @Test
    void retrainingOnAFolderReportsTheClassesAndWritesAModelWithTheFolderNamesAsLabels() throws Exception {
        Path data = images("mine", 20);
        Path out = dir.resolve("mine-model");
        CliTest.Run r = run("retrain", "--base", base.toString(), "--data", data.toString(), "--epochs", "2", "--learning-rate", "0.01",
                "--fine-tune-epochs", "1", "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("3 classes, 60 images") && r.out().contains("seven"), r.out());
        assertTrue(r.out().contains("training dense_2 on 48 images, validating on 12"), r.out());
        assertTrue(r.out().contains("Validation accuracy") && r.out().contains("digits export " + out), r.out());
        ModelArtifact md = ModelArtifact.open(out);
        assertEquals(List.of("one", "seven", "zero"), md.labels());
        Map<?, ?> training = (Map<?, ?>) md.card().training();
        assertEquals("digit", training.get("preprocessing"));
        assertEquals("folder", training.get("dataFormat"));
        assertTrue(((Map<?, ?>) training.get("transfer")).containsKey("fineTune"));
    }

    @Test
    void anIdxDirectoryIsDetectedAndSubsampledPerClassWithTheGivenLabels() throws Exception {
        Path out = dir.resolve("idx-model");
        Path labels = Files.writeString(dir.resolve("labels.txt"), "zero\none\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\n");
        CliTest.Run r = run("retrain", "--base", base.toString(), "--data", System.getProperty("digits.data"), "--epochs", "1",
                "--train-per-class", "10", "--freeze", "3", "--labels-file", labels.toString(), "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Training on 10 images per class (100 in all)"), r.out());
        assertTrue(r.out().contains("training dense_1, dense_2 on 100 images, validating on 10,000"), r.out());
        ModelArtifact md = ModelArtifact.open(out);
        assertEquals("nine", md.labels().get(9));
        assertEquals(10, ((Number) ((Map<?, ?>) md.card().training()).get("trainPerClass")).intValue());
    }

    @Test
    void fromScratchTrainsTheSameArchitectureFromRandomWeightsForComparison() throws Exception {
        Path out = dir.resolve("scratch-model");
        CliTest.Run r = run("retrain", "--base", base.toString(), "--data", images("scratch", 6).toString(), "--epochs", "1",
                "--from-scratch", "--output", out.toString());
        assertEquals(0, r.code(), r.err());
        ModelArtifact md = ModelArtifact.open(out);
        assertEquals("cnn-scratch", md.spec().name());
        assertEquals(3, md.spec().classes());
        Map<?, ?> training = (Map<?, ?>) md.card().training();
        assertTrue(String.valueOf(training.get("baseline")).contains("from scratch") && !training.containsKey("transfer"), training.toString());
        float[] baseConv = SafeTensors.read(base.resolve(ModelArtifact.WEIGHTS_FILE)).get("conv2d_1.weight").data();
        float[] conv = SafeTensors.read(out.resolve(ModelArtifact.WEIGHTS_FILE)).get("conv2d_1.weight").data();
        assertFalse(java.util.Arrays.equals(baseConv, conv));
        CliTest.Run mixed = run("retrain", "--base", base.toString(), "--data", dir.resolve("scratch").toString(), "--from-scratch",
                "--freeze", "2");
        assertEquals(ExitCodes.INVALID_INPUT, mixed.code());
        assertTrue(mixed.err().contains("--freeze"), mixed.err());
    }

    @Test
    void tooFewLabelsForAnIdxDatasetAreOneClearError() {
        CliTest.Run r = run("retrain", "--base", base.toString(), "--data", System.getProperty("digits.data"), "--labels", "a,b,c");
        assertEquals(ExitCodes.INVALID_INPUT, r.code());
        assertTrue(r.err().contains("the labels name 3 classes") && r.err().contains("one name per class"), r.err());
    }

    @Test
    void anEmptyClassFolderIsOneLineWithExitCodeThree() throws Exception {
        Path data = images("empty-class", 3);
        Files.createDirectories(data.resolve("eight"));
        CliTest.Run r = run("retrain", "--base", base.toString(), "--data", data.toString(), "--output", dir.resolve("no").toString());
        assertEquals(ExitCodes.INVALID_INPUT, r.code());
        assertTrue(r.err().startsWith("digits: class folder " + data.resolve("eight") + " is empty"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
    }

    @Test
    void anUnreadableImageStopsTheRunUnlessSkipBadIsGivenAndThenItIsListed() throws Exception {
        Path data = images("with-bad", 6);
        Path bad = data.resolve("one").resolve("photo.jpg");
        Files.writeString(bad, "this is text");
        CliTest.Run stopped = run("retrain", "--base", base.toString(), "--data", data.toString(), "--epochs", "1",
                "--output", dir.resolve("bad-model").toString());
        assertEquals(ExitCodes.INVALID_INPUT, stopped.code());
        assertTrue(stopped.err().contains(bad.toString()) && stopped.err().contains("--skip-bad"), stopped.err());

        CliTest.Run skipped = run("retrain", "--base", base.toString(), "--data", data.toString(), "--epochs", "1", "--skip-bad",
                "--output", dir.resolve("bad-model").toString());
        assertEquals(0, skipped.code(), skipped.err());
        assertTrue(skipped.out().contains("Skipped 1 file(s)") && skipped.out().contains(bad.toString()), skipped.out());
    }

    @Test
    void optionsThatDoNotFitTheDataOrModelAreRefused() throws Exception {
        Path data = images("opts", 3);
        CliTest.Run labels = run("retrain", "--base", base.toString(), "--data", data.toString(), "--labels", "a,b,c");
        assertEquals(ExitCodes.INVALID_INPUT, labels.code());
        assertTrue(labels.err().contains("folder names"), labels.err());
        CliTest.Run freeze = run("retrain", "--base", base.toString(), "--data", data.toString(), "--freeze", "7");
        assertEquals(ExitCodes.INVALID_INPUT, freeze.code());
        assertTrue(freeze.err().contains("can freeze 0 to 4 layers"), freeze.err());
        CliTest.Run preprocess = run("retrain", "--base", base.toString(), "--data", data.toString(), "--preprocess", "sharpen");
        assertEquals(ExitCodes.INVALID_INPUT, preprocess.code());
        assertTrue(preprocess.err().contains("digit") && preprocess.err().contains("resize"), preprocess.err());
        CliTest.Run noBase = run("retrain", "--base", dir.resolve("missing").toString(), "--data", data.toString());
        assertEquals(ExitCodes.INVALID_INPUT, noBase.code());
        assertTrue(noBase.err().contains("missing") && noBase.err().contains("does not exist"), noBase.err());
    }

    @Test
    void helpDescribesTheDataLayout() {
        CliTest.Run r = run("retrain", "--help");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("Usage: digits retrain") && r.out().contains("--fine-tune-epochs") && r.out().contains("<label>"), r.out());
    }
}
