package dev.digits.serve.registry;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where the server's changes to its models go: the models directory itself ({@link ModelRegistry}) on one machine,
 * or a registry shared by replicas ({@link SharedRegistry}), which then brings every replica's directory along.
 */
public interface RegistryWriter {
    /**
     * Adds the model directory {@code staging} as the next version of {@code name}; a new model's first version
     * becomes its latest.
     */
    StoredVersion commit(String name, Path staging) throws IOException;

    /** Makes {@code version} the latest of {@code name}. */
    StoredModel activate(String name, int version) throws IOException;
}
