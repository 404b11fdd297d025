package dev.digits.serve.inference;

import dev.digits.core.recognition.Recognition;
import dev.digits.core.artifact.Digests;
import dev.digits.core.artifact.ExportManifest;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.artifact.VerificationSample;
import dev.digits.core.error.InvalidInputException;
import dev.digits.core.error.VerificationFailedException;
import dev.digits.core.model.SafeTensors;
import dev.digits.core.model.Shape;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Locale;

/**
 * Opens a model version for serving: the float32 ONNX file its export manifest ({@code export/manifest.json}, written
 * by {@code digits export}) lists, and nothing else — no conversion, no fallback. Before the file is accepted:
 * <ol>
 * <li>the manifest, the model card and {@code weights.safetensors} must name the same weights (SHA-256);</li>
 * <li>{@code export/} must hold exactly the files the manifest lists, each with its recorded SHA-256
 *     ({@link ExportManifest#checkFiles}; the export reports may sit beside them);</li>
 * <li>the ONNX file's own {@code weights_sha256} metadata, when it has one, must name the card's weights;</li>
 * <li>its input contract (layout, element type) must be the manifest entry's;</li>
 * <li>run in this process's ONNX Runtime on the manifest's verification sample, every probability must be within
 *     {@value #TOLERANCE} of what the trained weights gave, and every top class the same.</li>
 * </ol>
 * Any failure is a {@link VerificationFailedException} or {@link InvalidInputException} naming the file and the fix.
 * The bytes that were hashed are the bytes ONNX Runtime loads, so the SHA-256 reported for the served file is exactly
 * what runs.
 */
final class VersionLoader {
    /** Largest probability difference from the trained weights accepted on the verification sample. */
    static final double TOLERANCE = 1e-4;
    /** Files that may sit in {@code export/} without being listed in the manifest (besides the manifest and sample). */
    static final List<String> ALSO_ALLOWED = List.of("report.json", "report.md");
    /** What runs the served file. */
    static final String RUNTIME = "onnxruntime";

    private VersionLoader() {
    }

    /** A version ready to serve. */
    static final class Loaded {
        final ModelArtifact artifact;
        final OnnxSessionModel model;
        final ServedFile file;

        Loaded(ModelArtifact artifact, OnnxSessionModel model, ServedFile file) {
            this.artifact = artifact;
            this.model = model;
            this.file = file;
        }
    }

    /**
     * Opens, checks and loads the model directory {@code dir}.
     *
     * @param shownAs       how to name the directory in the fix a message suggests (its path for an operator's
     *                      directory, {@code DIR} for an upload, whose server path is nobody's business)
     * @param modelsShownAs how to name the directory of models {@code digits serve --models} would be given
     */
    static Loaded load(Path dir, String shownAs, String modelsShownAs) throws IOException {
        return load(dir, shownAs, modelsShownAs, Digests::sha256);
    }

    /**
     * {@link #load(Path, String, String)} with the digests of the export's files taken from {@code digest} (those a
     * registry took when it read the version). The served ONNX file is hashed here regardless: its SHA-256 is taken
     * of the very bytes ONNX Runtime loads.
     */
    static Loaded load(Path dir, String shownAs, String modelsShownAs, Digests.FileDigest digest) throws IOException {
        ModelArtifact artifact = ModelArtifact.open(dir);
        String name = artifact.name();
        checkInput(artifact);
        ExportManifest manifest = artifact.manifest().orElseThrow(() -> noExport(name, shownAs, modelsShownAs));
        String weights = artifact.weightsSha256();
        String card = artifact.card().weightsSha256();
        if (card == null) {
            throw new VerificationFailedException("model-card.json records no weightsSha256, so nothing ties the export to "
                    + "the weights; train the model again with this version of Digits, then `digits export` it");
        }
        if (!card.equalsIgnoreCase(weights)) {
            throw new VerificationFailedException("weights.safetensors has SHA-256 " + weights + " but model-card.json "
                    + "records " + card + ": the weights were changed after training, or the files do not belong together");
        }
        if (!manifest.weightsSha256().equalsIgnoreCase(weights)) {
            throw new VerificationFailedException("export/" + ExportManifest.FILE + " was verified against weights with "
                    + "SHA-256 " + manifest.weightsSha256() + ", but weights.safetensors has SHA-256 " + weights
                    + ": the export belongs to other weights; run `digits export " + shownAs + " --format onnx` again");
        }
        checkWeightsFitSpec(artifact);
        Path exportDir = artifact.exportDirectory();
        manifest.checkFiles(exportDir, ALSO_ALLOWED, digest);
        ExportManifest.Entry entry = manifest.entry("onnx", "float32").orElseThrow(() -> noExport(name, shownAs, modelsShownAs));
        String path = ModelArtifact.EXPORT_DIR + "/" + entry.path();
        byte[] bytes = Files.readAllBytes(exportDir.resolve(entry.path()));
        String sha = Digests.sha256(bytes);
        if (!sha.equals(entry.sha256())) {
            throw new VerificationFailedException(path + " has sha256 " + sha + ", the manifest says " + entry.sha256()
                    + "; the file was changed after it was verified");
        }
        OnnxSessionModel model = OnnxSessionModel.open(bytes, path);
        try {
            String recorded = model.metadata().get("weights_sha256");
            if (recorded != null && !recorded.equalsIgnoreCase(card)) {
                throw new VerificationFailedException(path + " was exported from weights with SHA-256 " + recorded
                        + " (its weights_sha256 metadata), but model-card.json records " + card
                        + ": the file belongs to another model");
            }
            checkContract(model, entry, path);
            checkSample(model, manifest.sample(exportDir), path, artifact.labels().size());
            return new Loaded(artifact, model, new ServedFile(path, sha, RUNTIME, model.inputName(),
                    boxed(model.inputShape()), model.outputName(), boxed(model.outputShape())));
        } catch (IOException | RuntimeException e) {
            model.close();
            throw e;
        }
    }

