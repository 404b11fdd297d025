package dev.digits.core.client;

import dev.digits.core.artifact.InputContract;
import dev.digits.core.recognition.DigitCheck;

import java.io.File;
import java.util.Locale;

/**
 * A model file downloaded by {@link ModelUpdater} and verified on disk: where it is, which model and version it is,
 * and its SHA-256. Immutable.
 */
public final class InstalledModel {
    private final File file;
    private final String model;
    private final String version;
    private final String quantization;
    private final String sha256;
    private final long size;
    private final DigitCheck digitCheck;
    private final InputContract.Preprocessing preprocessing;

    InstalledModel(File file, String model, String version, String quantization, String sha256, long size,
                   DigitCheck digitCheck, InputContract.Preprocessing preprocessing) {
        this.preprocessing = preprocessing == null ? InputContract.Preprocessing.DIGIT : preprocessing;
        this.digitCheck = digitCheck == null ? DigitCheck.NONE : digitCheck;
        this.file = file;
        this.model = model;
        this.version = version;
        this.quantization = quantization;
        this.sha256 = sha256;
        this.size = size;
    }

    /**
     * How to tell this model's answers for digits from answers for something else, as the server listed it with the
     * version ({@link DigitCheck#NONE} when it listed none).
     */
    public DigitCheck digitCheck() {
        return digitCheck;
    }

    /**
     * How a picture becomes this model's input, as the server listed it with the version ({@code digit} when it
     * listed none): pass it to {@link dev.digits.core.preprocess.InputPreprocessor#of} through the model's contract,
     * or pick the preprocessor by it.
     */
    public InputContract.Preprocessing preprocessing() {
        return preprocessing;
    }

    /** The model file, ready to be memory-mapped or read. */
    public File file() {
        return file;
    }

    /** Model name on the server, e.g. {@code cnn}. */
    public String model() {
        return model;
    }

    /** Version on the server, as the server wrote it. */
    public String version() {
        return version;
    }

    /** Quantization variant ({@code float32}, {@code float16}, {@code int8}, ...). */
    public String quantization() {
        return quantization;
    }

    /** Lower-case hex SHA-256 of the file's bytes, verified when the file was read from disk. */
    public String sha256() {
        return sha256;
    }

    /** Size in bytes. */
    public long size() {
        return size;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s v%s %s (%d bytes, sha256 %s)", model, version, quantization, size,
                sha256.substring(0, Math.min(12, sha256.length())));
    }
}
