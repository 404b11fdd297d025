package dev.digits.convert.importer;

import dev.digits.convert.ExportSource;
import dev.digits.convert.LoadedModel;
import dev.digits.convert.onnx.OnnxRuntimeModel;
import dev.digits.core.artifact.Digests;
import dev.digits.core.artifact.ImportSource;
import dev.digits.core.artifact.InputContract;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.artifact.ModelCard;
import dev.digits.core.data.ImageSet;
import dev.digits.core.error.InvalidInputException;
import dev.digits.core.error.VerificationFailedException;
import dev.digits.core.io.AtomicFiles;
import dev.digits.core.model.ModelSpec;
import dev.digits.core.model.SafeTensors;
import dev.digits.core.recognition.DigitCheck;
import dev.digits.core.recognition.Recognition;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * Imports a model trained elsewhere — ONNX, a TF.js LayersModel, Keras or TFLite — as a Digits model directory:
 * translates it into the spec and weights every Digits stage reads, finds the input contract it expects (or takes
 * the one given), puts that contract into the network as a rescale layer, checks the result against the original
 * file in the file's own runtime where there is one, and records where it came from in the card.
 * <pre>
 *   Analysis a = ModelImporter.analyse(file, "mnist", null, testImages, System.out::println);
 *   a.write(Path.of("models/mnist"), metrics, false);
 * </pre>
 */
public final class ModelImporter {
    /** Largest difference of any probability between the imported network and the original file. */
    public static final double TOLERANCE = 1e-4;

    private ModelImporter() {
    }

    /** What an import found, before anything is written. */
    public static final class Analysis {
        private final ModelSpec spec;
        private final Map<String, dev.digits.core.model.Tensor> weights;
        private final ImportSource source;
        private final float[][] probabilities;
        private final double accuracy;

        Analysis(ModelSpec spec, Map<String, dev.digits.core.model.Tensor> weights, ImportSource source, float[][] probabilities,
                 double accuracy) {
            this.spec = spec;
            this.weights = weights;
            this.source = source;
            this.probabilities = probabilities;
            this.accuracy = accuracy;
        }

        public ModelSpec spec() {
            return spec;
        }

        public ImportSource source() {
            return source;
        }

        /** The imported network's weights (spec names, PyTorch layouts). */
        public Map<String, dev.digits.core.model.Tensor> weights() {
            return weights;
        }

        /** The imported network's probabilities on every test image given to {@link #analyse}. */
        public float[][] probabilities() {
            return probabilities;
        }

        /** Top-1 accuracy on the test images. */
        public double accuracy() {
            return accuracy;
        }

        /**
         * Writes the model directory {@code dir} at once: it is assembled beside {@code dir} and moved into place, so a
         * failed import leaves nothing behind.
         *
         * @param replace whether an existing {@code dir} may be replaced
         */
        public ModelArtifact write(Path dir, ModelCard.Metrics metrics, boolean replace) throws IOException {
            return write(dir, metrics, DigitCheck.NONE, null, replace);
        }

        /**
         * As {@link #write(Path, ModelCard.Metrics, boolean)}, the card with a digit check fitted for the imported
         * network, so that the server, the browser and the Android app answer "not a digit" for it as for Digits' own.
         *
         * @param fit how the check was fitted, recorded in the card ({@code training.digitCheckFit}); null with
         *            {@link DigitCheck#NONE}
         */
        public ModelArtifact write(Path dir, ModelCard.Metrics metrics, DigitCheck check, String fit, boolean replace)
                throws IOException {
            Path target = dir.toAbsolutePath().normalize();
            checkTarget(target, replace);
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempDirectory(target.getParent(), "." + target.getFileName() + ".import-");
            try {
                AtomicFiles.writeString(tmp.resolve(ModelArtifact.SPEC_FILE), spec.toJson());
                SafeTensors.write(tmp.resolve(ModelArtifact.WEIGHTS_FILE), weights, Map.of("format", "digits", "architecture", spec.name()));
                ModelCard card = ModelCard.builder(spec)
                        .description("imported from " + source.file() + " (" + source.format() + ", " + source.producer() + ")")
                        .weightsSha256(Digests.sha256(tmp.resolve(ModelArtifact.WEIGHTS_FILE)))
                        .metrics(metrics == null ? ModelCard.Metrics.none() : metrics)
                        .provenance(provenance())
                        .source(source)
                        .digitCheck(check)
                        .training(fit == null ? Map.of() : Map.of("digitCheckFit", fit))
                        .build();
                card.write(tmp.resolve(ModelArtifact.CARD_FILE));
                Path old = null;
                if (Files.exists(target)) {
                    old = target.resolveSibling("." + target.getFileName() + ".replaced-" + System.nanoTime());
                    Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                }
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                if (old != null) deleteTree(old);
            } finally {
                if (Files.exists(tmp)) deleteTree(tmp);
            }
            return ModelArtifact.open(target);
        }

