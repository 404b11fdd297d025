package dev.digits.convert;

import dev.digits.core.io.AtomicFiles;
import dev.digits.core.json.Json;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code digits export} produced and how each file did in its own runtime on the test set: one row per format
 * and quantization asked for, verified, failed, unsupported or skipped (with the reason). Immutable; printed as an
 * aligned table and written as {@code report.json} and {@code report.md} beside the exported files.
 */
public final class ExportReport {
    /** File name of the JSON report in the export directory. */
    public static final String JSON_FILE = "report.json";
    /** File name of the Markdown report in the export directory. */
    public static final String MARKDOWN_FILE = "report.md";

    /** The outcome of one format × quantization. */
    public enum Status {
        /** Exported, verified in the real runtime, in place. */
        OK,
        /** Exported but the file failed verification or could not be written or run; no file was left behind. */
        FAILED,
        /** The model uses something the format cannot express. */
        UNSUPPORTED,
        /** Not attempted: the format cannot store this quantization, or something it needs was not given. */
        SKIPPED
    }

    /**
     * One format × quantization. Measurements are {@code NaN} (and sizes 0) when the file was never verified.
     *
     * @param file          the file's path relative to the export directory (null when none was written)
     * @param bytes         the file's size (for TF.js: model.json and its weight shards)
     * @param accuracy      top-1 accuracy on the test set
     * @param agreement     share of test images whose top-1 class equals the trained model's
     * @param maxDifference largest absolute difference from the trained model's probabilities
     * @param latencyMillis mean time of one single-image inference
     */
    public record Row(ExportFormat format, Quantization quantization, Status status, String message, String file,
                      long bytes, double accuracy, double agreement, double maxDifference, double latencyMillis) {

        /** A format × quantization without a verified file, and why. */
        public static Row without(ExportFormat format, Quantization quantization, Status status, String message) {
            return new Row(format, quantization, status, message, null, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }

        /** The same row with its single-image latency. */
        public Row withLatency(double millis) {
            return new Row(format, quantization, status, message, file, bytes, accuracy, agreement, maxDifference, millis);
        }

        /** Whether this row measured a file (even one that then failed the float32 tolerance). */
        public boolean isMeasured() {
            return !Double.isNaN(maxDifference);
        }

        /** The status column: {@code ok}, or the status with its reason. */
        public String outcome() {
            String s = status.name().toLowerCase(Locale.ROOT);
            return message == null || message.isEmpty() ? s : s + ": " + message;
        }
    }

    private final String modelName;
    private final String architecture;
    private final Instant created;
    private final int testImages;
    private final double referenceAccuracy;
    private final double referenceLatencyMillis;
    private final Map<String, Object> machine;
    private final List<Row> rows;

    /**
     * @param referenceAccuracy      the trained model's own test accuracy (DJL/PyTorch)
     * @param referenceLatencyMillis the trained model's mean single-image latency in DJL/PyTorch
     * @param machine                where the measurements ran: see {@link #thisMachine()}
     */
    public ExportReport(String modelName, String architecture, Instant created, int testImages, double referenceAccuracy,
                        double referenceLatencyMillis, Map<String, Object> machine, List<Row> rows) {
        this.modelName = modelName;
        this.architecture = architecture;
        this.created = created;
        this.testImages = testImages;
        this.referenceAccuracy = referenceAccuracy;
        this.referenceLatencyMillis = referenceLatencyMillis;
        this.machine = Collections.unmodifiableMap(new LinkedHashMap<>(machine));
        this.rows = List.copyOf(rows);
    }

    /** CPU model and SIMD features, CPU count, operating system and Java of this process. */
    public static Map<String, Object> thisMachine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpu", CpuFeatures.ofThisMachine().toJson());
        m.put("cpus", Runtime.getRuntime().availableProcessors());
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        m.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
        return m;
    }

    public String modelName() {
        return modelName;
    }

    public List<Row> rows() {
        return rows;
    }

    /** The rows with {@code status}. */
    public List<Row> rows(Status status) {
        List<Row> out = new ArrayList<>();
        for (Row r : rows) if (r.status() == status) out.add(r);
        return out;
    }

    /** The row of {@code format} × {@code quantization}, if it was asked for. */
    public Optional<Row> row(ExportFormat format, Quantization quantization) {
        for (Row r : rows) if (r.format() == format && r.quantization() == quantization) return Optional.of(r);
        return Optional.empty();
    }

    public double referenceAccuracy() {
        return referenceAccuracy;
    }

    /**
     * {@code row}'s size as a percentage of the verified float32 file of the same format, or NaN when there is none.
     */
    public double percentOfFloat32(Row row) {
        if (row.file() == null) return Double.NaN;
        for (Row r : rows) {
            if (r.format() == row.format() && r.quantization() == Quantization.FLOAT32 && r.status() == Status.OK && r.bytes() > 0) {
                return 100.0 * row.bytes() / r.bytes();
            }
        }
        return Double.NaN;
    }

    private static final String[] HEADER = {"format", "quantization", "file", "size", "% of float32", "accuracy", "agreement",
        "max |Δp|", "latency", "status"};

    private List<String[]> cells() {
        List<String[]> out = new ArrayList<>();
        for (Row r : rows) {
            boolean m = r.isMeasured();
            out.add(new String[] {r.format().id(), r.quantization().id(), r.file() == null ? "-" : r.file(),
                m ? size(r.bytes()) : "-", Double.isNaN(percentOfFloat32(r)) ? "-" : String.format(Locale.ROOT, "%.1f%%", percentOfFloat32(r)),
                m ? percent(r.accuracy()) : "-", m ? percent(r.agreement()) : "-",
                m ? String.format(Locale.ROOT, "%.1e", r.maxDifference()) : "-",
                m ? String.format(Locale.ROOT, "%.3f ms", r.latencyMillis()) : "-", r.outcome()});
        }
        return out;
    }

