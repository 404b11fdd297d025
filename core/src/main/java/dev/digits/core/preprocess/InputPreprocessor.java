package dev.digits.core.preprocess;

import dev.digits.core.artifact.InputContract;

/**
 * Turns a user's picture into a model's input, as the model's {@link InputContract} declares: handwriting is found,
 * cropped and centred ({@link DigitPreprocessor}), and straightened too for models trained so ({@link Deskew}), other pictures are resized whole ({@link ResizePreprocessor}).
 * The server, the browser and the apps pick it from the model, never assume it.
 */
public interface InputPreprocessor {
    /** The model input for {@code width × height} pixels {@code 0xAARRGGBB}, row-major. */
    PreprocessedDigit process(int[] argb, int width, int height);

    /** The model input for {@code width × height} grey levels 0–255 (0 = black), row-major. */
    PreprocessedDigit processGray(byte[] grey, int width, int height);

    /** The preprocessing {@code contract} declares. */
    static InputPreprocessor of(InputContract contract) {
        return switch (contract.preprocessing()) {
            case RESIZE -> new ResizePreprocessor(contract.height(), contract.width());
            case DIGIT_DESKEWED -> DeskewingPreprocessor.DEFAULTS;
            case DIGIT -> DigitPreprocessor.defaults();
        };
    }
}
