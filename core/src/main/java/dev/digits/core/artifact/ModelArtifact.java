package dev.digits.core.artifact;

import dev.digits.core.error.InvalidInputException;
import dev.digits.core.error.NotFoundException;
import dev.digits.core.error.VerificationFailedException;
import dev.digits.core.model.ModelSpec;
import dev.digits.core.model.ModelSpecException;
import dev.digits.core.model.SafeTensors;
import dev.digits.core.model.Tensor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A model directory: the one artifact every stage reads and writes, engine-free. Training writes it, exporters read
 * its spec, tensors and labels and add to its {@code export/}, the server runs the files its manifest lists, and the
 * apps download them.
 * <pre>
 *   spec.json              the architecture ({@link ModelSpec})
 *   weights.safetensors    the weights (spec parameter names, PyTorch layouts)
 *   model-card.json        the {@link ModelCard}: input contract, labels, provenance, metrics, weights digest
 *   export/manifest.json   the {@link ExportManifest}: every verified export file
 *   export/verification-images.idx   the {@link VerificationSample}'s images
 * </pre>
 */
public final class ModelArtifact {
    /** Architecture file. */
    public static final String SPEC_FILE = "spec.json";
    /** Weights file (safetensors). */
    public static final String WEIGHTS_FILE = "weights.safetensors";
    /** Model card file. */
    public static final String CARD_FILE = "model-card.json";
    /** Directory of exported files. */
    public static final String EXPORT_DIR = "export";

    private final Path dir;
    private final ModelSpec spec;
    private final ModelCard card;

    private ModelArtifact(Path dir, ModelSpec spec, ModelCard card) {
        this.dir = dir;
        this.spec = spec;
        this.card = card;
    }

    /**
     * Opens the model directory {@code dir}: its spec and card (a directory without a card gets the MNIST contract
     * and digit labels). Weights are read only when asked for.
     *
     * @throws NotFoundException     when there is no such directory
     * @throws InvalidInputException when it is not a model directory or a file in it cannot be read
     */
    public static ModelArtifact open(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NotFoundException("model directory " + dir + " does not exist; train one with `digits train --model cnn --output "
                    + dir + "`");
        }
        Path specFile = dir.resolve(SPEC_FILE);
        if (!Files.isRegularFile(specFile) || !Files.isRegularFile(dir.resolve(WEIGHTS_FILE))) {
            throw new InvalidInputException(dir + " is not a Digits model directory (it needs " + SPEC_FILE + " and " + WEIGHTS_FILE
                    + "); train one with `digits train`");
        }
        ModelSpec spec;
        try {
            spec = ModelSpec.read(specFile);
        } catch (ModelSpecException e) {
            throw new InvalidInputException(e.getMessage(), e);
        }
        Path cardFile = dir.resolve(CARD_FILE);
        ModelCard card = Files.isRegularFile(cardFile) ? ModelCard.read(cardFile, spec) : ModelCard.builder(spec).build();
        return new ModelArtifact(dir, spec, card);
    }

    public Path path() {
        return dir;
    }

    /** The model's name: the card's, which is the directory's when training named it so. */
    public String name() {
        return card.name();
    }

    public ModelSpec spec() {
        return spec;
    }

    public ModelCard card() {
        return card;
    }

    /** Class names, index = output position. */
    public List<String> labels() {
        return card.labels();
    }

    public InputContract input() {
        return card.input();
    }

    public Path weightsFile() {
        return dir.resolve(WEIGHTS_FILE);
    }

    public Path exportDirectory() {
        return dir.resolve(EXPORT_DIR);
    }

    /** SHA-256 of the weights file as it is now. */
    public String weightsSha256() throws IOException {
        return Digests.sha256(weightsFile());
    }

    /**
     * The weights by spec parameter name, after checking the file against the card's digest when it records one.
     *
     * @throws VerificationFailedException when the weights are not the ones the card describes
     */
    public Map<String, Tensor> tensors() throws IOException {
        String recorded = card.weightsSha256();
        if (recorded != null) {
            String actual = weightsSha256();
            if (!actual.equals(recorded)) {
                throw new VerificationFailedException(weightsFile() + " has sha256 " + actual + " but the model card records "
                        + recorded + "; the weights were changed after training");
            }
        }
        try {
            return SafeTensors.read(weightsFile());
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(e.getMessage(), e);
        }
    }

    /** The export manifest, when the model was exported. */
    public Optional<ExportManifest> manifest() throws IOException {
        return ExportManifest.readIfPresent(exportDirectory());
    }
}
