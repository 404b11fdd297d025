package dev.digits.core.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The model zoo: architectures by name, each one JSON description shipped in this library (and readable as a
 * template for one's own). A name that is not in the zoo but is an existing {@code .json} file is read as a spec.
 */
public final class Architectures {
    /** Names in the zoo, in the order a user would meet them. */
    public static final List<String> NAMES = List.of("mlp", "mlp512", "cnn", "convnet", "resnet", "resnet14", "resnet20");

    private Architectures() {
    }

    /**
     * A zoo architecture by name, or a user's spec file by path.
     *
     * @throws ModelSpecException naming the known architectures when {@code nameOrFile} is neither
     */
    public static ModelSpec get(String nameOrFile) {
        if (NAMES.contains(nameOrFile)) {
            try (InputStream in = Architectures.class.getResourceAsStream("zoo/" + nameOrFile + ".json")) {
                return ModelSpec.read(in);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        Path file = Path.of(nameOrFile);
        if (nameOrFile.endsWith(".json") || Files.exists(file)) {
            try {
                return ModelSpec.read(file);
            } catch (IOException e) {
                throw new ModelSpecException("cannot read architecture file " + file + ": " + e.getMessage());
            }
        }
        throw new ModelSpecException("unknown model '" + nameOrFile + "'; choose one of " + String.join(", ", NAMES)
                + " or give the path of an architecture .json file");
    }
}