    /**
     * The weights file must hold exactly the tensors the spec describes, with the spec's shapes — read from its
     * header, without loading the data — so that the catalogue never shows a spec (layer sizes, parameter count) that
     * the weights do not have.
     */
    private static void checkWeightsFitSpec(ModelArtifact artifact) throws IOException {
        Map<String, long[]> held = SafeTensors.shapes(artifact.path().resolve(ModelArtifact.WEIGHTS_FILE));
        Map<String, long[]> needed = artifact.spec().parameters();
        for (Map.Entry<String, long[]> e : needed.entrySet()) {
            long[] h = held.get(e.getKey());
            if (h == null) {
                throw new InvalidInputException("spec.json needs tensor " + e.getKey() + ", which weights.safetensors "
                        + "lacks: the files do not belong together");
            }
            if (!Arrays.equals(h, e.getValue())) {
                throw new InvalidInputException("weights.safetensors holds " + e.getKey() + " as " + Arrays.toString(h)
                        + " but spec.json needs " + Arrays.toString(e.getValue()) + ": the files do not belong together");
            }
        }
        for (String name : held.keySet()) {
            if (!needed.containsKey(name)) {
                throw new InvalidInputException("weights.safetensors holds tensor " + name + ", for which spec.json has no "
                        + "place: the files do not belong together");
            }
        }
    }

    private static List<Long> boxed(long[] shape) {
        List<Long> out = new java.util.ArrayList<>(shape.length);
        for (long d : shape) out.add(d);
        return out;
    }

    private static InvalidInputException noExport(String name, String shownAs, String modelsShownAs) {
        return new InvalidInputException("model " + name + " has no verified ONNX export; run `digits export " + shownAs
                + " --format onnx` (or `digits serve --models " + modelsShownAs + "`, which exports first)");
    }

    /** The server classifies 28×28 grey images (784 values). */
    private static void checkInput(ModelArtifact artifact) {
        Shape in = artifact.spec().inputShape();
        if (in.size() != 28 * 28) {
            throw new InvalidInputException("the model takes " + in + " inputs; the server classifies 28×28 images (784 values)");
        }
    }

    private static void checkContract(OnnxSessionModel model, ExportManifest.Entry entry, String path) {
        if (model.inputSize() != 28 * 28) {
            throw new VerificationFailedException(path + " takes " + model.inputSize() + " values per image; the server "
                    + "classifies 28×28 images (784 values)");
        }
        // "default" is the exporter's default layout, which for ONNX is NCHW (as PyTorch).
        String layout = entry.inputLayout().equalsIgnoreCase("default") ? "NCHW" : entry.inputLayout();
        if (!model.layout().equalsIgnoreCase(layout) || !model.inputType().equalsIgnoreCase(entry.inputType())) {
            throw new VerificationFailedException(path + " takes " + model.layout() + " " + model.inputType()
                    + " input, but the manifest lists it as " + entry.inputLayout() + " "
                    + entry.inputType().toLowerCase(Locale.ROOT) + ": the file is not the one that was verified");
        }
    }

    private static void checkSample(OnnxSessionModel model, VerificationSample sample, String path, int classes) {
        int n = sample.size();
        if (n == 0) {
            throw new VerificationFailedException("the export's verification sample holds no images; export the model again");
        }
        if (sample.height() * sample.width() != model.inputSize()) {
            throw new VerificationFailedException(VerificationSample.FILE + " holds " + sample.height() + "×" + sample.width()
                    + " images but " + path + " takes " + model.inputSize() + " values per image");
        }
        float[][] out;
        try {
            out = model.predict(sample.pixels(), n);
        } catch (RuntimeException e) {
            throw new VerificationFailedException(path + " failed to run in ONNX Runtime: " + e.getMessage(), e);
        }
        double maxDifference = 0;
        int agree = 0;
        for (int i = 0; i < n; i++) {
            float[] expected = sample.expected(i);
            float[] actual = out[i];
            if (actual.length != expected.length || actual.length != classes) {
                throw new VerificationFailedException(path + " answers " + actual.length + " probabilities per image; the "
                        + "trained model gives " + expected.length + " (model-card.json lists " + classes + " labels)");
            }
            for (int k = 0; k < actual.length; k++) {
                double d = Math.abs((double) actual[k] - expected[k]);
                if (!(d <= maxDifference)) maxDifference = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
            }
            if (Recognition.argmax(actual) == Recognition.argmax(expected)) agree++;
        }
        if (maxDifference > TOLERANCE || agree != n) {
            throw new VerificationFailedException(String.format(Locale.ROOT, "%s does not compute what was verified: on the"
                    + " %d images of export/%s its probabilities in ONNX Runtime differ from the trained weights' by up"
                    + " to %.3g (at most %.0e allowed) and its top class agrees on %d of them; it is not the file"
                    + " `digits export` verified for these weights", path, n, VerificationSample.FILE, maxDifference,
                    TOLERANCE, agree));
        }
    }
}
