package dev.digits.convert;

import dev.digits.convert.ExportReport.Row;
import dev.digits.convert.ExportReport.Status;
import dev.digits.convert.onnx.OnnxExporter;
import dev.digits.core.json.Json;
import dev.digits.core.model.Tensor;
import dev.digits.train.QuickModels;
import dev.digits.train.TestData;
import dev.digits.train.TrainedModel;
import dev.digits.core.data.ImageSet;
import dev.digits.core.artifact.Digests;
import dev.digits.core.artifact.ExportManifest;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.artifact.VerificationSample;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The export pipeline on a briefly trained CNN: files in place only once verified, and a report of everything. */
class ExportPipelineTest {
    @TempDir
    static Path trained;

    @TempDir
    Path work;

    private static ImageSet test;
    private static ImageSet calibration;
    private static TrainedModel reference;

    @BeforeAll
    static void trainOnce() throws IOException {
        reference = QuickModels.train("cnn", 2000, trained.resolve("cnn"));
        test = TestData.mnist().test();
        calibration = TestData.mnist().train().head(2000);
    }

    @AfterAll
    static void close() {
        reference.close();
    }

    /** A request for {@code model} compared with the trained network in PyTorch. */
    private static ExportPipeline.Request.Builder request(Path model) {
        return ExportPipeline.Request.builder().modelDirectory(model).reference(Sources.reference(reference), "DJL/PyTorch");
    }

    /** A fresh copy of the trained model directory (each test gets its own export directory). */
    private Path model() throws IOException {
        Path dir = work.resolve("cnn");
        Files.createDirectories(dir);
        for (String f : List.of(ModelArtifact.SPEC_FILE, ModelArtifact.WEIGHTS_FILE, ModelArtifact.CARD_FILE)) {
            Files.copy(trained.resolve("cnn").resolve(f), dir.resolve(f));
        }
        return dir;
    }

