package dev.digits.convert.importer;

import dev.digits.core.artifact.ImportSource;
import dev.digits.core.artifact.InputContract;
import dev.digits.core.artifact.InputContract.Polarity;
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
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Imports Keras {@code .h5} and {@code .keras} files (see {@link KerasFiles}): each must come back as the network
 * PyTorch trained, on the contract it was trained on, with the accuracy PyTorch measured. No Keras runs here, so the
 * accuracy is the check; files of the same network in different layouts must also answer the same.
 */
class KerasImportTest {
    private static ImageSet test;
    private static Path models;
    private static final List<String> LOG = new ArrayList<>();

    /** 0–255 light-on-dark pixels, divided by 255 by the file's own Rescaling layer. */
    private static final InputContract RAW = ContractSearch.contract(0f, 255f, 0f, 1f, Polarity.LIGHT_ON_DARK);
    private static final InputContract INVERTED = ContractSearch.contract(0f, 1f, 0f, 1f, Polarity.DARK_ON_LIGHT);

    /** A fixture file: the format Digits records, the contract its network was trained on, who wrote it, what it answers. */
    record Fixture(String file, String format, InputContract trained, String producer, String outputs) {
        @Override
        public String toString() {
            return file;
        }
    }

    static Stream<Fixture> fixtures() {
        return Stream.of(
                new Fixture("keras2-cnn.h5", "keras-h5", RAW, "Keras 2.15.0 (tensorflow)", "probabilities"),
                new Fixture("keras3-cnn.h5", "keras-h5", INVERTED, "Keras 3.6.0 (tensorflow)", "logits"),
                new Fixture("keras3-cnn.keras", "keras", RAW, "Keras 3.6.0", "probabilities"),
                new Fixture("keras213-cnn.keras", "keras", INVERTED, "Keras 2.15.0", "logits"));
    }

    @BeforeAll
    static void files() throws Exception {
        models = KerasFiles.dir();
        test = TestData.mnist().test();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void eachFileImportsWithTheContractItWasTrainedOnAndPyTorchsAccuracy(Fixture f) throws Exception {
        List<String> log = new ArrayList<>();
        ModelImporter.Analysis a = ModelImporter.analyse(models.resolve(f.file()), "k", null, test, log::add);
        ImportSource source = a.source();
        assertEquals(f.trained(), source.input(), String.join("\n", log));
        assertEquals("detected", source.chosenBy());
        assertEquals(f.format(), source.format());
        assertEquals(f.producer(), source.producer());
        assertEquals(f.outputs(), source.outputs());
        double torch = KerasFiles.accuracy(f.file());
        System.out.printf("%s: contract %s, accuracy %.4f (PyTorch %.4f)%n", f.file(), ContractSearch.describe(source.input()),
                a.accuracy(), torch);
        assertEquals(torch, a.accuracy(), 0.005, "PyTorch's own accuracy against the import's:\n" + String.join("\n", log));
        assertEquals("none", source.verification().get("runtime"));
        assertTrue(String.valueOf(source.verification().get("reason")).contains("without Keras"), source.verification().toString());
        // The file's Rescaling(1/255) meets the 0–255 contract: the two cancel, and the network takes Digits' [0,1] pixels.
        if (f.trained().equals(RAW)) {
            assertTrue(a.spec().layers().stream().noneMatch(l -> l.type() == LayerType.RESCALE), a.spec().toJson());
            assertTrue(a.spec().layers().stream().anyMatch(l -> l.type() == LayerType.BATCHNORM), a.spec().toJson());
        }
    }

    /**
     * The same trained network in two layouts: Keras 2 .h5 (weights by name, {@code dense/kernel:0}) and Keras 3
     * .keras (by class and position, the layers carrying names of their own); Keras 3 .h5 ({@code sequential/dense/
     * kernel}) and Keras 2.13 .keras (numbering that skips). A weight taken from the wrong layer or position would
     * fail the shape checks or change the answers.
     */
    @Test
    void theSameNetworkInDifferentLayoutsAnswersTheSame() throws Exception {
        for (String[] pair : new String[][] {{"keras2-cnn.h5", "keras3-cnn.keras"}, {"keras3-cnn.h5", "keras213-cnn.keras"}}) {
            float[][] p = ModelImporter.analyse(models.resolve(pair[0]), "a", null, test, LOG::add).probabilities();
            float[][] q = ModelImporter.analyse(models.resolve(pair[1]), "b", null, test, LOG::add).probabilities();
            double worst = 0;
            for (int i = 0; i < p.length; i++) for (int k = 0; k < p[i].length; k++) worst = Math.max(worst, Math.abs(p[i][k] - q[i][k]));
            assertTrue(worst <= 1e-6, pair[0] + " vs " + pair[1] + ": largest probability difference " + worst);
        }
    }

    @Test
    void aLayerDigitsHasNoFormForIsRefusedNamingIt() {
        ImportException e = assertThrows(ImportException.class,
                () -> ModelImporter.analyse(models.resolve("keras2-conv-transpose.h5"), "t", null, test, LOG::add));
        assertTrue(e.getMessage().startsWith("layer Conv2DTranspose 'conv2d_transpose' (layer 2 of 4) is not supported; supported"
                + " layers: "), e.getMessage());
    }

    /** Cut in the middle, or only its last 100 bytes lost (which jhdf alone would read past). */
    @Test
    void aCutShortFileIsRefusedAsUnreadable(@TempDir Path tmp) throws Exception {
        for (String file : new String[] {"keras2-cnn.h5", "keras3-cnn.h5", "keras3-cnn.keras", "keras213-cnn.keras"}) {
            byte[] bytes = Files.readAllBytes(models.resolve(file));
            for (int length : new int[] {bytes.length / 2, bytes.length - 100}) {
                Path cut = tmp.resolve("cut-" + length + "-" + file);
                Files.write(cut, Arrays.copyOf(bytes, length));
                assertUnreadable(cut);
            }
        }
    }

    /** Full length, but the root group's object header (at byte 96, after the superblock) overwritten. */
    @Test
    void aDamagedFileIsRefusedAsUnreadable(@TempDir Path tmp) throws Exception {
        byte[] bytes = Files.readAllBytes(models.resolve("keras2-cnn.h5"));
        Arrays.fill(bytes, 96, 1096, (byte) 0);
        Path damaged = tmp.resolve("damaged.h5");
        Files.write(damaged, bytes);
        assertUnreadable(damaged);
    }

    private static void assertUnreadable(Path file) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ModelImporter.analyse(file, "cut", null, test, LOG::add));
        assertTrue(e.getMessage().contains(file.getFileName().toString()) && e.getMessage().contains("is cut short or not a Keras file"),
                e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());
    }
}
