package dev.digits.convert.importer;

import dev.digits.core.artifact.ImportSource;
import dev.digits.core.artifact.InputContract;
import dev.digits.core.artifact.InputContract.Polarity;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.data.ImageSet;
import dev.digits.core.error.InvalidInputException;
import dev.digits.core.model.LayerType;
import dev.digits.train.TestData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Imports ONNX files written by PyTorch's exporter and checks them against the files in ONNX Runtime. */
class OnnxImportTest {
    private static ImageSet test;
    private static Path models;
    private static final List<String> LOG = new ArrayList<>();

    @BeforeAll
    static void files() throws Exception {
        models = TorchModels.dir();
        test = TestData.mnist().test();
    }

    static Stream<String> trained() {
        return TorchModels.trained().stream();
    }

    /** The contract each file's model was trained on (see torch_models.py). */
    private static InputContract trainedOn(String file) {
        switch (file) {
            case "torch-example-normalized.onnx": return ContractSearch.contract(0f, 1f, 0.1307f, 0.3081f, Polarity.LIGHT_ON_DARK);
            case "torch-mlp-255.onnx":
            case "torch-keras-style.onnx":
                return ContractSearch.contract(0f, 255f, 0f, 1f, Polarity.LIGHT_ON_DARK);
            default: return ContractSearch.contract(0f, 1f, 0f, 1f, Polarity.DARK_ON_LIGHT);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("trained")
    void eachFileImportsWithTheContractItWasTrainedOnAndItsOwnAccuracy(String file, @TempDir Path tmp) throws Exception {
        ModelImporter.Analysis a = ModelImporter.analyse(models.resolve(file), "imported", null, test, LOG::add);
        ImportSource source = a.source();
        assertEquals(trainedOn(file), source.input(), String.join("\n", LOG));
        assertEquals("detected", source.chosenBy());
        assertEquals(TorchModels.accuracy(file), a.accuracy(), 0.005, "PyTorch's own accuracy against the import's");
        double diff = ((Number) source.verification().get("maxProbabilityDifference")).doubleValue();
        assertTrue(diff <= ModelImporter.TOLERANCE, "largest difference from the file in ONNX Runtime: " + diff);
        assertEquals(10_000, source.verification().get("images"));
        assertTrue(source.producer().startsWith("pytorch"), source.producer());
        assertEquals(8, source.contracts().size());

        ModelArtifact artifact = a.write(tmp.resolve("model"), null, false);
        ImportSource read = artifact.card().source().orElseThrow();
        assertEquals(source.sha256(), read.sha256());
        assertEquals(source.input(), read.input());
        // The artifact takes Digits' own [0,1] light-on-dark pixels: the file's contract is its first layer.
        assertTrue(artifact.input().isUnitRange());
        // ... unless the file scales its input itself: 0–255 pixels meeting its own division by 255 cancel out.
        boolean unit = trainedOn(file).equals(ContractSearch.contract(0f, 1f, 0f, 1f, Polarity.LIGHT_ON_DARK))
                || file.equals("torch-keras-style.onnx");
        assertEquals(!unit, artifact.spec().layers().get(0).type() == LayerType.RESCALE, artifact.spec().toJson());
        assertEquals(artifact.spec(), a.spec());
    }

    @Test
    void aGivenContractIsKeptAndMeasuredBesideTheOthers() throws Exception {
        InputContract given = ContractSearch.contract(0f, 1f, 0f, 1f, Polarity.LIGHT_ON_DARK);
        ModelImporter.Analysis a = ModelImporter.analyse(models.resolve("torch-mlp-255.onnx"), "given", given, test, LOG::add);
        assertEquals(given, a.source().input());
        assertEquals("given", a.source().chosenBy());
        // Fed x/255 instead of the 0–255 it was trained on, the MLP does worse than under its own contract.
        assertTrue(a.accuracy() < TorchModels.accuracy("torch-mlp-255.onnx") - 0.05, "accuracy " + a.accuracy());
        double diff = ((Number) a.source().verification().get("maxProbabilityDifference")).doubleValue();
        assertTrue(diff <= ModelImporter.TOLERANCE);
    }

    @Test
    void anUnsupportedOperatorIsNamedWithItsPositionAndTheSupportedList(@TempDir Path tmp) throws Exception {
        ImportException e = assertThrows(ImportException.class,
                () -> ModelImporter.analyse(models.resolve("torch-leaky-relu.onnx"), "leaky", null, test, LOG::add));
        assertTrue(e.getMessage().contains("LeakyRelu") && e.getMessage().contains("node 2 of")
                && e.getMessage().contains("supported operators: Conv"), e.getMessage());
    }

    @Test
    void aTruncatedFileIsRefusedAsUnreadable(@TempDir Path tmp) throws Exception {
        byte[] bytes = Files.readAllBytes(models.resolve("torch-example-normalized.onnx"));
        Path cut = tmp.resolve("cut.onnx");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> ModelImporter.analyse(cut, "cut", null, test, LOG::add));
        assertTrue(e.getMessage().contains("cut.onnx") && e.getMessage().contains("cut short"), e.getMessage());
    }

    @Test
    void externalDataIsReadFromBesideTheFileAndItsAbsenceNamed(@TempDir Path tmp) throws Exception {
        Path data = models.resolve("torch-resnet-nhwc.onnx.data");
        assertTrue(Files.size(data) > Files.size(models.resolve("torch-resnet-nhwc.onnx")), "the weights live in the data file");
        Path alone = tmp.resolve("torch-resnet-nhwc.onnx");
        Files.copy(models.resolve("torch-resnet-nhwc.onnx"), alone);
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> ModelImporter.analyse(alone, "alone", null, test, LOG::add));
        assertTrue(e.getMessage().contains("torch-resnet-nhwc.onnx.data") && e.getMessage().contains("copy the external data"),
                e.getMessage());
        Files.write(tmp.resolve("torch-resnet-nhwc.onnx.data"), Arrays.copyOf(Files.readAllBytes(data), 1000));
        e = assertThrows(InvalidInputException.class, () -> ModelImporter.analyse(alone, "alone", null, test, LOG::add));
        assertTrue(e.getMessage().contains("cut short"), e.getMessage());
    }

    @Test
    void anExistingModelDirectoryIsNotReplacedUnlessAsked(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("taken");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("keep.txt"), "mine");
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ModelImporter.checkTarget(dir, false));
        assertTrue(e.getMessage().contains("--force"), e.getMessage());
        assertTrue(Files.exists(dir.resolve("keep.txt")));
        assertFalse(Files.exists(dir.resolve(ModelArtifact.SPEC_FILE)));
    }
}
