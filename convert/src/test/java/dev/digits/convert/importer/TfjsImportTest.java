package dev.digits.convert.importer;

import dev.digits.convert.ExportSource;
import dev.digits.convert.LoadedModel;
import dev.digits.convert.onnx.OnnxRuntimeModel;
import dev.digits.convert.tfjs.TfjsRuntime;
import dev.digits.core.artifact.InputContract;
import dev.digits.core.artifact.InputContract.Polarity;
import dev.digits.core.data.ImageSet;
import dev.digits.core.error.InvalidInputException;
import dev.digits.core.json.Json;
import dev.digits.train.TestData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * TF.js LayersModels written by TF.js itself ({@code src/test/node/tfjs_models.mjs}: trained briefly on MNIST in
 * TF.js under node, saved with {@code model.save}) imported into Digits: the contract each was trained on is found
 * again, the imported network scores what TF.js measured, and it answers what the file answers in TF.js.
 */
class TfjsImportTest {
    /** The fixtures, made once per checkout (again when the script changes). */
    private static final Path MODELS = Path.of("target", "tfjs-import-models").toAbsolutePath();
    private static final Path SCRIPT = Path.of("src", "test", "node", "tfjs_models.mjs").toAbsolutePath();

    private static ImageSet test;
    private static Map<String, Object> report;

    @TempDir
    Path tmp;

    /** A fixture: its directory under {@link #MODELS}, the contract it was trained on, what it answers. */
    record Fixture(String dir, InputContract trained, String outputs) {
        @Override
        public String toString() {
            return dir;
        }
    }

    static Stream<Fixture> fixtures() {
        InputContract unit = ContractSearch.contract(0f, 1f, 0f, 1f, Polarity.LIGHT_ON_DARK);
        return Stream.of(
                new Fixture("cnn", unit, "probabilities"),
                new Fixture("cnn-uint8", unit, "probabilities"),
                new Fixture("cnn-float16", unit, "probabilities"),
                new Fixture("residual", ContractSearch.contract(0f, 255f, 0f, 1f, Polarity.DARK_ON_LIGHT), "logits"));
    }

