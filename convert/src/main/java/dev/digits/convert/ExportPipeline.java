package dev.digits.convert;

import dev.digits.convert.ExportReport.Row;
import dev.digits.convert.ExportReport.Status;
import dev.digits.convert.ExportOptions.InputLayout;
import dev.digits.core.artifact.Digests;
import dev.digits.core.artifact.ExportManifest;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.artifact.VerificationSample;
import dev.digits.core.data.ImageSet;
import dev.digits.core.error.InvalidInputException;
import dev.digits.core.recognition.Recognition;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code digits export}: writes a trained model in each requested format and quantization, runs every file in its
 * real runtime on the whole test set against the trained model, and reports what came out.
 *
 * <p>For each format × quantization the format's exporter supports, the file is written under a temporary name in
 * {@code <model>/export/}, loaded through {@link Exporter#load} and run on every test image; only then is it moved
 * to its place: {@code <model>/export/<name>[-<quantization>].<ext>} (TF.js: the directory
 * {@code export/tfjs[-<quantization>]/} holding {@code model.json}). A float32 file whose probabilities differ from
 * the trained model's by more than {@value #FLOAT32_TOLERANCE} anywhere is deleted and fails the export; so does any
 * file that cannot be written or run. A format that cannot express the model (or cannot store a quantization) is
 * recorded as unsupported (skipped) without stopping the others. The report goes to
 * {@code export/report.json} and {@code export/report.md}, and the {@link ExportManifest} with the
 * {@link VerificationSample} to {@code export/manifest.json} (listing exactly the verified files); when something
 * failed, or nothing could be exported, {@link #run} then throws {@link ExportFailedException}.
 *
 * <p>Files are written and checked one per core at a time ({@link #withThreads}); each one's single-image latency is
 * timed afterwards, one file at a time, so that no other check runs beside it.
 *
 * <p>The pipeline reads the engine-free artifact and needs no training engine: the reference every file is compared
 * with comes from the caller ({@link Request.Builder#reference}), e.g. the trained network running in PyTorch.
 *
 * <pre>{@code
 * ExportReport report = ExportPipeline.withAllFormats().withProgress(System.out).run(
 *         ExportPipeline.Request.builder().modelDirectory(Path.of("models/cnn")).reference(trained, "DJL/PyTorch")
 *                 .formats(EnumSet.allOf(ExportFormat.class)).quantizations(EnumSet.allOf(Quantization.class))
 *                 .testImages(mnist.test()).calibrationImages(mnist.train()).build());
 * }</pre>
 */
public final class ExportPipeline {
    /** Largest probability difference a float32 file may show against the trained model. */
    public static final double FLOAT32_TOLERANCE = 1e-4;
    /**
     * Share of test images on which a file's fused integer kernels must give the top-1 class its operators give when
     * run as written. The integer sums are exact on every CPU for the operand types the exporters write; only the
     * requantization's rounding (one step either way) may differ, which moves a top-1 class only on near ties.
     */
    public static final double KERNEL_AGREEMENT = 0.998;
    /** Single-image runs timed per file (after warm-up). */
    public static final int DEFAULT_LATENCY_IMAGES = 500;
    /** Images of the test set kept with the export as its {@link VerificationSample}. */
    public static final int SAMPLE_IMAGES = 256;
    private static final int WARM_UP_RUNS = 50;
    private static final int BATCH = 500;
    /** Characters the progress bar's line takes at most (its task name, bar, counts and speed). */
    private static final int BAR_WIDTH = 110;

    private final Map<ExportFormat, Exporter> exporters;
    private final Map<ExportFormat, String> unavailable;
    private final PrintStream out;
    private final int latencyImages;
    /**
     * Files checked at once: one per core. The node processes feeding LiteRT.js or TF.js use one core each; ONNX
     * Runtime and the TFLite interpreter use several, and take them from the other check while they run. Measured
     * on 2 cores with the embedded cnn in every format and quantization: BENCHMARKS.md, "Export time".
     */
    private final int threads;

    private ExportPipeline(Map<ExportFormat, Exporter> exporters, Map<ExportFormat, String> unavailable, PrintStream out, int latencyImages,
                           int threads) {
        this.exporters = exporters;
        this.unavailable = unavailable;
        this.out = out;
        this.latencyImages = latencyImages;
        this.threads = threads;
    }

    private static int defaultThreads() {
        return Math.max(1, Runtime.getRuntime().availableProcessors());
    }

    /**
     * A pipeline with these exporters (at most one per format), quiet.
     *
     * @throws IllegalArgumentException when two exporters claim the same format
     */
    public ExportPipeline(List<Exporter> exporters) {
        this(byFormat(exporters), new EnumMap<>(ExportFormat.class), null, DEFAULT_LATENCY_IMAGES, defaultThreads());
    }

    private static Map<ExportFormat, Exporter> byFormat(List<Exporter> list) {
        Map<ExportFormat, Exporter> m = new EnumMap<>(ExportFormat.class);
        for (Exporter e : list) {
            Exporter before = m.put(e.format(), e);
            if (before != null) {
                throw new IllegalArgumentException("two exporters for " + e.format().id() + ": " + before.getClass().getName()
                        + " and " + e.getClass().getName() + "; give one per format");
            }
        }
        return m;
    }

    /**
     * A pipeline with the exporters of this build, found by {@link ServiceLoader}. A format whose exporter is
     * missing, or cannot start, reports "format not available in this build" instead of failing the others.
     */
    public static ExportPipeline withAllFormats() {
        Map<ExportFormat, Exporter> found = new EnumMap<>(ExportFormat.class);
        Map<ExportFormat, String> missing = new EnumMap<>(ExportFormat.class);
        for (ServiceLoader.Provider<Exporter> p : ServiceLoader.load(Exporter.class).stream().toList()) {
            try {
                Exporter e = p.get();
                found.putIfAbsent(e.format(), e);
            } catch (java.util.ServiceConfigurationError | LinkageError e) {
                // Which format it was for is unknown until it starts; the missing formats below say so.
                Throwable cause = e.getCause() != null ? e.getCause() : e;
                for (ExportFormat f : ExportFormat.values()) missing.putIfAbsent(f, "format not available in this build ("
                        + p.type().getName() + " cannot start: " + cause + ")");
            }
        }
        for (ExportFormat f : ExportFormat.values()) {
            if (found.containsKey(f)) missing.remove(f);
            else missing.putIfAbsent(f, "format not available in this build (no " + f.id() + " exporter on the class path)");
        }
        return new ExportPipeline(found, missing, null, DEFAULT_LATENCY_IMAGES, defaultThreads());
    }

    /**
     * This pipeline printing what it does, with a progress bar per verification, to {@code stream} (null: quiet).
     * The table itself is the caller's to print: {@link ExportReport#table()}.
     */
    public ExportPipeline withProgress(PrintStream stream) {
        return new ExportPipeline(exporters, unavailable, stream, latencyImages, threads);
    }

    /** This pipeline timing {@code images} single-image runs per file (at least 1). */
    public ExportPipeline withLatencyImages(int images) {
        if (images < 1) throw new IllegalArgumentException("latency images must be at least 1, got " + images);
        return new ExportPipeline(exporters, unavailable, out, images, threads);
    }

    /** This pipeline checking {@code n} files at once (at least 1; by default one per core). */
    public ExportPipeline withThreads(int n) {
        if (n < 1) throw new IllegalArgumentException("threads must be at least 1, got " + n);
        return new ExportPipeline(exporters, unavailable, out, latencyImages, n);
    }

    /** The formats this pipeline can write. */
    public Set<ExportFormat> formats() {
        return exporters.isEmpty() ? EnumSet.noneOf(ExportFormat.class) : EnumSet.copyOf(exporters.keySet());
    }

    /** What to export and what to check it on. */
    public static final class Request {
        private final Path modelDirectory;
        private final Set<ExportFormat> formats;
        private final Set<Quantization> quantizations;
        private final ExportOptions options;
        private final ImageSet testImages;
        private final ImageSet calibrationImages;
        private final LoadedModel reference;
        private final String referenceRuntime;

        private Request(Builder b) {
            this.reference = b.reference;
            this.referenceRuntime = b.referenceRuntime;
            this.modelDirectory = b.modelDirectory;
            this.formats = b.formats;
            this.quantizations = b.quantizations;
            this.options = b.options;
            this.testImages = b.testImages;
            this.calibrationImages = b.calibrationImages;
        }

        public static Builder builder() {
            return new Builder();
        }

        /** Required: {@code modelDirectory} and {@code testImages}; the rest has defaults. */
        public static final class Builder {
            private Path modelDirectory;
            private Set<ExportFormat> formats = EnumSet.allOf(ExportFormat.class);
            private Set<Quantization> quantizations = EnumSet.of(Quantization.FLOAT32);
            private ExportOptions options = ExportOptions.builder().build();
            private ImageSet testImages;
            private ImageSet calibrationImages;
            private LoadedModel reference;
            private String referenceRuntime;

            /**
             * Required: the model every file is compared with — the trained weights running in their training
             * runtime, which the caller opens and closes. Whatever runs them, only its predictions are used.
             *
             * @param runtime what runs it, for the report (e.g. {@code DJL/PyTorch 2.7.1})
             */
            public Builder reference(LoadedModel model, String runtime) {
                this.reference = model;
                this.referenceRuntime = runtime;
                return this;
            }

            /** Required: the trained model's directory. */
            public Builder modelDirectory(Path dir) {
                this.modelDirectory = dir;
                return this;
            }

            /** The formats to write (default: all). */
            public Builder formats(Collection<ExportFormat> f) {
                this.formats = f.isEmpty() ? EnumSet.noneOf(ExportFormat.class) : EnumSet.copyOf(f);
                return this;
            }

            /** The quantizations to write in each format (default: float32). */
            public Builder quantizations(Collection<Quantization> q) {
                this.quantizations = q.isEmpty() ? EnumSet.noneOf(Quantization.class) : EnumSet.copyOf(q);
                return this;
            }

            /** Layout, input type, author and version for every file; quantization and calibration are set per file. */
            public Builder options(ExportOptions o) {
                this.options = o;
                return this;
            }

            /** Required: the labelled images every file is verified on (the whole MNIST test set for a real export). */
            public Builder testImages(ImageSet images) {
                this.testImages = images;
                return this;
            }

            /** Training images to calibrate full-integer quantization with (without them it is skipped). */
            public Builder calibrationImages(ImageSet images) {
                this.calibrationImages = images;
                return this;
            }

            public Request build() {
                if (modelDirectory == null) throw new IllegalArgumentException("modelDirectory is required: the directory `digits train` wrote");
                if (reference == null) throw new IllegalArgumentException("reference is required: the trained weights to compare every file with");
                if (testImages == null || testImages.size() == 0) {
                    throw new IllegalArgumentException("testImages are required: the labelled images to verify every exported file on");
                }
                if (formats.isEmpty()) throw new IllegalArgumentException("formats is empty; choose tflite, onnx, tfjs or all");
                if (quantizations.isEmpty()) {
                    throw new IllegalArgumentException("quantizations is empty; choose float32, float16, int8-dynamic, int8 or all");
                }
                if (options == null) throw new IllegalArgumentException("options must not be null; use ExportOptions.builder().build()");
                return new Request(this);
            }
        }
    }

    /**
     * Exports, verifies and reports as {@code request} asks.
     *
     * @return the report (also written to {@code export/report.json} and {@code export/report.md})
     * @throws ExportFailedException after writing the report, when a file failed verification or could not be
     *                               written or run, or when no file at all could be exported
     * @throws IOException           when the model directory cannot be read or the report cannot be written
     */
    public ExportReport run(Request request) throws IOException {
        ModelArtifact artifact = ModelArtifact.open(request.modelDirectory);
        ExportSource source = ExportSource.of(artifact);
        String weightsSha256 = artifact.weightsSha256();
        Path exportDir = artifact.exportDirectory();
        Files.createDirectories(exportDir);
        ImageSet test = request.testImages;
        if (test.height() * test.width() != artifact.spec().inputShape().size()) {
            throw new InvalidInputException("the test images are " + test.height() + "×" + test.width() + " but model "
                    + artifact.name() + " takes " + artifact.spec().inputShape().size() + " values per image");
        }
        if (test.classNames().size() != artifact.labels().size()) {
            throw new InvalidInputException("the test images have " + test.classNames().size() + " classes " + test.classNames()
                    + " but model " + artifact.name() + " has " + artifact.labels().size() + " " + artifact.labels()
                    + "; verify it on images of its own classes");
        }
        progress("Reference: " + artifact.name() + " in " + request.referenceRuntime + " on " + test.size() + " test images");
        LoadedModel model = request.reference;
        float[][] reference = predictWithProgress(model, test, "reference");
        double referenceLatency = latency(pixels -> model.predict(pixels, 1), test);
        for (ExportFormat format : request.formats) {
            // A runtime named wrongly (-Ddigits.tflite.runtime) is the user's to fix before any file is touched.
            Exporter exporter = exporters.get(format);
            if (exporter == null) continue;
            try {
                exporter.runtime();
            } catch (InvalidInputException e) {
                throw e;
            } catch (RuntimeException e) {
                // A runtime that is not installed fails its rows, saying so, without stopping the other formats.
            }
        }
        List<Row> rows = exportAll(source, artifact, request, reference);
        List<ExportManifest.Entry> entries = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            if (row.status() != Status.OK) continue;
            // Timed one file at a time, after every check: single-image latency beside another verification would
            // measure the other one too.
            row = timed(artifact, row, request);
            rows.set(i, row);
            if (row.status() == Status.OK) {
                Exporter exporter = exporters.get(row.format());
                InputLayout layout = request.options.layoutOr(exporter.defaultLayout(artifact.spec()));
                entries.add(entry(exportDir, row, request.options, layout, row.format(), row.quantization(),
                        exporter.runtime(exportDir.resolve(row.file()), request.options), test.size()));
            }
        }
        ExportReport report = new ExportReport(artifact.name(), artifact.spec().name(), Instant.now(), test.size(),
                accuracy(test, reference), referenceLatency, ExportReport.thisMachine(), rows);
        report.write(exportDir);
        writeManifest(artifact, weightsSha256, entries, test, reference);
        List<String> failures = new ArrayList<>();
        for (Row r : report.rows(Status.FAILED)) failures.add(r.format().id() + " " + r.quantization().id() + ": " + r.message());
        if (!failures.isEmpty()) {
            throw new ExportFailedException("export of " + artifact.name() + " failed (failed files were deleted; see "
                    + exportDir.resolve(ExportReport.MARKDOWN_FILE) + "):\n  " + String.join("\n  ", failures), report);
        }
        if (report.rows(Status.OK).isEmpty()) {
            List<String> reasons = new ArrayList<>();
            for (Row r : rows) reasons.add(r.format().id() + " " + r.quantization().id() + ": " + r.outcome());
            throw new ExportFailedException("nothing could be exported from " + artifact.name() + ":\n  " + String.join("\n  ", reasons), report);
        }
        return report;
    }

    /**
     * Writes {@code export/manifest.json} and the verification sample. Files exported earlier from the same weights
     * stay listed; files from other weights are stale and are deleted, so that everything under {@code export/} is
     * listed and verified against the weights beside it.
     */
    private void writeManifest(ModelArtifact artifact, String weightsSha256, List<ExportManifest.Entry> fresh, ImageSet test,
                               float[][] reference) throws IOException {
        Path exportDir = artifact.exportDirectory();
        List<ExportManifest.Entry> entries = new ArrayList<>(fresh);
        Optional<ExportManifest> before = Optional.empty();
        try {
            before = artifact.manifest();
        } catch (RuntimeException e) {
            progress("Replacing an unreadable " + ExportManifest.FILE + ": " + e.getMessage());
        }
        if (before.isPresent()) {
            for (ExportManifest.Entry old : before.get().entries()) {
                boolean replaced = fresh.stream().anyMatch(e -> e.format().equals(old.format()) && e.quantization().equals(old.quantization()));
                if (replaced) continue;
                // Files of other weights are left out, and removed once the new manifest is in place.
                if (before.get().weightsSha256().equals(weightsSha256) && partsIntact(exportDir, old)) entries.add(old);
            }
        }
        int n = Math.min(SAMPLE_IMAGES, test.size());
        int[] indices = new int[n];
        for (int i = 0; i < n; i++) indices[i] = (int) ((long) i * test.size() / n);
        ImageSet picked = test.subset(indices);
        byte[] pixels = new byte[n * test.height() * test.width()];
        int[] labels = new int[n];
        float[][] expected = new float[n][];
        for (int i = 0; i < n; i++) {
            System.arraycopy(picked.rawImage(i), 0, pixels, i * test.height() * test.width(), test.height() * test.width());
            labels[i] = picked.label(i);
            expected[i] = reference[indices[i]];
        }
        VerificationSample sample = new VerificationSample(test.height(), test.width(), pixels, labels, expected);
        ExportManifest manifest = new ExportManifest(artifact.name(), weightsSha256, Instant.now().toString(),
                ExportReport.thisMachine(), entries, sample);
        ExportManifest.write(exportDir, manifest, sample);
        removeUnlisted(exportDir, manifest);
    }

    /**
     * Deletes what the manifest does not list (exports of a version of Digits without manifests, files left by an
     * interrupted export), after the manifest is in place: whoever serves the directory accepts only listed files.
     */
    private static void removeUnlisted(Path exportDir, ExportManifest manifest) throws IOException {
        Set<String> keep = new java.util.HashSet<>(List.of(ExportManifest.FILE, VerificationSample.FILE, ExportReport.JSON_FILE,
                ExportReport.MARKDOWN_FILE));
        for (ExportManifest.Entry e : manifest.entries()) for (ExportManifest.Part p : e.parts()) keep.add(p.path());
        List<Path> all;
        try (Stream<Path> walk = Files.walk(exportDir)) {
            all = walk.sorted(Comparator.reverseOrder()).toList();
        }
        for (Path p : all) {
            if (p.equals(exportDir)) continue;
            String rel = exportDir.relativize(p).toString().replace('\\', '/');
            if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                try (Stream<Path> inside = Files.list(p)) {
                    if (inside.findAny().isEmpty()) Files.delete(p);
                }
            } else if (!keep.contains(rel)) {
                Files.delete(p);
            }
        }
    }

    private static boolean partsIntact(Path exportDir, ExportManifest.Entry e) throws IOException {
        for (ExportManifest.Part p : e.parts()) {
            Path f = exportDir.resolve(p.path());
            if (!Files.isRegularFile(f) || !Digests.sha256(f).equals(p.sha256())) return false;
        }
        return true;
    }

    /** The manifest entry of a verified row: every file it consists of with its digest. */
    private static ExportManifest.Entry entry(Path exportDir, Row row, ExportOptions options, InputLayout layout, ExportFormat format,
                                              Quantization q,
                                              String runtime, int testImages)
            throws IOException {
        List<ExportManifest.Part> parts = new ArrayList<>();
        Path main = exportDir.resolve(row.file());
        parts.add(new ExportManifest.Part(row.file(), Digests.sha256(main), Files.size(main)));
        if (format == ExportFormat.TFJS) {
            Path dir = main.getParent();
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : (Iterable<Path>) files.sorted()::iterator) {
                    if (f.equals(main) || !Files.isRegularFile(f)) continue;
                    String rel = exportDir.relativize(f).toString().replace('\\', '/');
                    parts.add(new ExportManifest.Part(rel, Digests.sha256(f), Files.size(f)));
                }
            }
        }
        return new ExportManifest.Entry(row.file(), format.id(), q.id(), layout.name(),
                options.inputType().name().toLowerCase(Locale.ROOT), parts,
                new ExportManifest.Verification(runtime, testImages, row.accuracy(), row.agreement(),
                        row.maxDifference(), row.latencyMillis()));
    }

    private static double accuracy(ImageSet test, float[][] predictions) {
        int right = 0;
        for (int i = 0; i < predictions.length; i++) if (Recognition.argmax(predictions[i]) == test.label(i)) right++;
        return predictions.length == 0 ? Double.NaN : right / (double) predictions.length;
    }

    /**
     * Exports and checks every format × quantization, {@link #threads} at a time (each check mostly runs on one
     * core: a node process, an interpreter call), in the order of the request.
     */
    private List<Row> exportAll(ExportSource source, ModelArtifact artifact, Request request, float[][] reference) throws IOException {
        List<ExportFormat> formats = new ArrayList<>();
        List<Quantization> quantizations = new ArrayList<>();
        for (ExportFormat format : request.formats) {
            for (Quantization q : request.quantizations) {
                formats.add(format);
                quantizations.add(q);
            }
        }
        int n = formats.size();
        ProgressBar bar = out == null || n == 0 ? null : new ProgressBarBuilder()
                .setTaskName("Verify " + n + (n == 1 ? " file" : " files")).setInitialMax((long) n * request.testImages.size())
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500)
                .setConsumer(new ConsoleProgressBarConsumer(out, BAR_WIDTH)).showSpeed().setUnit(" img", 1).build();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(threads, n)), r -> {
            Thread t = new Thread(r, "export-verification");
            t.setDaemon(true);
            return t;
        });
        List<Future<Row>> futures = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                ExportFormat format = formats.get(i);
                Quantization q = quantizations.get(i);
                futures.add(pool.submit(() -> {
                    Row row = exportOne(source, artifact, format, q, request, reference, bar);
                    // A row without a verified file read fewer images than the bar expected of it.
                    if (bar != null && !row.isMeasured()) addToBar(bar, -request.testImages.size());
                    return row;
                }));
            }
            List<Row> rows = new ArrayList<>();
            for (Future<Row> f : futures) rows.add(await(f));
            return rows;
        } catch (IOException | RuntimeException | Error e) {
            // Nothing more starts; what runs finishes, uninterrupted, and cleans up after itself (an interrupted
            // write would fail its file, which deletes the verified one in its place), before the error is told.
            for (Future<Row> f : futures) f.cancel(false);
            pool.shutdown();
            awaitQuietly(pool);
            throw e;
        } finally {
            pool.shutdown();
            if (bar != null) bar.close();
        }
    }

    private static void addToBar(ProgressBar bar, long images) {
        synchronized (bar) {
            bar.maxHint(bar.getMax() + images);
        }
    }

    private static void awaitQuietly(ExecutorService pool) {
        try {
            pool.awaitTermination(1, TimeUnit.HOURS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Row await(Future<Row> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while verifying the exports");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) throw io;
            if (c instanceof RuntimeException r) throw r;
            if (c instanceof Error err) throw err;
            throw new IllegalStateException(c);
        }
    }

    /** The row with the file's single-image latency, loaded again from its place; a file that no longer loads fails. */
    private Row timed(ModelArtifact artifact, Row row, Request request) throws IOException {
        Exporter exporter = exporters.get(row.format());
        Path file = artifact.exportDirectory().resolve(row.file());
        try (LoadedModel loaded = exporter.load(file, optionsFor(row.quantization(), request))) {
            return row.withLatency(latency(pixels -> loaded.predict(pixels, 1), request.testImages));
        } catch (IOException | RuntimeException e) {
            Path placed = artifact.exportDirectory().resolve(fileName(artifact.name(), row.format(), row.quantization()));
            deleteRecursively(placed);
            return Row.without(row.format(), row.quantization(), Status.FAILED, "verified, then could not be loaded again to"
                    + " time it: " + (e.getMessage() != null ? e.getMessage() : e));
        }
    }

    private static ExportOptions optionsFor(Quantization q, Request request) {
        return request.options.toBuilder().quantization(q).representative(request.calibrationImages).build();
    }

    private Row exportOne(ExportSource model, ModelArtifact md, ExportFormat format, Quantization q, Request request,
                          float[][] reference, ProgressBar bar) throws IOException {
        Exporter exporter = exporters.get(format);
        if (exporter == null) {
            String why = unavailable.getOrDefault(format, "format not available in this build (no exporter was given for it)");
            return Row.without(format, q, Status.UNSUPPORTED, why);
        }
        if (!exporter.supports(q)) {
            return Row.without(format, q, Status.SKIPPED, format.id() + " files cannot be quantized as " + q.id() + " by this exporter");
        }
        if (q == Quantization.FULL_INT8 && request.calibrationImages == null) {
            return Row.without(format, q, Status.SKIPPED, "full-integer quantization needs training images for calibration");
        }
        ExportOptions options;
        try {
            options = optionsFor(q, request);
        } catch (IllegalArgumentException | InvalidInputException e) {
            return Row.without(format, q, Status.SKIPPED, e.getMessage());
        }
        Path exportDir = md.exportDirectory();
        String finalName = fileName(md.name(), format, q);
        Path finalPath = exportDir.resolve(finalName);
        progressAbove("Exporting " + format.id() + " " + q.id() + " to " + finalPath);
        Path staging = Files.createTempDirectory(exportDir, "." + finalName + ".");
        try {
            Path file = staging.resolve(format == ExportFormat.TFJS ? "model.json" : finalName);
            exporter.export(model, options, file);
            long bytes = format == ExportFormat.TFJS ? directorySize(staging) : Files.size(file);
            float[][] actual;
            try (LoadedModel loaded = exporter.load(file, options)) {
                actual = predict(loaded, request.testImages, format.id() + " " + q.id(), bar);
            }
            Agreement a = Agreement.of(request.testImages, reference, actual);
            String shown = format == ExportFormat.TFJS ? finalName + "/model.json" : finalName;
            Optional<LoadedModel> asWritten = exporter.loadAsWritten(file, options);
            if (asWritten.isPresent()) {
                float[][] meant;
                if (bar != null) addToBar(bar, request.testImages.size());
                try (LoadedModel m = asWritten.get()) {
                    meant = predict(m, request.testImages, format.id() + " " + q.id() + " as written", bar);
                }
                Agreement k = Agreement.of(request.testImages, meant, actual);
                if (!(k.agreement >= KERNEL_AGREEMENT)) {
                    deleteRecursively(finalPath);
                    return new Row(format, q, Status.FAILED, String.format(Locale.ROOT,
                            "the runtime's integer kernels on this CPU (%s) give another top-1 class than the file's own"
                                    + " arithmetic on %.2f%% of test images (largest probability difference %.3f); the file was deleted",
                            CpuFeatures.ofThisMachine(), 100 * (1 - k.agreement), k.maxDifference),
                            null, bytes, a.accuracy, a.agreement, a.maxDifference, Double.NaN);
                }
            }
            if (q == Quantization.FLOAT32 && !(a.maxDifference <= FLOAT32_TOLERANCE)) {
                deleteRecursively(finalPath);
                return new Row(format, q, Status.FAILED, String.format(Locale.ROOT,
                        "probabilities differ from the trained model by up to %.2e (tolerance %.0e); the file was deleted",
                        a.maxDifference, FLOAT32_TOLERANCE), null, bytes, a.accuracy, a.agreement, a.maxDifference, Double.NaN);
            }
            if (format == ExportFormat.TFJS) readableByAll(staging);
            moveIntoPlace(format == ExportFormat.TFJS ? staging : file, finalPath);
            progressAbove(String.format(Locale.ROOT, "Verified %s %s: accuracy %.2f%%, agreement %.2f%%", format.id(), q.id(),
                    100 * a.accuracy, 100 * a.agreement));
            return new Row(format, q, Status.OK, "", shown, bytes, a.accuracy, a.agreement, a.maxDifference, Double.NaN);
        } catch (UnsupportedModelException e) {
            return Row.without(format, q, Status.UNSUPPORTED, e.getMessage());
        } catch (InvalidInputException e) {
            // The user's model itself is wrong (weights that do not fit the spec): no format can do better.
            deleteRecursively(finalPath);
            throw e;
        } catch (IOException | RuntimeException e) {
            // A file that could not be checked must not stay behind looking like a good one, nor an older one
            // that belongs to whatever the directory held before.
            deleteRecursively(finalPath);
            return Row.without(format, q, Status.FAILED, String.valueOf(e.getMessage() != null ? e.getMessage() : e));
        } finally {
            deleteRecursively(staging);
        }
    }

    /** {@code cnn.onnx}, {@code cnn-float16.tflite}, {@code tfjs-int8-dynamic} (a directory). */
    static String fileName(String model, ExportFormat format, Quantization q) {
        String suffix = q == Quantization.FLOAT32 ? "" : "-" + q.id();
        // The card's name may hold anything; a file name holds one path segment of plain characters.
        String stem = model.replaceAll("[^A-Za-z0-9._-]", "-").replaceAll("^[.-]+", "");
        if (stem.isEmpty()) stem = "model";
        return format == ExportFormat.TFJS ? "tfjs" + suffix : stem + suffix + "." + format.id();
    }

    private float[][] predictWithProgress(LoadedModel loaded, ImageSet test, String task) {
        ProgressBar bar = out == null ? null : new ProgressBarBuilder().setTaskName("Verify " + task).setInitialMax(test.size())
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).setConsumer(new ConsoleProgressBarConsumer(out))
                .showSpeed().setUnit(" img", 1).build();
        try {
            return predict(loaded, test, task, bar);
        } finally {
            if (bar != null) bar.close();
        }
    }

    /** Every test image through {@code loaded}, in batches, stepping {@code bar} (may be null). */
    private static float[][] predict(LoadedModel loaded, ImageSet test, String task, ProgressBar bar) {
        int size = test.height() * test.width();
        float[][] all = new float[test.size()][];
        for (int start = 0; start < test.size(); start += BATCH) {
            int n = Math.min(BATCH, test.size() - start);
            float[] pixels = new float[n * size];
            for (int i = 0; i < n; i++) test.copyScaled(start + i, pixels, i * size);
            float[][] p = loaded.predict(pixels, n);
            if (p.length != n) throw new IllegalStateException(task + " returned " + p.length + " rows for " + n + " images");
            System.arraycopy(p, 0, all, start, n);
            if (bar != null) bar.stepBy(n);
        }
        return all;
    }

    /** One image at a time, as an app calls it. */
    private interface SingleImage {
        void run(float[] pixels);
    }

    /** Mean milliseconds of one single-image run over the first {@link #latencyImages} test images, after warm-up. */
    private double latency(SingleImage model, ImageSet test) {
        int n = Math.min(latencyImages, test.size());
        for (int i = 0; i < WARM_UP_RUNS; i++) model.run(test.image(i % test.size()));
        float[][] images = new float[n][];
        for (int i = 0; i < n; i++) images[i] = test.image(i);
        long start = System.nanoTime();
        for (float[] image : images) model.run(image);
        return (System.nanoTime() - start) / 1e6 / n;
    }

    /** Test accuracy, top-1 agreement with the reference, and the largest probability difference. */
    private static final class Agreement {
        final double accuracy;
        final double agreement;
        final double maxDifference;

        private Agreement(double accuracy, double agreement, double maxDifference) {
            this.accuracy = accuracy;
            this.agreement = agreement;
            this.maxDifference = maxDifference;
        }

        static Agreement of(ImageSet test, float[][] reference, float[][] actual) {
            int same = 0;
            double max = 0;
            for (int i = 0; i < reference.length; i++) {
                if (actual[i].length != reference[i].length) {
                    throw new IllegalStateException("the file returns " + actual[i].length + " probabilities per image, the model "
                            + reference[i].length);
                }
                if (Recognition.argmax(actual[i]) == Recognition.argmax(reference[i])) same++;
                for (int j = 0; j < reference[i].length; j++) {
                    double d = Math.abs(actual[i][j] - reference[i][j]);
                    // A NaN sticks (and fails the tolerance) instead of being skipped by the comparison.
                    if (Double.isNaN(d) || d > max) max = d;
                }
            }
            return new Agreement(accuracy(test, actual), same / (double) reference.length, max);
        }
    }

    private void progress(String line) {
        if (out != null) out.println(line);
    }

    /**
     * A line while the verification's progress bar is drawn on the last line: written over the bar (which draws
     * itself again below at its next update), padded so that none of the bar shows through.
     */
    private void progressAbove(String line) {
        if (out == null) return;
        StringBuilder b = new StringBuilder(line.length() + BAR_WIDTH + 2).append('\r').append(line);
        while (b.length() <= BAR_WIDTH) b.append(' ');
        out.println(b);
    }

    /** Moves a verified file or TF.js directory to its final name, replacing what was there. */
    private static void moveIntoPlace(Path from, Path to) throws IOException {
        if (Files.isDirectory(to)) {
            // A directory cannot be replaced in one rename: move the old one aside first, drop it after.
            Path old = Files.createTempDirectory(to.getParent(), "." + to.getFileName() + ".old.");
            Files.delete(old);
            Files.move(to, old, StandardCopyOption.ATOMIC_MOVE);
            move(from, to);
            deleteRecursively(old);
        } else {
            move(from, to);
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** A temporary directory is its owner's only; a TF.js export is served and downloaded like every other file. */
    private static void readableByAll(Path dir) throws IOException {
        try {
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: its default permissions apply.
        }
    }

    private static long directorySize(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            long total = 0;
            for (Path p : (Iterable<Path>) files::iterator) if (Files.isRegularFile(p)) total += Files.size(p);
            return total;
        }
    }

    private static void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) return;
        try (Stream<Path> all = Files.walk(path)) {
            for (Path p : (Iterable<Path>) all.sorted(Comparator.reverseOrder())::iterator) Files.deleteIfExists(p);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
