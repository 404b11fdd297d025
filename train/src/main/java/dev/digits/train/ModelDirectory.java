package dev.digits.train;

import dev.digits.core.json.Json;
import dev.digits.core.model.ModelSpec;
import dev.digits.core.model.ModelSpecException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The directory a training run writes and every later step reads:
 * <pre>
 *   spec.json              the architecture
 *   weights.safetensors    the trained weights (spec parameter names, PyTorch layouts)
 *   model-card.json        provenance and metrics: architecture, parameters, data checksums, seed, versions, labels
 *   history.csv            loss and accuracy per epoch
 *   training-curves.png, confusion-matrix.png, misclassified.png
 *   checkpoints/           one weights file per epoch and the state to resume from
 *   export/                files written by {@code digits export}
 * </pre>
 */
public final class ModelDirectory {
    private final Path dir;
    private final ModelSpec spec;
    private final Map<String, Object> card;

    private ModelDirectory(Path dir, ModelSpec spec, Map<String, Object> card) {
        this.dir = dir;
        this.spec = spec;
        this.card = card;
    }

    /**
     * Opens a model directory, checking that it holds an architecture and weights.
     *
     * @throws ModelDirectoryException naming what is missing and how to get it
     */
    public static ModelDirectory open(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new ModelDirectoryException("model directory " + dir + " does not exist; train one with `digits train --model cnn --output " + dir + "`");
        }
        Path specFile = dir.resolve(TrainedModel.SPEC_FILE);
        if (!Files.isRegularFile(specFile) || !Files.isRegularFile(dir.resolve(TrainedModel.WEIGHTS_FILE))) {
            throw new ModelDirectoryException(dir + " is not a Digits model directory (it needs " + TrainedModel.SPEC_FILE + " and "
                    + TrainedModel.WEIGHTS_FILE + "); train one with `digits train`");
        }
        ModelSpec spec;
        try {
            spec = ModelSpec.read(specFile);
        } catch (ModelSpecException e) {
            throw new ModelDirectoryException(e.getMessage());
        }
        Map<String, Object> card = Collections.emptyMap();
        Path cardFile = dir.resolve(TrainedModel.CARD_FILE);
        if (Files.isRegularFile(cardFile)) {
            try {
                card = Json.parseObject(Files.readString(cardFile, StandardCharsets.UTF_8));
            } catch (IllegalArgumentException e) {
                throw new ModelDirectoryException(cardFile + " is not valid JSON: " + e.getMessage());
            }
        }
        return new ModelDirectory(dir, spec, card);
    }

    public Path path() {
        return dir;
    }

    public ModelSpec spec() {
        return spec;
    }

    /** The model card as read (empty when the directory has none). */
    public Map<String, Object> card() {
        return card;
    }

    /** The model's name: the directory name. */
    public String name() {
        Path f = dir.toAbsolutePath().normalize().getFileName();
        return f == null ? spec.name() : f.toString();
    }

    /** Class names from the model card, else "0".."n-1". */
    public List<String> labels() {
        Object l = card.get("labels");
        List<String> out = new ArrayList<>();
        if (l instanceof List) {
            for (Object o : (List<?>) l) out.add(String.valueOf(o));
            if (out.size() == spec.classes()) return out;
        }
        out.clear();
        for (int i = 0; i < spec.classes(); i++) out.add(Integer.toString(i));
        return out;
    }

    public Path weightsFile() {
        return dir.resolve(TrainedModel.WEIGHTS_FILE);
    }

    /** Where exports go. */
    public Path exportDirectory() {
        return dir.resolve("export");
    }
}