    @BeforeAll
    static void makeFixtures() throws IOException, InterruptedException {
        test = TestData.mnist().test();
        Path reportFile = MODELS.resolve("report.json");
        if (!Files.isRegularFile(reportFile) || Files.getLastModifiedTime(SCRIPT).compareTo(Files.getLastModifiedTime(reportFile)) > 0) {
            TfjsRuntime tfjs = TfjsRuntime.locate();
            Path out = Files.createDirectories(MODELS.getParent()).resolve("tfjs-import-models.tmp");
            if (Files.exists(out)) ModelImporter.deleteTree(out);
            Files.createDirectories(out);
            ProcessBuilder pb = new ProcessBuilder(tfjs.node().toString(), SCRIPT.toString(), System.getProperty("digits.data"),
                    out.toString(), tfjs.directory().toString());
            pb.redirectErrorStream(true);
            pb.redirectOutput(out.resolve("log.txt").toFile());
            Process p = pb.start();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("tfjs_models.mjs did not finish in 10 minutes");
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException("tfjs_models.mjs failed (exit " + p.exitValue() + "):\n" + Files.readString(out.resolve("log.txt")));
            }
            if (Files.exists(MODELS)) ModelImporter.deleteTree(MODELS);
            Files.move(out, MODELS);
        }
        report = Json.parseObject(Files.readString(reportFile, StandardCharsets.UTF_8));
    }

    /** The test accuracy TF.js measured for {@code fixture}. */
    @SuppressWarnings("unchecked")
    private static double tfjsAccuracy(Fixture f) {
        Map<String, Object> models = (Map<String, Object>) report.get("models");
        return ((Number) ((Map<String, Object>) models.get(f.dir())).get("accuracy")).doubleValue();
    }

    private static double maxDifference(float[][] a, float[][] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            for (int k = 0; k < a[i].length; k++) worst = Math.max(worst, Math.abs(a[i][k] - b[i][k]));
        }
        return worst;
    }

    /**
     * The reader alone, through the steps an import takes: the contract search on 1,000 test digits, the network
     * with that contract on all 10,000, and the file itself in TF.js on the same values.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void theReaderTranslatesTheFileIntoANetworkThatAnswersAsTfjsDoes(Fixture f) throws IOException {
        List<String> log = new ArrayList<>();
        ModelImporter.Source src = TfjsModelReader.read(MODELS.resolve(f.dir()), f.dir(), log::add);
        assertNotNull(src.runtime(), "TF.js loads the files it wrote itself, so the import must be checked: " + log);
        assertTrue(src.producer().startsWith("TensorFlow.js tfjs-layers v"), src.producer());
        assertEquals(f.outputs(), src.network().outputs());
        NetworkBuilder.Network raw = src.network().network();

        List<ContractSearch.Trial> trials;
        try (LoadedModel m = OnnxRuntimeModel.of(ExportSource.of(raw.spec(), raw.weights(), ImageSet.digitClasses()))) {
            trials = ContractSearch.run(m, ModelImporter.spread(test, ContractSearch.IMAGES), ContractSearch.candidates());
        }
        assertEquals(f.trained(), ContractSearch.best(trials).contract(), "trials: " + trials);

        double[] a = ContractSearch.affine(f.trained());
        NetworkBuilder.Network net = raw.withInputRescale(a[0], a[1]);
        float[] pixels = ModelImporter.pixels(test);
        float[][] ours;
        try (LoadedModel m = OnnxRuntimeModel.of(ExportSource.of(net.spec(), net.weights(), ImageSet.digitClasses()))) {
            ours = m.predict(pixels, test.size());
        }
        double accuracy = ContractSearch.accuracy(ours, test);
        assertEquals(tfjsAccuracy(f), accuracy, 0.005, "accuracy of the imported " + f.dir() + " vs TF.js' own measurement");

        float[] fed = new float[pixels.length];
        for (int i = 0; i < pixels.length; i++) fed[i] = (float) (a[0] * pixels[i] + a[1]);
        float[][] theirs = src.runtime().run(fed, test.size());
        if (f.outputs().equals("logits")) for (float[] row : theirs) ModelImporter.softmaxInPlace(row);
        double diff = maxDifference(ours, theirs);
        System.out.printf("%s: contract %s, accuracy %.4f (TF.js %.4f), max probability difference vs %s %.2e%n", f.dir(),
                ContractSearch.describe(f.trained()), accuracy, tfjsAccuracy(f), src.runtime().name(), diff);
        assertTrue(diff <= ModelImporter.TOLERANCE, f.dir() + ": largest probability difference " + diff);
    }

    /** The whole import as {@code digits import} runs it. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void importingFindsTheTrainedContractAndChecksTheResultInTfjs(Fixture f) throws IOException {
        List<String> log = new ArrayList<>();
        ModelImporter.Analysis a = ModelImporter.analyse(MODELS.resolve(f.dir()), f.dir(), null, test, log::add);
        assertEquals(f.trained(), a.source().input(), String.join("\n", log));
        assertEquals("detected", a.source().chosenBy());
        assertEquals(f.outputs(), a.source().outputs());
        assertEquals(tfjsAccuracy(f), a.accuracy(), 0.005, String.join("\n", log));
        Object diff = a.source().verification().get("maxProbabilityDifference");
        assertNotNull(diff, "the import must be checked against TF.js: " + log);
        assertTrue(((Number) diff).doubleValue() <= ModelImporter.TOLERANCE, String.join("\n", log));
        assertEquals(test.size(), ((Number) a.source().verification().get("images")).intValue());
    }

    @Test
    void aLayerDigitsHasNoFormForIsRefusedNamingIt() {
        ImportException e = assertThrows(ImportException.class, () -> TfjsModelReader.read(MODELS.resolve("separable"), "separable"));
        assertTrue(e.getMessage().startsWith("layer SeparableConv2D 'separable' (layer 2 of 4) is not supported; supported layers: "),
                e.getMessage());
        assertTrue(e.getMessage().contains("Conv2D, MaxPooling2D"), e.getMessage());
    }

    @Test
    void aCutShortWeightFileIsRefusedNamingIt() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("cnn"));
        Files.copy(MODELS.resolve("cnn/model.json"), dir.resolve("model.json"));
        Files.copy(MODELS.resolve("cnn/weights.bin"), dir.resolve("weights.bin"));
        try (FileChannel c = FileChannel.open(dir.resolve("weights.bin"), StandardOpenOption.WRITE)) {
            c.truncate(c.size() - 100);
        }
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> TfjsModelReader.read(dir, "cnn"));
        assertTrue(e.getMessage().contains("weights.bin is cut short"), e.getMessage());
    }

    @Test
    void aGraphModelIsRefusedWithWhatToDoInstead() throws IOException {
        // The head of what tensorflowjs_converter writes for a SavedModel (a GraphDef, not Keras layers).
        Path json = tmp.resolve("model.json");
        Files.writeString(json, "{\"format\": \"graph-model\", \"generatedBy\": \"2.15.0\", \"convertedBy\": \"TensorFlow.js Converter v4.22.0\","
                + " \"modelTopology\": {\"node\": [], \"library\": {}, \"versions\": {\"producer\": 1482}}, \"weightsManifest\": []}");
        ImportException e = assertThrows(ImportException.class, () -> TfjsModelReader.read(json, "graph"));
        assertTrue(e.getMessage().contains("graph model") && e.getMessage().contains("tfjs_layers_model"), e.getMessage());
    }
}
