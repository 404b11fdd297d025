package dev.digits.train.transfer;

import dev.digits.core.json.Json;
import dev.digits.core.model.SafeTensors;
import dev.digits.core.model.Tensor;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.error.InvalidInputException;
import dev.digits.core.error.NotFoundException;
import dev.digits.train.QuickModels;
import dev.digits.train.TrainedModel;
import dev.digits.train.data.Dataset;
import dev.digits.train.data.DatasetException;
import dev.digits.train.data.FolderDataset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Transfer learning from a really trained MNIST cnn onto a three-class folder of digit images written to disk. */
class RetrainerTest {
    @TempDir
    static Path dir;
    static Path base;
    static Dataset digits;

    @BeforeAll
    static void baseModelAndImages() throws IOException {
        base = dir.resolve("cnn");
        QuickModels.train("cnn", 3000, base).close();
        Path images = ImageFolders.writeDigits(dir.resolve("images"), Map.of("zero", 0, "one", 1, "seven", 7), 30);
        digits = FolderDataset.builder(images).load().dataset();
    }

    private static Retrainer.Builder quiet() {
        return Retrainer.builder().base(base).learningRate(0.01).seed(3).progress(false, new PrintStream(OutputStream.nullOutputStream()));
    }

    @Test
    void frozenLayersKeepTheirWeightsBitForBitAndTheNewHeadHasThreeOutputs() throws IOException {
        Map<String, Tensor> before = SafeTensors.read(base.resolve(ModelArtifact.WEIGHTS_FILE));
        Path out = dir.resolve("frozen");
        try (TrainedModel m = quiet().epochs(3).build().retrain(digits, out)) {
            for (String p : List.of("conv2d_1.weight", "conv2d_1.bias", "conv2d_2.weight", "conv2d_3.weight", "dense_1.weight", "dense_1.bias")) {
                assertArrayEquals(before.get(p).data(), m.weights().get(p).data(), p + " changed although frozen");
            }
            assertArrayEquals(new long[] {3, 64}, m.weights().get("dense_2.weight").shape());
            assertEquals(List.of("one", "seven", "zero"), m.labels());
        }
        // What was written is what was trained: the file on disk holds the same frozen weights.
        Map<String, Tensor> written = SafeTensors.read(out.resolve(ModelArtifact.WEIGHTS_FILE));
        assertArrayEquals(before.get("conv2d_2.weight").data(), written.get("conv2d_2.weight").data());
    }

    @Test
    void theResultIsAnOrdinaryModelDirectoryWithTheBaseAndLabelsInItsCard() throws IOException {
        Path out = dir.resolve("card");
        quiet().epochs(8).build().retrain(digits, out).close();
        ModelArtifact md = ModelArtifact.open(out);
        assertEquals(List.of("one", "seven", "zero"), md.labels());
        assertEquals("cnn-retrained", md.spec().name());
        Map<?, ?> transfer = (Map<?, ?>) ((Map<?, ?>) md.card().training()).get("transfer");
        Map<?, ?> baseInfo = (Map<?, ?>) transfer.get("base");
        assertEquals("cnn", baseInfo.get("name"));
        assertEquals(dev.digits.core.artifact.Digests.sha256(base.resolve(ModelArtifact.WEIGHTS_FILE)), baseInfo.get("weightsSha256"));
        assertEquals(List.of("conv2d_1", "conv2d_2", "conv2d_3", "dense_1"), transfer.get("frozenLayers"));
        assertEquals("dense_2", transfer.get("head"));
        assertFalse(transfer.containsKey("fineTune"));
        try (TrainedModel loaded = TrainedModel.load(out)) {
            assertEquals(List.of("one", "seven", "zero"), loaded.labels());
            // MNIST features separate 0, 1 and 7 well; a head trained on them must beat chance (1/3) by far.
            double accuracy = loaded.evaluate(digits.test()).accuracy();
            assertTrue(accuracy > 0.8, "validation accuracy " + accuracy);
        }
    }

    @Test
    void freezingFewerLayersTrainsTheRest() throws IOException {
        Map<String, Tensor> before = SafeTensors.read(base.resolve(ModelArtifact.WEIGHTS_FILE));
        try (TrainedModel m = quiet().epochs(1).freeze(2).build().retrain(digits, dir.resolve("freeze2"))) {
            assertArrayEquals(before.get("conv2d_2.weight").data(), m.weights().get("conv2d_2.weight").data());
            assertFalse(java.util.Arrays.equals(before.get("conv2d_3.weight").data(), m.weights().get("conv2d_3.weight").data()),
                    "conv2d_3 is not frozen and must have trained");
        }
    }