    private static String percent(double fraction) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * fraction);
    }

    private static String size(long bytes) {
        if (bytes < 1024) return bytes + " B";
        if (bytes < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        return String.format(Locale.ROOT, "%.2f MiB", bytes / (1024.0 * 1024));
    }

    private String referenceLine() {
        return String.format(Locale.ROOT, "Trained model (DJL/PyTorch): accuracy %s on %,d test images, latency %.3f ms per image",
                percent(referenceAccuracy), testImages, referenceLatencyMillis);
    }

    /** The rows as a plain-text table with aligned columns, under a line about the trained model. */
    public String table() {
        List<String[]> lines = new ArrayList<>();
        lines.add(HEADER);
        lines.addAll(cells());
        int[] width = new int[HEADER.length];
        for (String[] l : lines) for (int i = 0; i < l.length; i++) width[i] = Math.max(width[i], l[i].length());
        StringBuilder sb = new StringBuilder(referenceLine()).append('\n');
        for (int n = 0; n < lines.size(); n++) {
            String[] l = lines.get(n);
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < l.length; i++) {
                if (i > 0) line.append("  ");
                // The last column is free text: no padding after it.
                line.append(i == l.length - 1 ? l[i] : pad(l[i], width[i], i >= 3 && i <= 8));
            }
            sb.append(line.toString().stripTrailing()).append('\n');
            if (n == 0) {
                int total = 0;
                for (int w : width) total += w + 2;
                sb.append("-".repeat(total - 2)).append('\n');
            }
        }
        return sb.toString();
    }

    private static String pad(String s, int width, boolean right) {
        String fill = " ".repeat(width - s.length());
        return right ? fill + s : s + fill;
    }

    /** The report as Markdown: title, model, date, machine, the trained model's figures and the table. */
    public String markdown() {
        StringBuilder sb = new StringBuilder();
        sb.append("# Export report: ").append(modelName).append("\n\n");
        sb.append("- Model: ").append(modelName).append(" (architecture ").append(architecture).append(")\n");
        sb.append("- Date: ").append(created).append('\n');
        sb.append("- Machine: ").append(machine.get("cpus")).append(" CPUs, ").append(machine.get("os"))
                .append(", Java ").append(machine.get("java")).append('\n');
        if (machine.get("cpu") instanceof Map) {
            Map<?, ?> cpu = (Map<?, ?>) machine.get("cpu");
            sb.append("- Verified on CPU: ").append(cpu.get("model")).append(" (").append(cpu.get("arch"))
                    .append("; SIMD: ").append(cpu.get("simd") instanceof List && !((List<?>) cpu.get("simd")).isEmpty()
                            ? String.join(" ", ((List<?>) cpu.get("simd")).stream().map(String::valueOf).toList()) : "none listed")
                    .append("). Integer kernels differ between CPUs; full-int8 ONNX files use uint8 weights and"
                            + " activations, whose kernels add exactly on every CPU, and each was checked against its own"
                            + " arithmetic run operator by operator.\n");
        }
        sb.append("- ").append(referenceLine()).append('\n');
        sb.append("- Accuracy and agreement (same top-1 class as the trained model) on every test image; latency is the mean"
                + " of single-image runs after warm-up, as an app calls it.\n\n");
        sb.append('|');
        for (String h : HEADER) sb.append(' ').append(h.replace("|", "\\|")).append(" |");
        sb.append("\n|");
        for (int i = 0; i < HEADER.length; i++) sb.append(i >= 3 && i <= 8 ? "---:|" : "---|");
        sb.append('\n');
        for (String[] c : cells()) {
            sb.append('|');
            for (String s : c) sb.append(' ').append(s.replace("|", "\\|")).append(" |");
            sb.append('\n');
        }
        return sb.toString();
    }

    /** The report as JSON-ready maps and lists. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", "digits-export-report/1");
        m.put("model", modelName);
        m.put("architecture", architecture);
        m.put("created", created.toString());
        m.put("machine", machine);
        Map<String, Object> ref = new LinkedHashMap<>();
        ref.put("runtime", "DJL/PyTorch");
        ref.put("testImages", testImages);
        ref.put("accuracy", referenceAccuracy);
        ref.put("latencyMillis", referenceLatencyMillis);
        m.put("reference", ref);
        List<Object> list = new ArrayList<>();
        for (Row r : rows) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("format", r.format().id());
            row.put("quantization", r.quantization().id());
            row.put("status", r.status().name().toLowerCase(Locale.ROOT));
            if (r.message() != null && !r.message().isEmpty()) row.put("message", r.message());
            if (r.file() != null) row.put("file", r.file());
            if (r.isMeasured()) {
                row.put("bytes", r.bytes());
                double pct = percentOfFloat32(r);
                if (!Double.isNaN(pct)) row.put("percentOfFloat32", Math.round(pct * 10) / 10.0);
                row.put("accuracy", r.accuracy());
                row.put("agreement", r.agreement());
                row.put("maxDifference", r.maxDifference());
                row.put("latencyMillis", r.latencyMillis());
            }
            list.add(row);
        }
        m.put("results", list);
        return m;
    }

    /** Writes {@value #JSON_FILE} and {@value #MARKDOWN_FILE} into {@code exportDirectory}, each atomically. */
    public void write(Path exportDirectory) throws IOException {
        AtomicFiles.writeString(exportDirectory.resolve(JSON_FILE), Json.writePretty(toJson()));
        AtomicFiles.writeString(exportDirectory.resolve(MARKDOWN_FILE), markdown());
    }

    @Override
    public String toString() {
        return table();
    }
}
