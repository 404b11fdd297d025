package dev.digits.core.preprocess;

/**
 * The {@code digit-deskewed} preprocessing: {@link DigitPreprocessor}'s crop, scale and centring, then
 * {@link Deskew}. Obtained through {@link InputPreprocessor#of}, as the model's contract declares it.
 */
final class DeskewingPreprocessor implements InputPreprocessor {
    static final DeskewingPreprocessor DEFAULTS = new DeskewingPreprocessor(DigitPreprocessor.defaults());

    private final DigitPreprocessor digits;

    private DeskewingPreprocessor(DigitPreprocessor digits) {
        this.digits = digits;
    }

    @Override
    public PreprocessedDigit process(int[] argb, int width, int height) {
        return Deskew.apply(digits.process(argb, width, height));
    }

    @Override
    public PreprocessedDigit processGray(byte[] grey, int width, int height) {
        return Deskew.apply(digits.processGray(grey, width, height));
    }

    @Override
    public String toString() {
        return "DeskewingPreprocessor[" + digits + "]";
    }
}