    @Test
    void fineTuningTrainsEveryLayerAfterTheHeadAndKeepsTheHeadOnlyStage() throws IOException {
        Map<String, Tensor> before = SafeTensors.read(base.resolve(ModelArtifact.WEIGHTS_FILE));
        Path out = dir.resolve("fine");
        try (TrainedModel m = quiet().epochs(2).fineTune(1).build().retrain(digits, out)) {
            assertFalse(java.util.Arrays.equals(before.get("conv2d_1.weight").data(), m.weights().get("conv2d_1.weight").data()));
        }
        Path headOnly = out.resolve(Retrainer.HEAD_ONLY_DIRECTORY);
        Map<String, Tensor> stage = SafeTensors.read(headOnly.resolve(ModelArtifact.WEIGHTS_FILE));
        assertArrayEquals(before.get("conv2d_1.weight").data(), stage.get("conv2d_1.weight").data());
        Map<?, ?> training = (Map<?, ?>) ModelArtifact.open(out).card().training();
        Map<?, ?> fine = (Map<?, ?>) ((Map<?, ?>) training.get("transfer")).get("fineTune");
        assertEquals(1, ((Number) fine.get("epochs")).intValue());
        assertEquals(0.001, ((Number) fine.get("learningRate")).doubleValue(), 1e-12);
        assertEquals(0.001, ((Number) training.get("learningRate")).doubleValue(), 1e-12);
        Map<?, ?> head = (Map<?, ?>) ((Map<?, ?>) training.get("transfer")).get("headTraining");
        assertEquals(2, ((Number) head.get("epochs")).intValue());
        assertTrue(head.containsKey("seconds") && head.containsKey("validationAccuracy"), head.toString());
    }

    @Test
    void frozenBatchNormKeepsItsRunningStatistics() throws IOException {
        Path resnet = dir.resolve("resnet");
        QuickModels.train("resnet", 600, resnet).close();
        Map<String, Tensor> before = SafeTensors.read(resnet.resolve(ModelArtifact.WEIGHTS_FILE));
        float[] learnt = before.get("batchnorm_1.running_mean").data();
        assertFalse(java.util.Arrays.equals(new float[learnt.length], learnt), "unfrozen batchnorm learns its statistics in training");
        Path out = dir.resolve("resnet-retrained");
        try (TrainedModel m = quiet().base(resnet).epochs(1).build().retrain(digits, out)) {
            int checked = 0;
            for (Map.Entry<String, Tensor> e : m.weights().entrySet()) {
                if (e.getKey().startsWith("dense_1.")) continue;
                assertArrayEquals(before.get(e.getKey()).data(), e.getValue().data(), e.getKey() + " changed although frozen");
                checked++;
            }
            assertTrue(checked > 20, "checked " + checked);
        }
        Map<?, ?> transfer = (Map<?, ?>) ((Map<?, ?>) ModelArtifact.open(out).card().training()).get("transfer");
        assertTrue(String.valueOf(transfer.get("frozenBatchNorm")).contains("inference mode"), Json.write(transfer));
    }

    @Test
    void aMissingBaseModelIsNamed() {
        NotFoundException e = assertThrows(NotFoundException.class,
                () -> quiet().base(dir.resolve("no-model")).build().retrain(digits, dir.resolve("x")));
        assertTrue(e.getMessage().contains("no-model") && e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void imagesOfAnotherSizeThanTheBaseTakesAreRefused() throws IOException {
        Dataset big = FolderDataset.builder(dir.resolve("images")).preprocessing(FolderDataset.Preprocessing.RESIZE).imageSize(32, 32)
                .load().dataset();
        DatasetException e = assertThrows(DatasetException.class, () -> quiet().build().retrain(big, dir.resolve("y")));
        assertTrue(e.getMessage().contains("32×32") && e.getMessage().contains("(28, 28, 1)"), e.getMessage());
    }

    @Test
    void theBaseModelIsNeverOverwritten() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> quiet().build().retrain(digits, base));
        assertTrue(e.getMessage().contains("would overwrite the base"), e.getMessage());
    }

    @Test
    void settingsAreCheckedWhenBuilt() {
        assertThrows(InvalidInputException.class, () -> Retrainer.builder().build());
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> quiet().fineTune(-1).build());
        assertTrue(e.getMessage().contains("fine-tune epochs"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> quiet().freeze(9).build().plan(3));
        assertTrue(e.getMessage().contains("can freeze 0 to 4"), e.getMessage());
    }
}
