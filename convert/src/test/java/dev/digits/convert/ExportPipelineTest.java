package dev.digits.convert;

import dev.digits.convert.ExportReport.Row;
import dev.digits.convert.ExportReport.Status;
import dev.digits.convert.onnx.OnnxExporter;
import dev.digits.core.json.Json;
import dev.digits.core.model.Tensor;
import dev.digits.train.QuickModels;
import dev.digits.train.TestData;
import dev.digits.train.TrainedModel;
import dev.digits.train.data.ImageSet;
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

    @BeforeAll
    static void trainOnce() throws IOException {
        QuickModels.train("cnn", 2000, trained.resolve("cnn")).close();
        test = TestData.mnist().test();
        calibration = TestData.mnist().train().head(2000);
    }

    /** A fresh copy of the trained model directory (each test gets its own export directory). */
    private Path model() throws IOException {
        Path dir = work.resolve("cnn");
        Files.createDirectories(dir);
        for (String f : List.of(TrainedModel.SPEC_FILE, TrainedModel.WEIGHTS_FILE, TrainedModel.CARD_FILE)) {
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
        ExportReport report = ExportPipeline.withAllFormats().withLatencyImages(200).run(ExportPipeline.Request.builder()
                .modelDirectory(model).formats(List.of(ExportFormat.ONNX)).quantizations(EnumSet.allOf(Quantization.class))
                .testImages(test).calibrationImages(calibration).build());

        assertEquals(List.of("cnn-float16.onnx", "cnn-int8-dynamic.onnx", "cnn-int8.onnx", "cnn.onnx", "report.json", "report.md"),
                exportDirectoryListing(model));
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
    }

    @Test
    void everyAvailableFormatIsExportedOrSaysWhyNot() throws IOException {
        Path model = model();
        ExportPipeline pipeline = ExportPipeline.withAllFormats().withLatencyImages(50);
        ExportReport report = pipeline.run(ExportPipeline.Request.builder().modelDirectory(model)
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
        public void export(TrainedModel model, ExportOptions options, Path target) throws IOException {
            Map<String, Tensor> weights = new LinkedHashMap<>(model.weights());
            Tensor bias = weights.get("dense_2.bias");
            float[] shifted = bias.data().clone();
            shifted[3] += 0.05f;
            weights.put("dense_2.bias", new Tensor(bias.shape(), shifted));
            try (TrainedModel wrong = new TrainedModel(model.spec(), weights, model.labels())) {
                onnx.export(wrong, options, target);
            }
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
        ExportFailedException e = assertThrows(ExportFailedException.class, () -> pipeline.run(ExportPipeline.Request.builder()
                .modelDirectory(model).formats(List.of(ExportFormat.ONNX)).testImages(test.head(1000)).build()));

        assertTrue(e.getMessage().contains("onnx float32") && e.getMessage().contains("tolerance"), e.getMessage());
        assertEquals(List.of("report.json", "report.md"), exportDirectoryListing(model));
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
        public void export(TrainedModel model, ExportOptions options, Path target) {
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
        ExportReport report = pipeline.run(ExportPipeline.Request.builder().modelDirectory(model)
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
        assertEquals(List.of("cnn-float16.onnx", "cnn.onnx", "report.json", "report.md"), exportDirectoryListing(model));
    }

    @Test
    void nothingExportableFailsNamingEveryReason() throws IOException {
        Path model = model();
        ExportPipeline pipeline = new ExportPipeline(List.of(new RefusingExporter())).withLatencyImages(10);
        ExportFailedException e = assertThrows(ExportFailedException.class, () -> pipeline.run(ExportPipeline.Request.builder()
                .modelDirectory(model).formats(List.of(ExportFormat.TFLITE)).testImages(test.head(100)).build()));
        assertTrue(e.getMessage().startsWith("nothing could be exported from cnn"), e.getMessage());
        assertTrue(e.getMessage().contains("layer conv2d_1 cannot be expressed"), e.getMessage());
        assertFalse(Files.exists(model.resolve("export/cnn.tflite")));
    }

    @Test
    void aRequestWithoutTestImagesIsRefusedNamingWhatIsMissing() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExportPipeline.Request.builder().modelDirectory(work).build());
        assertTrue(e.getMessage().startsWith("testImages are required"), e.getMessage());
    }
}
