package dev.digits.convert;

import dev.digits.convert.ExportReport.Row;
import dev.digits.convert.ExportReport.Status;
import dev.digits.core.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The report's table, Markdown and JSON forms. */
class ExportReportTest {
    @TempDir
    Path dir;

    private static ExportReport report() {
        return new ExportReport("digits-cnn", "cnn", Instant.parse("2025-01-02T03:04:05Z"), 10_000, 0.9912, 0.8,
                Map.of("cpus", 2, "os", "Linux", "java", "17",
                        "cpu", Map.of("model", "AMD EPYC", "arch", "amd64", "simd", List.of("avx", "avx2", "fma"))), List.of(
                new Row(ExportFormat.ONNX, Quantization.FLOAT32, Status.OK, "", "digits-cnn.onnx", 400_000, 0.9912, 1.0, 3e-7, 0.25),
                new Row(ExportFormat.ONNX, Quantization.DYNAMIC_INT8, Status.OK, "", "digits-cnn-int8-dynamic.onnx", 100_000,
                        0.9910, 0.998, 0.012, 0.3),
                Row.without(ExportFormat.TFJS, Quantization.FULL_INT8, Status.SKIPPED, "tfjs files cannot be quantized as int8"),
                new Row(ExportFormat.TFLITE, Quantization.FLOAT32, Status.FAILED, "differs | by 0.2", null, 300_000, 0.5, 0.5, 0.2, 1.0)));
    }

    @Test
    void tableColumnsLineUpWhateverTheCellWidths() {
        String[] lines = report().table().split("\n");
        String header = lines[1];
        int status = header.indexOf("status");
        int accuracyEnd = header.indexOf("accuracy") + "accuracy".length();
        for (int i = 3; i < lines.length; i++) {
            assertEquals(status, lines[i].indexOf(i == 5 ? "skipped" : i == 6 ? "failed" : "ok"), lines[i]);
            // Numbers are right-aligned under their header.
            if (i != 5) assertEquals('%', lines[i].charAt(accuracyEnd - 1), lines[i]);
        }
        assertTrue(lines[0].contains("99.12%") && lines[0].contains("10,000"), lines[0]);
    }

    @Test
    void sizesAreComparedWithTheVerifiedFloat32FileOfTheSameFormatOnly() {
        ExportReport r = report();
        assertEquals(25.0, r.percentOfFloat32(r.rows().get(1)), 1e-9);
        assertTrue(Double.isNaN(r.percentOfFloat32(r.rows().get(3))), "a failed float32 file is no baseline");
    }

    @Test
    void markdownEscapesPipesAndNamesModelDateAndMachine() {
        String md = report().markdown();
        assertTrue(md.startsWith("# Export report: digits-cnn\n"), md);
        assertTrue(md.contains("2025-01-02T03:04:05Z") && md.contains("2 CPUs, Linux, Java 17"), md);
        assertTrue(md.contains("failed: differs \\| by 0.2"), md);
        assertTrue(md.contains("Verified on CPU: AMD EPYC (amd64; SIMD: avx avx2 fma)"), md);
        assertTrue(md.contains("| onnx | int8-dynamic | digits-cnn-int8-dynamic.onnx | 97.7 KiB | 25.0% | 99.10% | 99.80% |"), md);
    }

    @Test
    void bothFilesAreWrittenAndTheJsonLeavesOutWhatWasNeverMeasured() throws IOException {
        report().write(dir);
        assertTrue(Files.readString(dir.resolve(ExportReport.MARKDOWN_FILE)).contains("| tfjs | int8 |"));
        Map<String, Object> json = Json.parseObject(Files.readString(dir.resolve(ExportReport.JSON_FILE)));
        List<?> results = (List<?>) json.get("results");
        Map<?, ?> skipped = (Map<?, ?>) results.get(2);
        assertEquals("skipped", skipped.get("status"));
        assertFalse(skipped.containsKey("accuracy"));
        assertEquals(25.0, ((Number) ((Map<?, ?>) results.get(1)).get("percentOfFloat32")).doubleValue(), 1e-9);
        try (var files = Files.list(dir)) {
            assertEquals(2, files.count(), "no temporary files left");
        }
    }
}