        private static Map<String, Object> provenance() {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("digits", dev.digits.core.artifact.DigitsVersion.current());
            p.put("java", System.getProperty("java.version"));
            p.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
            return p;
        }
    }

    /**
     * Refuses, before any work, to overwrite a directory that is not to be replaced.
     *
     * @throws InvalidInputException when {@code dir} exists and {@code replace} is false
     */
    public static void checkTarget(Path dir, boolean replace) throws IOException {
        if (!Files.exists(dir)) return;
        boolean empty = Files.isDirectory(dir);
        if (empty) {
            try (Stream<Path> s = Files.list(dir)) {
                empty = s.findAny().isEmpty();
            }
        }
        if (!empty && !replace) {
            throw new InvalidInputException(dir + " already exists; choose another --output or add --force to replace it");
        }
        if (!Files.isDirectory(dir)) throw new InvalidInputException(dir + " is a file; choose another --output");
    }

    /**
     * Reads {@code file}, finds or applies its input contract, and checks the imported network against the file.
     *
     * @param name  the imported model's name
     * @param given the input contract to use instead of searching for one (null: search)
     * @param test  labelled 28×28 digits (the MNIST test set): the search runs on a spread of them, the check and the
     *              accuracy on all of them
     * @param log   progress lines for the user
     * @throws ImportException             for a model using something Digits cannot express
     * @throws InvalidInputException       for a file that cannot be read
     * @throws VerificationFailedException when the imported network does not answer what the file answers
     */
    public static Analysis analyse(Path file, String name, InputContract given, ImageSet test, Consumer<String> log) throws IOException {
        SourceFormat format = SourceFormat.of(file);
        Source src = read(file, format, name, log);
        ImportedNetwork imported = src.network();
        if (imported.network().spec().classes() != 10) {
            throw new ImportException(file.getFileName() + " answers " + imported.network().spec().classes() + " classes; Digits imports"
                    + " digit classifiers with 10 outputs (labels 0–9)");
        }
        log.accept("Read " + file.getFileName() + " (" + format.id() + ", " + src.producer() + "): "
                + imported.network().spec().layers().size() + " layers, " + imported.network().spec().parameterCount() + " parameters,"
                + " input " + imported.input().describe() + ", answers " + imported.outputs());

        ImageSet spread = spread(test, ContractSearch.IMAGES);
        List<ContractSearch.Trial> trials;
        try (LoadedModel raw = OnnxRuntimeModel.of(ExportSource.of(imported.network().spec(), imported.network().weights(),
                ImageSet.digitClasses()))) {
            trials = ContractSearch.run(raw, spread, ContractSearch.candidates());
            if (given != null && trials.stream().noneMatch(t -> t.contract().equals(given))) {
                trials = new ArrayList<>(trials);
                trials.addAll(ContractSearch.run(raw, spread, List.of(given)));
            }
        }
        ContractSearch.Trial best = ContractSearch.best(trials);
        InputContract chosen = given != null ? given : best.contract();
        log.accept("Input contracts tried on " + spread.size() + " MNIST test digits (chosen: the lowest loss):");
        log.accept(String.format(Locale.ROOT, "    %-48s %8s %7s", "input", "accuracy", "loss"));
        List<Map<String, Object>> table = new ArrayList<>();
        for (ContractSearch.Trial t : trials) {
            boolean mark = t.contract().equals(chosen);
            log.accept(String.format(Locale.ROOT, "  %s %-48s %7.2f%% %7.4f", mark ? "→" : " ", ContractSearch.describe(t.contract()),
                    100 * t.accuracy(), t.loss()));
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("input", ContractSearch.describe(t.contract()));
            row.put("accuracy", Math.round(t.accuracy() * 10000) / 10000.0);
            row.put("loss", Math.round(t.loss() * 10000) / 10000.0);
            table.add(row);
        }
        if (given == null && best.accuracy() < 0.5) {
            log.accept("Warning: no contract gives even 50% on MNIST digits; this may not be an MNIST digit model.");
        }
        double[] a = ContractSearch.affine(chosen);
        NetworkBuilder.Network net = imported.network().withInputRescale(a[0], a[1]);

        // The imported network on every test image, and the original file on the same images in its own runtime.
        float[] pixels = pixels(test);
        float[][] ours;
        try (LoadedModel m = OnnxRuntimeModel.of(ExportSource.of(net.spec(), net.weights(), ImageSet.digitClasses()))) {
            ours = m.predict(pixels, test.size());
        }
        double accuracy = ContractSearch.accuracy(ours, test);
        Map<String, Object> verification = new LinkedHashMap<>();
        if (src.runtime() != null) {
            float[] fed = new float[pixels.length];
            for (int i = 0; i < pixels.length; i++) fed[i] = (float) (a[0] * pixels[i] + a[1]);
            float[][] theirs = src.runtime().run(fed, test.size());
            if (!imported.outputs().equals("probabilities")) for (float[] row : theirs) softmaxInPlace(row);
            double worst = 0;
            int at = -1;
            int agree = 0;
            for (int i = 0; i < ours.length; i++) {
                if (Recognition.argmax(ours[i]) == Recognition.argmax(theirs[i])) agree++;
                for (int k = 0; k < ours[i].length; k++) {
                    double d = Math.abs(ours[i][k] - theirs[i][k]);
                    if (d > worst || Double.isNaN(d)) {
                        worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
                        at = i;
                    }
                }
            }
            double agreement = (double) agree / ours.length;
            verification.put("runtime", src.runtime().name());
            verification.put("images", test.size());
            verification.put("maxProbabilityDifference", worst);
            verification.put("agreement", agreement);
            if (src.exact()) {
                verification.put("tolerance", TOLERANCE);
                log.accept(String.format(Locale.ROOT, "Checked against %s in %s on %d test images: largest probability difference %.2e"
                        + " (tolerance %.0e)", file.getFileName(), src.runtime().name(), test.size(), worst, TOLERANCE));
            } else {
                verification.put("minAgreement", MIN_AGREEMENT);
                log.accept(String.format(Locale.ROOT, "Checked against %s in %s on %d test images: the same digit for %.2f%%"
                        + " (at least %.0f%%: its int8 kernels quantize activations as they run), largest probability difference %.2e",
                        file.getFileName(), src.runtime().name(), test.size(), 100 * agreement, 100 * MIN_AGREEMENT, worst));
            }
            boolean ok = src.exact() ? worst <= TOLERANCE : agreement >= MIN_AGREEMENT;
            if (!ok) {
                throw new VerificationFailedException("the imported network differs from " + file.getFileName() + " in "
                        + src.runtime().name() + (src.exact() ? " by " + worst + " (test image " + at + "; tolerance " + TOLERANCE + ")"
                        : ": the same digit for only " + agreement) + "; nothing was written. This is a bug in Digits' importer"
                        + " for this file: please report it.");
            }
        } else {
            String why = format == SourceFormat.TFLITE ? "neither LiteRT nor the TFLite interpreter here can load it (operator versions newer than they know)"
                    : format == SourceFormat.KERAS || format == SourceFormat.KERAS_H5
                    ? "Digits reads Keras files without Keras, and no Keras or TensorFlow runs here"
                    : "no " + format.id() + " runtime runs here";
            verification.put("runtime", "none");
            verification.put("reason", why);
            log.accept("Not checked against the file itself: " + why + ". The import is checked by its accuracy, and every export"
                    + " against the others as always.");
        }
        log.accept(String.format(Locale.ROOT, "Accuracy on the %d MNIST test images: %.2f%%", test.size(), 100 * accuracy));
        ImportSource source = new ImportSource(file.getFileName().toString(), src.sha256(), format.id(), src.producer(),
                imported.input().name() + " " + imported.input().describe(), chosen, given != null ? "given" : "detected",
                imported.outputs(), table, verification);
        return new Analysis(net.spec(), net.weights(), source, ours, accuracy);
    }