    private static List<String> exportDirectoryListing(Path model) throws IOException {
        try (Stream<Path> s = Files.list(model.resolve("export"))) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void everyOnnxQuantizationIsVerifiedOnTheWholeTestSetAndReported() throws IOException {
        Path model = model();
        ExportReport report = ExportPipeline.withAllFormats().withLatencyImages(200).run(request(model).formats(List.of(ExportFormat.ONNX)).quantizations(EnumSet.allOf(Quantization.class))
                .testImages(test).calibrationImages(calibration).build());

        assertEquals(List.of("cnn-float16.onnx", "cnn-int8-dynamic.onnx", "cnn-int8.onnx", "cnn.onnx", "manifest.json", "report.json",
                "report.md", "verification-images.idx"), exportDirectoryListing(model));
        Row float32 = report.row(ExportFormat.ONNX, Quantization.FLOAT32).orElseThrow();
        assertEquals(Status.OK, float32.status());
        assertTrue(float32.maxDifference() <= ExportPipeline.FLOAT32_TOLERANCE);
        assertEquals(1.0, float32.agreement());
        assertEquals(report.referenceAccuracy(), float32.accuracy(), 1e-9);
        assertEquals(Files.size(model.resolve("export/cnn.onnx")), float32.bytes());
        assertTrue(float32.latencyMillis() > 0);
        for (Quantization q : List.of(Quantization.FLOAT16, Quantization.DYNAMIC_INT8, Quantization.FULL_INT8)) {
            Row r = report.row(ExportFormat.ONNX, q).orElseThrow();
            assertEquals(Status.OK, r.status(), r.outcome());
            assertTrue(r.agreement() > 0.98, q + " agreement " + r.agreement());
            assertTrue(report.percentOfFloat32(r) < (q == Quantization.FLOAT16 ? 55 : 30), q + " size " + report.percentOfFloat32(r));
        }

        Map<String, Object> json = Json.parseObject(Files.readString(model.resolve("export/report.json")));
        assertEquals("cnn", json.get("model"));
        List<?> results = (List<?>) json.get("results");
        assertEquals(4, results.size());
        Map<?, ?> first = (Map<?, ?>) results.get(0);
        assertEquals("onnx", first.get("format"));
        assertEquals("float32", first.get("quantization"));
        assertEquals("ok", first.get("status"));
        assertEquals("cnn.onnx", first.get("file"));
        assertEquals(10_000L, ((Number) ((Map<?, ?>) json.get("reference")).get("testImages")).longValue());
        String md = Files.readString(model.resolve("export/report.md"));
        assertTrue(md.contains("| onnx | int8-dynamic | cnn-int8-dynamic.onnx |"), md);
        assertTrue(md.contains("CPUs") && md.contains("Java"), md);

        // The manifest lists exactly the verified files, with their digests, against these weights.
        ModelArtifact artifact = ModelArtifact.open(model);
        ExportManifest manifest = artifact.manifest().orElseThrow();
        assertEquals(artifact.weightsSha256(), manifest.weightsSha256());
        assertEquals(4, manifest.entries().size());
        ExportManifest.Entry onnx = manifest.entry("onnx", "float32").orElseThrow();
        assertEquals("cnn.onnx", onnx.path());
        assertEquals(Digests.sha256(model.resolve("export/cnn.onnx")), onnx.sha256());
        assertEquals(float32.accuracy(), onnx.verification().accuracy(), 1e-12);
        assertTrue(onnx.verification().runtime().startsWith("ONNX Runtime 1."), onnx.verification().runtime());
        manifest.checkFiles(artifact.exportDirectory(), List.of("report.json", "report.md"));
        assertTrue(manifest.verifiedOn().get("cpu") instanceof Map, String.valueOf(manifest.verifiedOn()));
        VerificationSample sample = manifest.sample(artifact.exportDirectory());
        assertEquals(ExportPipeline.SAMPLE_IMAGES, sample.size());
        // Image 1 of the sample is test image 10000 / 256 = 39, with the trained network's own probabilities.
        assertEquals(test.label(39), sample.label(1));
        float[] expected = reference.predict(test.image(39));
        for (int k = 0; k < expected.length; k++) assertEquals(expected[k], sample.expected(1)[k], 1e-6f);
    }

    /**
     * The Triton / KServe repository: its model.onnx is byte for byte the verified export, and its config.pbtxt
     * declares the names, FP32 type and dimensions (batch left out, as max_batch_size requires) that the file has in
     * ONNX Runtime; the file there computes what the export computes.
     */
    @Test
    void aTritonRepositoryHoldsTheVerifiedFileWithTheTensorsItDeclares() throws IOException {
        Path model = model();
        ExportPipeline.withAllFormats().withLatencyImages(10).run(request(model).formats(List.of(ExportFormat.ONNX))
                .quantizations(List.of(Quantization.FLOAT32)).testImages(test.head(500)).build());
        ModelArtifact artifact = ModelArtifact.open(model);
        Path repo = work.resolve("triton-repository");
        Path dir = TritonRepository.write(artifact, repo, 3);
        assertEquals(repo.resolve("cnn"), dir);
        Path onnx = dir.resolve("3").resolve(TritonRepository.MODEL_FILE);
        assertEquals(artifact.manifest().orElseThrow().entry("onnx", "float32").orElseThrow().sha256(), Digests.sha256(onnx));
        String config = Files.readString(dir.resolve(TritonRepository.CONFIG_FILE));
        assertTrue(config.contains("name: \"cnn\"") && config.contains("platform: \"onnxruntime_onnx\"")
                && config.contains("max_batch_size: " + TritonRepository.MAX_BATCH_SIZE), config);
        try (dev.digits.convert.onnx.OnnxRuntimeModel m = dev.digits.convert.onnx.OnnxRuntimeModel.open(onnx)) {
            String in = field(config, "input");
            String out = field(config, "output");
            assertTrue(in.contains("name: \"" + m.inputName() + "\"") && in.contains("data_type: TYPE_FP32"), in);
            assertTrue(in.contains("dims: " + dimsWithoutBatch(m.inputShape())), in + " for " + java.util.Arrays.toString(m.inputShape()));
            assertTrue(out.contains("name: \"" + m.outputName() + "\"") && out.contains("dims: [ 10 ]"), out);
            assertEquals(-1, m.inputShape()[0], "the batch dimension is dynamic, as max_batch_size needs");
            float[] pixels = new float[2 * 784];
            System.arraycopy(test.image(0), 0, pixels, 0, 784);
            System.arraycopy(test.image(1), 0, pixels, 784, 784);
            float[][] p = m.predict(pixels, 2);
            assertEquals(test.label(0), dev.digits.core.recognition.Recognition.argmax(p[0]));
        }
    }

    /** The text between {@code name [} and its closing {@code ]} in a pbtxt file. */
    private static String field(String config, String name) {
        int start = config.indexOf(name + " [");
        assertTrue(start >= 0, name + " missing in " + config);
        return config.substring(start, config.indexOf("\n]", start));
    }

    private static String dimsWithoutBatch(long[] shape) {
        StringBuilder sb = new StringBuilder("[ ");
        for (int i = 1; i < shape.length; i++) sb.append(i > 1 ? ", " : "").append(shape[i]);
        return sb.append(" ]").toString();
    }

    @Test
    void filesOfEarlierWeightsLeaveTheExportAndFilesOfTheseWeightsStayListed() throws IOException {
        Path model = model();
        // What an export of a version of Digits without manifests left, and an interrupted export's staging file.
        Files.createDirectories(model.resolve("export/tfjs"));
        Files.writeString(model.resolve("export/tfjs/model.json"), "{}");
        Files.writeString(model.resolve("export/.cnn.onnx.123"), "half");
        ExportPipeline pipeline = ExportPipeline.withAllFormats().withLatencyImages(10);
        pipeline.run(request(model).formats(List.of(ExportFormat.ONNX)).quantizations(List.of(Quantization.FLOAT16))
                .testImages(test.head(500)).build());
        assertFalse(Files.exists(model.resolve("export/tfjs")), "unlisted files are removed");
        assertFalse(Files.exists(model.resolve("export/.cnn.onnx.123")));
        pipeline.run(request(model).formats(List.of(ExportFormat.ONNX)).testImages(test.head(500)).build());
        ExportManifest both = ModelArtifact.open(model).manifest().orElseThrow();
        assertTrue(both.entry("onnx", "float16").isPresent() && both.entry("onnx", "float32").isPresent(), both.entries().toString());

        // Retrained weights: the float16 file of the old ones must not be shipped beside them.
        Map<String, Tensor> weights = new LinkedHashMap<>(ModelArtifact.open(model).tensors());
        Tensor bias = weights.get("dense_2.bias");
        float[] shifted = bias.data().clone();
        shifted[0] += 1e-3f;
        weights.put("dense_2.bias", new Tensor(bias.shape(), shifted));
        dev.digits.core.model.SafeTensors.write(model.resolve(ModelArtifact.WEIGHTS_FILE), weights, Map.of());
        Files.delete(model.resolve(ModelArtifact.CARD_FILE));
        try (TrainedModel changed = TrainedModel.load(model)) {
            ExportPipeline.withAllFormats().withLatencyImages(10).run(ExportPipeline.Request.builder().modelDirectory(model)
                    .reference(Sources.reference(changed), "DJL/PyTorch").formats(List.of(ExportFormat.ONNX))
                    .testImages(test.head(500)).build());
        }
        ExportManifest after = ModelArtifact.open(model).manifest().orElseThrow();
        assertEquals(List.of("onnx float32"), after.entries().stream().map(e -> e.format() + " " + e.quantization()).toList());
        assertFalse(Files.exists(model.resolve("export/cnn-float16.onnx")));
        after.checkFiles(model.resolve("export"), List.of("report.json", "report.md"));
    }

    @Test
    void everyAvailableFormatIsExportedOrSaysWhyNot() throws IOException {
        Path model = model();
        ExportPipeline pipeline = ExportPipeline.withAllFormats().withLatencyImages(50);
        ExportReport report = pipeline.run(request(model)
                .testImages(test.head(2000)).build());
        assertEquals(ExportFormat.values().length, report.rows().size());
        for (ExportFormat f : ExportFormat.values()) {
            Row r = report.row(f, Quantization.FLOAT32).orElseThrow();
            if (pipeline.formats().contains(f)) {
                assertTrue(r.status() == Status.OK || r.status() == Status.UNSUPPORTED, r.outcome());
                if (r.status() == Status.OK) assertTrue(Files.exists(model.resolve("export").resolve(r.file())), r.file());
            } else {
                assertEquals(Status.UNSUPPORTED, r.status());
                assertTrue(r.message().startsWith("format not available in this build"), r.message());
            }
        }
        assertEquals(Status.OK, report.row(ExportFormat.ONNX, Quantization.FLOAT32).orElseThrow().status());
    }

    @Test
    void filesCheckedTwoAtATimeGiveTheReportOfOneAtATime() throws IOException {
        List<Row> serial;
        List<Row> parallel;
        Path one = model();
        serial = ExportPipeline.withAllFormats().withThreads(1).withLatencyImages(20).run(request(one).testImages(test.head(1000))
                .quantizations(EnumSet.allOf(Quantization.class)).calibrationImages(calibration.head(200)).build()).rows();
        List<String> serialFiles = exportDirectoryListing(one);
        Path two = Files.createDirectories(work.resolve("second")).resolve("cnn");
        Files.createDirectories(two);
        for (String f : List.of(ModelArtifact.SPEC_FILE, ModelArtifact.WEIGHTS_FILE, ModelArtifact.CARD_FILE)) {
            Files.copy(trained.resolve("cnn").resolve(f), two.resolve(f));
        }
        parallel = ExportPipeline.withAllFormats().withThreads(2).withLatencyImages(20).run(request(two).testImages(test.head(1000))
                .quantizations(EnumSet.allOf(Quantization.class)).calibrationImages(calibration.head(200)).build()).rows();
        assertEquals(serial.size(), parallel.size());
        assertTrue(serial.stream().filter(r -> r.status() == Status.OK).count() >= 8, serial.toString());
        for (int i = 0; i < serial.size(); i++) {
            Row a = serial.get(i);
            Row b = parallel.get(i);
            // In the request's order, whichever finished first; the same files with the same figures.
            assertEquals(a.format() + " " + a.quantization(), b.format() + " " + b.quantization());
            assertEquals(a.outcome(), b.outcome());
            assertEquals(a.file(), b.file());
            assertEquals(a.bytes(), b.bytes(), a.file());
            assertEquals(a.accuracy(), b.accuracy(), 0.0, a.file());
            assertEquals(a.agreement(), b.agreement(), 0.0, a.file());
            // Float sums may be split among threads in another order from one run to the next.
            assertEquals(a.maxDifference(), b.maxDifference(), 1e-6, a.file());
            if (b.status() == Status.OK) assertTrue(b.latencyMillis() > 0, b.file() + " was not timed: " + b.latencyMillis());
        }
        assertEquals(serialFiles, exportDirectoryListing(two));
    }

    @Test
    void aMistypedTfliteRuntimeStopsTheExportBeforeAnyFileIsTouched() throws IOException {
        Path model = model();
        ExportPipeline pipeline = ExportPipeline.withAllFormats().withLatencyImages(10);
        pipeline.run(request(model).formats(List.of(ExportFormat.TFLITE)).quantizations(List.of(Quantization.FLOAT32))
                .testImages(test.head(300)).build());
        Path file = model.resolve("export/cnn.tflite");
        String before = Digests.sha256(file);
        String manifest = Files.readString(model.resolve("export").resolve(ExportManifest.FILE));
        String property = dev.digits.convert.tflite.TfliteExporter.RUNTIME_PROPERTY;
        System.setProperty(property, "gpu");
        try {
            var e = assertThrows(dev.digits.core.error.InvalidInputException.class, () -> ExportPipeline.withAllFormats()
                    .withLatencyImages(10).run(request(model).formats(List.of(ExportFormat.TFLITE, ExportFormat.ONNX))
                            .quantizations(List.of(Quantization.FLOAT32)).testImages(test.head(300)).build()));
            assertTrue(e.getMessage().contains("-D" + property + "=gpu is not a TFLite runtime"), e.getMessage());
        } finally {
            System.clearProperty(property);
        }
        assertEquals(before, Digests.sha256(file));
        assertEquals(manifest, Files.readString(model.resolve("export").resolve(ExportManifest.FILE)));
        assertFalse(Files.exists(model.resolve("export/cnn.onnx")));
    }

    /** Writes the ONNX file of a subtly different network: a wrong file that still loads and runs. */
    private static final class WrongWeightsExporter implements Exporter {
        private final OnnxExporter onnx = new OnnxExporter();

        @Override
        public ExportFormat format() {
            return ExportFormat.ONNX;
        }

        @Override
        public boolean supports(Quantization quantization) {
            return true;
        }

        @Override
        public String runtime() {
            return onnx.runtime();
        }

        @Override
        public ExportOptions.InputLayout defaultLayout(dev.digits.core.model.ModelSpec spec) {
            return onnx.defaultLayout(spec);
        }

        @Override
        public void export(ExportSource model, ExportOptions options, Path target) throws IOException {
            Map<String, Tensor> weights = new LinkedHashMap<>(model.tensors());
            Tensor bias = weights.get("dense_2.bias");
            float[] shifted = bias.data().clone();
            shifted[3] += 0.05f;
            weights.put("dense_2.bias", new Tensor(bias.shape(), shifted));
            onnx.export(new ExportSource(model.spec(), weights, model.card()), options, target);
        }

        @Override
        public LoadedModel load(Path file, ExportOptions options) throws IOException {
            return onnx.load(file, options);
        }
    }

    @Test
    void aFloat32FileThatDisagreesFailsTheExportAndIsDeleted() throws IOException {
        Path model = model();
        Path stale = model.resolve("export/cnn.onnx");
        Files.createDirectories(stale.getParent());
        Files.writeString(stale, "an export of an earlier training run");
        ExportPipeline pipeline = new ExportPipeline(List.of(new WrongWeightsExporter())).withLatencyImages(10);
        ExportFailedException e = assertThrows(ExportFailedException.class, () -> pipeline.run(request(model).formats(List.of(ExportFormat.ONNX)).testImages(test.head(1000)).build()));

        assertTrue(e.getMessage().contains("onnx float32") && e.getMessage().contains("tolerance"), e.getMessage());
        assertEquals(List.of("manifest.json", "report.json", "report.md", "verification-images.idx"), exportDirectoryListing(model));
        assertTrue(ModelArtifact.open(model).manifest().orElseThrow().entries().isEmpty());
        Row row = e.report().row(ExportFormat.ONNX, Quantization.FLOAT32).orElseThrow();
        assertEquals(Status.FAILED, row.status());
        assertTrue(row.maxDifference() > ExportPipeline.FLOAT32_TOLERANCE);
        assertTrue(Files.readString(model.resolve("export/report.json")).contains("\"failed\""));
    }

    /** A format that refuses this model and can only store float32. */
    private static final class RefusingExporter implements Exporter {
        @Override
        public ExportFormat format() {
            return ExportFormat.TFLITE;
        }

        @Override
        public boolean supports(Quantization quantization) {
            return quantization == Quantization.FLOAT32;
        }

        @Override
        public String runtime() {
            return "none";
        }

        @Override
        public ExportOptions.InputLayout defaultLayout(dev.digits.core.model.ModelSpec spec) {
            return ExportOptions.InputLayout.NHWC;
        }

        @Override
        public void export(ExportSource model, ExportOptions options, Path target) {
            throw new UnsupportedModelException("layer conv2d_1 cannot be expressed; use onnx");
        }

        @Override
        public LoadedModel load(Path file, ExportOptions options) {
            throw new IllegalStateException("nothing was exported, so nothing can be loaded");
        }
    }

    @Test
    void anUnsupportedFormatOrQuantizationIsRecordedWithoutStoppingTheOthers() throws IOException {
        Path model = model();
        ExportPipeline pipeline = new ExportPipeline(List.of(new RefusingExporter(), new OnnxExporter())).withLatencyImages(10);
        ExportReport report = pipeline.run(request(model)
                .formats(List.of(ExportFormat.TFLITE, ExportFormat.ONNX, ExportFormat.TFJS))
                .quantizations(List.of(Quantization.FLOAT32, Quantization.FLOAT16, Quantization.FULL_INT8))
                .testImages(test.head(500)).build());

        assertEquals("unsupported: layer conv2d_1 cannot be expressed; use onnx",
                report.row(ExportFormat.TFLITE, Quantization.FLOAT32).orElseThrow().outcome());
        assertEquals(Status.SKIPPED, report.row(ExportFormat.TFLITE, Quantization.FLOAT16).orElseThrow().status());
        assertEquals(Status.OK, report.row(ExportFormat.ONNX, Quantization.FLOAT32).orElseThrow().status());
        assertEquals(Status.OK, report.row(ExportFormat.ONNX, Quantization.FLOAT16).orElseThrow().status());
        Row int8 = report.row(ExportFormat.ONNX, Quantization.FULL_INT8).orElseThrow();
        assertEquals(Status.SKIPPED, int8.status());
        assertTrue(int8.message().contains("calibration"), int8.message());
        assertTrue(report.row(ExportFormat.TFJS, Quantization.FLOAT32).orElseThrow().message().contains("no exporter"));
        assertEquals(List.of("cnn-float16.onnx", "cnn.onnx", "manifest.json", "report.json", "report.md", "verification-images.idx"),
                exportDirectoryListing(model));
    }

    @Test
    void nothingExportableFailsNamingEveryReason() throws IOException {
        Path model = model();
        ExportPipeline pipeline = new ExportPipeline(List.of(new RefusingExporter())).withLatencyImages(10);
        ExportFailedException e = assertThrows(ExportFailedException.class, () -> pipeline.run(request(model).formats(List.of(ExportFormat.TFLITE)).testImages(test.head(100)).build()));
        assertTrue(e.getMessage().startsWith("nothing could be exported from cnn"), e.getMessage());
        assertTrue(e.getMessage().contains("layer conv2d_1 cannot be expressed"), e.getMessage());
        assertFalse(Files.exists(model.resolve("export/cnn.tflite")));
    }

    @Test
    void aRequestWithoutTestImagesIsRefusedNamingWhatIsMissing() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> request(work).build());
        assertTrue(e.getMessage().startsWith("testImages are required"), e.getMessage());
        IllegalArgumentException noReference = assertThrows(IllegalArgumentException.class,
                () -> ExportPipeline.Request.builder().modelDirectory(work).testImages(test).build());
        assertTrue(noReference.getMessage().startsWith("reference is required"), noReference.getMessage());
    }
}
