package dev.digits.core.artifact;

import dev.digits.core.error.DigitsException;
import dev.digits.core.error.InvalidInputException;
import dev.digits.core.error.NotFoundException;
import dev.digits.core.error.VerificationFailedException;
import dev.digits.core.model.Architectures;
import dev.digits.core.model.ModelSpec;
import dev.digits.core.model.SafeTensors;
import dev.digits.core.model.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The model directory's typed files: card, input contract, export manifest and verification sample. */
class ModelArtifactTest {
    @TempDir
    Path dir;

    private static final ModelSpec CNN = Architectures.get("cnn");

    /** A card as training wrote it before the input contract was typed (polarity in words, no preprocessing). */
    private static final String OLD_CARD = "{\"format\": \"digits-model/1\", \"name\": \"cnn\", \"architecture\": \"cnn\","
            + " \"parameters\": 93322, \"input\": {\"shape\": [28,28,1], \"range\": [0,1],"
            + " \"polarity\": \"light ink on a dark background (MNIST)\"},"
            + " \"labels\": [\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"],"
            + " \"training\": {\"dataset\": \"mnist\", \"epochs\": 5, \"seed\": 1},"
            + " \"metrics\": {\"test\": {\"accuracy\": 0.9934, \"loss\": 0.0218, \"images\": 10000,"
            + "   \"perClass\": {\"0\": {\"precision\": 0.9969, \"recall\": 0.9979}, \"7\": {\"precision\": 0.979, \"recall\": 0.9961}}}},"
            + " \"weightsSha256\": \"7a04569726dd5f93c0feeb20575c0ac5bd0566820bb4e602eda39cc7d4b47ce6\","
            + " \"provenance\": {\"djl\": \"0.35.1\"}, \"history\": [{\"epoch\": 1, \"loss\": 0.2}]}";

    @Test
    void aCardWrittenByTrainingReadsIntoTypesAndWritesBackTheSame() throws IOException {
        ModelCard card = ModelCard.parse(OLD_CARD, CNN);
        assertEquals("cnn", card.name());
        assertEquals(10, card.labels().size());
        assertEquals(InputContract.Polarity.LIGHT_ON_DARK, card.input().polarity());
        assertEquals(InputContract.Preprocessing.DIGIT, card.input().preprocessing());
        assertTrue(card.input().isUnitRange());
        assertEquals(0.9934, card.metrics().accuracy(), 1e-12);
        assertEquals(0.9961, card.metrics().recall().get("7"), 1e-12);
        assertEquals("mnist", card.dataset());
        Path f = dir.resolve("model-card.json");
        card.write(f);
        ModelCard again = ModelCard.read(f, CNN);
        assertEquals(card.toJson(), again.toJson());
        assertTrue(Files.readString(f).contains("\"polarity\": \"light-on-dark\""), Files.readString(f));
    }

    @Test
    void cardsOfAnotherFormatVersionOrWithTheWrongLabelsAreRefusedNamingWhy() {
        DigitsException future = assertThrows(InvalidInputException.class,
                () -> ModelCard.parse(OLD_CARD.replace("digits-model/1", "digits-model/2"), CNN));
        assertTrue(future.getMessage().contains("digits-model/2") && future.getMessage().contains("upgrade"), future.getMessage());
        DigitsException labels = assertThrows(InvalidInputException.class,
                () -> ModelCard.parse(OLD_CARD.replace("\"9\"]", "\"9\",\"ten\"]"), CNN));
        assertTrue(labels.getMessage().contains("11 labels") && labels.getMessage().contains("10 outputs"), labels.getMessage());
        DigitsException digest = assertThrows(InvalidInputException.class,
                () -> ModelCard.parse(OLD_CARD.replace("7a0456", "XYZ"), CNN));
        assertTrue(digest.getMessage().contains("weightsSha256"), digest.getMessage());
    }

    @Test
    void aResizeContractWithNormalisationRoundTrips() {
        InputContract c = new InputContract(28, 28, 1, 0f, 1f, 0.1307f, 0.3081f, InputContract.Polarity.DARK_ON_LIGHT,
                InputContract.Preprocessing.RESIZE);
        ModelCard card = ModelCard.builder(CNN).input(c).labels(List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j")).build();
        ModelCard back = ModelCard.parse(dev.digits.core.json.Json.write(card.toJson()), CNN);
        assertEquals(c, back.input());
        assertEquals((0.5f - 0.1307f) / 0.3081f, back.input().apply(0.5f), 1e-6);
        assertEquals("j", back.labels().get(9));
    }

    private static VerificationSample sample() {
        byte[] px = new byte[3 * 28 * 28];
        for (int i = 0; i < px.length; i++) px[i] = (byte) (i * 7);
        float[][] expected = new float[3][10];
        for (int i = 0; i < 3; i++) expected[i][i] = 1f;
        return new VerificationSample(28, 28, px, new int[] {0, 1, 2}, expected);
    }

    private ExportManifest manifestOf(Path export, String... files) throws IOException {
        List<ExportManifest.Entry> entries = new java.util.ArrayList<>();
        for (String name : files) {
            Path f = export.resolve(name);
            entries.add(new ExportManifest.Entry(name, "onnx", "float32", "NCHW", "float32",
                    List.of(new ExportManifest.Part(name, Digests.sha256(f), Files.size(f))),
                    new ExportManifest.Verification("ONNX Runtime", 10000, 0.99, 1.0, 1e-6, 0.2)));
        }
        return new ExportManifest("cnn", "7a04569726dd5f93c0feeb20575c0ac5bd0566820bb4e602eda39cc7d4b47ce6",
                "2026-12-01T00:00:00Z", Map.of("cpu", Map.of("model", "AMD EPYC")), entries, sample());
    }

    @Test
    void theManifestRoundTripsAndItsSampleComesBackWithTheExpectedProbabilities() throws IOException {
        Path export = Files.createDirectories(dir.resolve("export"));
        Files.write(export.resolve("cnn.onnx"), new byte[] {1, 2, 3});
        ExportManifest.write(export, manifestOf(export, "cnn.onnx"), sample());
        ExportManifest read = ExportManifest.readIfPresent(export).orElseThrow();
        assertEquals("cnn.onnx", read.entry("onnx", "float32").orElseThrow().path());
        assertEquals(Digests.sha256(new byte[] {1, 2, 3}), read.entries().get(0).sha256());
        VerificationSample s = read.sample(export);
        assertEquals(3, s.size());
        assertEquals(2, s.label(2));
        assertArrayEquals(sample().pixels(), s.pixels());
        assertEquals(1f, s.expected(1)[1]);
        read.checkFiles(export, List.of());
    }

    @Test
    void changedMissingOrUnlistedExportFilesAndAChangedSampleAreCaught() throws IOException {
        Path export = Files.createDirectories(dir.resolve("export"));
        Files.write(export.resolve("cnn.onnx"), new byte[] {1, 2, 3});
        ExportManifest m = manifestOf(export, "cnn.onnx");
        ExportManifest.write(export, m, sample());
        Files.write(export.resolve("cnn.onnx"), new byte[] {1, 2, 4});
        VerificationFailedException changed = assertThrows(VerificationFailedException.class, () -> m.checkFiles(export, List.of()));
        assertTrue(changed.getMessage().contains("export/cnn.onnx has sha256"), changed.getMessage());
        Files.write(export.resolve("cnn.onnx"), new byte[] {1, 2, 3});
        Files.write(export.resolve("extra.onnx"), new byte[] {9});
        VerificationFailedException extra = assertThrows(VerificationFailedException.class, () -> m.checkFiles(export, List.of()));
        assertTrue(extra.getMessage().contains("export/extra.onnx is not in the export manifest"), extra.getMessage());
        Files.delete(export.resolve("extra.onnx"));
        Files.delete(export.resolve("cnn.onnx"));
        assertThrows(VerificationFailedException.class, () -> m.checkFiles(export, List.of()));
        byte[] idx = Files.readAllBytes(export.resolve(VerificationSample.FILE));
        idx[idx.length - 1] ^= 1;
        Files.write(export.resolve(VerificationSample.FILE), idx);
        assertThrows(VerificationFailedException.class, () -> m.sample(export));
    }

    @Test
    void manifestPathsCannotLeaveTheExportDirectoryAndOtherFormatsAreRefused() throws IOException {
        Path export = Files.createDirectories(dir.resolve("export"));
        Files.write(export.resolve("cnn.onnx"), new byte[] {1});
        String json = dev.digits.core.json.Json.write(manifestOf(export, "cnn.onnx").toJson());
        assertThrows(InvalidInputException.class, () -> ExportManifest.parse(json.replace("\"cnn.onnx\"", "\"../weights.safetensors\"")));
        InvalidInputException other = assertThrows(InvalidInputException.class,
                () -> ExportManifest.parse(json.replace("digits-export-manifest/1", "digits-export-manifest/9")));
        assertTrue(other.getMessage().contains("export the model again"), other.getMessage());
    }

    @Test
    void openingChecksTheDirectoryAndTheWeightsAgainstTheCard() throws IOException {
        assertThrows(NotFoundException.class, () -> ModelArtifact.open(dir.resolve("nothing")));
        Path m = Files.createDirectories(dir.resolve("m"));
        assertThrows(InvalidInputException.class, () -> ModelArtifact.open(m));
        ModelSpec mlp = Architectures.get("mlp");
        Files.writeString(m.resolve(ModelArtifact.SPEC_FILE), mlp.toJson(), StandardCharsets.UTF_8);
        Map<String, Tensor> weights = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> p : mlp.parameters().entrySet()) {
            long n = 1;
            for (long d : p.getValue()) n *= d;
            weights.put(p.getKey(), new Tensor(p.getValue(), new float[(int) n]));
        }
        SafeTensors.write(m.resolve(ModelArtifact.WEIGHTS_FILE), weights, Map.of());
        ModelArtifact plain = ModelArtifact.open(m);
        assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), plain.labels());
        assertEquals(weights.keySet(), plain.tensors().keySet());
        ModelCard.builder(mlp).weightsSha256(plain.weightsSha256()).build().write(m.resolve(ModelArtifact.CARD_FILE));
        assertEquals(weights.keySet(), ModelArtifact.open(m).tensors().keySet());
        ModelCard.builder(mlp).weightsSha256("0".repeat(64)).build().write(m.resolve(ModelArtifact.CARD_FILE));
        VerificationFailedException e = assertThrows(VerificationFailedException.class, () -> ModelArtifact.open(m).tensors());
        assertTrue(e.getMessage().contains("the weights were changed"), e.getMessage());
        assertEquals(4, e.kind().exitCode());
    }

    @Test
    void aFlatInputIsASquareImageAndAnOldRetrainedCardKeepsItsResizePreprocessing() {
        ModelSpec flat = Architectures.get("mlp512");
        InputContract c = ModelCard.builder(flat).build().input();
        assertEquals(List.of(28, 28, 1), List.of(c.height(), c.width(), c.channels()));
        String old = "{\"format\": \"digits-model/1\", \"name\": \"shirts\", \"input\": {\"shape\": [784], \"range\": [0, 1],"
                + " \"polarity\": \"light ink on a dark background (MNIST)\"}, \"training\": {\"preprocessing\": \"resize\"}}";
        ModelCard card = ModelCard.parse(old, flat);
        assertEquals(InputContract.Preprocessing.RESIZE, card.input().preprocessing());
        assertEquals(28, card.input().width());
        assertThrows(InvalidInputException.class, () -> ModelCard.parse(old.replace("[784]", "[32, 32, 1]"), flat));
    }
}