    /**
     * A read file: its translation, producer, digest and, where one runs here, its own runtime.
     *
     * @param exact whether the runtime computes what the translated network computes (false for kernels that
     *              quantize activations as they run: then the check is top-1 agreement, {@link #MIN_AGREEMENT})
     */
    record Source(ImportedNetwork network, String producer, String sha256, SourceRuntime runtime, boolean exact) {
        Source(ImportedNetwork network, String producer, String sha256, SourceRuntime runtime) {
            this(network, producer, sha256, runtime, true);
        }
    }

    /**
     * Top-1 agreement with the original required where its runtime quantizes activations on the fly: measured 99.1%
     * for a dynamic-range TFLite file on an AVX2 machine, with room for other CPUs' integer kernels; a translation
     * mistake (a layout, a transposed kernel) agrees on far fewer.
     */
    public static final double MIN_AGREEMENT = 0.97;

    private static Source read(Path file, SourceFormat format, String name, Consumer<String> log) throws IOException {
        switch (format) {
            case TFJS:
                return TfjsModelReader.read(file, name, log);
            case ONNX: {
                var model = OnnxGraphReader.parse(file);
                ImportedNetwork net = OnnxGraphReader.read(file, model, name);
                return new Source(net, OnnxGraphReader.producer(model), Digests.sha256(file), SourceRuntime.onnx(file, net.input()));
            }
            case TFLITE: {
                byte[] bytes = Files.readAllBytes(file);
                var model = TfliteGraphReader.parse(bytes, file.toString());
                ImportedNetwork net = TfliteGraphReader.read(model, name, file.getFileName().toString());
                String described = model.description() == null || model.description().isBlank() ? "TFLite" : model.description();
                return new Source(net, described + " (" + TfliteGraphReader.versions(model) + ")", Digests.sha256(bytes),
                        SourceRuntime.tflite(file), !TfliteGraphReader.hasInt8Weights(model));
            }
            case KERAS_H5:
                return KerasFileReader.readH5(file, name, log);
            case KERAS:
                return KerasFileReader.readKeras(file, name, log);
            default:
                throw new ImportException(file.getFileName() + " is a " + format.id() + " file; Digits imports ONNX, TFLite, TF.js"
                        + " LayersModel and Keras (.h5, .keras) files");
        }
    }

    /** Every {@code step}-th image, so that each class appears as often as in the whole set. */
    static ImageSet spread(ImageSet set, int n) {
        if (set.size() <= n) return set;
        int[] idx = new int[n];
        double step = (double) set.size() / n;
        for (int i = 0; i < n; i++) idx[i] = (int) (i * step);
        return set.subset(idx);
    }

    static float[] pixels(ImageSet set) {
        int size = set.height() * set.width();
        float[] out = new float[set.size() * size];
        for (int i = 0; i < set.size(); i++) set.copyScaled(i, out, i * size);
        return out;
    }

    static void softmaxInPlace(float[] row) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : row) max = Math.max(max, v);
        double sum = 0;
        double[] e = new double[row.length];
        for (int i = 0; i < row.length; i++) {
            e[i] = Math.exp(row[i] - max);
            sum += e[i];
        }
        for (int i = 0; i < row.length; i++) row[i] = (float) (e[i] / sum);
    }

    static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
