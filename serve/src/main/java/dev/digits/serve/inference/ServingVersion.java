package dev.digits.serve.inference;

import dev.digits.serve.registry.StoredVersion;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * A model version loaded and ready to classify. Reference-counted: the {@link ModelService} holds one reference
 * while the version is loaded and every request holds one while it runs, so a version that is swapped out or
 * unloaded keeps answering the requests already using it and is closed only after the last one is done.
 */
public final class ServingVersion {
    private final StoredVersion stored;
    private final MicroBatcher batcher;
    private final ServedFile file;
    private final AtomicInteger references = new AtomicInteger(1);
    private volatile long lastUsedNanos = System.nanoTime();

    ServingVersion(StoredVersion stored, MicroBatcher batcher, ServedFile file) {
        this.stored = stored;
        this.batcher = batcher;
        this.file = file;
    }

    /** The version's files and description. */
    public StoredVersion stored() {
        return stored;
    }

    /** Which runtime runs it ({@code onnxruntime}). */
    public String backend() {
        return file.runtime();
    }

    /** The file it runs: the verified float32 ONNX file of its export, with the SHA-256 of the bytes loaded. */
    public ServedFile file() {
        return file;
    }

    /**
     * Classifies {@code n} images of 784 values in [0,1] packed one after another.
     *
     * @return {@code n} rows of 10 probabilities
     */
    public float[][] classify(float[] pixels, int n) {
        lastUsedNanos = System.nanoTime();
        return batcher.classify(pixels, n);
    }

    long lastUsedNanos() {
        return lastUsedNanos;
    }

    /** Takes a reference; false when the version has already been closed (the caller must look it up again). */
    boolean retain() {
        for (;;) {
            int r = references.get();
            if (r == 0) return false;
            if (references.compareAndSet(r, r + 1)) return true;
        }
    }

    /** Gives a reference back; the last one closes the model. */
    void release() {
        if (references.decrementAndGet() == 0) batcher.close();
    }

    @Override
    public String toString() {
        return stored.model() + " v" + stored.version();
    }
}
