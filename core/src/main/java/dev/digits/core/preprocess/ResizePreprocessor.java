package dev.digits.core.preprocess;

import dev.digits.core.error.UnsupportedException;

/**
 * The plain preprocessing for images that are not handwriting (clothes, objects, photos): grey level, then a resize
 * of the whole image to the model's input size. Unlike core's {@code DigitPreprocessor} it keeps the polarity, does
 * not crop or centre, and stretches the image to the target's aspect ratio (as Keras'
 * {@code image_dataset_from_directory} does by default).
 *
 * <p>Grey level is luma (0.299, 0.587, 0.114) with transparency composited on white, the same formula as the digit
 * preprocessing. Resampling is area averaging, separable, columns first: each output pixel is the mean of the source
 * area it covers (fractional pixels weighted by their overlap), which shrinks without aliasing and enlarges by
 * replicating.
 */
public final class ResizePreprocessor implements InputPreprocessor {
    /** Largest target side. */
    public static final int MAX_SIDE = 4096;

    private final int height;
    private final int width;

    /** Resizes to {@code height × width}. */
    public ResizePreprocessor(int height, int width) {
        if (height < 1 || width < 1 || height > MAX_SIDE || width > MAX_SIDE) {
            throw new IllegalArgumentException("target size must be 1.." + MAX_SIDE + " on each side, got " + height + "×" + width);
        }
        this.height = height;
        this.width = width;
    }

    public int height() {
        return height;
    }

    public int width() {
        return width;
    }

    /**
     * Grey levels 0–255 (0 = black), {@code height × width}, row-major.
     *
     * @param argb {@code 0xAARRGGBB} pixels, not premultiplied, row-major
     */
    public byte[] resize(int[] argb, int srcWidth, int srcHeight) {
        if (srcWidth < 1 || srcHeight < 1 || argb.length != srcWidth * srcHeight) {
            throw new IllegalArgumentException("argb holds " + argb.length + " pixels, a " + srcWidth + "x" + srcHeight + " image has "
                    + (long) srcWidth * srcHeight);
        }
        double[] g = new double[argb.length];
        for (int i = 0; i < g.length; i++) {
            int p = argb[i];
            int a = p >>> 24;
            int r = (p >>> 16) & 0xFF;
            int gr = (p >>> 8) & 0xFF;
            int b = p & 0xFF;
            g[i] = ((299 * r + 587 * gr + 114 * b) * a + 255000 * (255 - a)) / 255000.0;
        }
        double[] cols = new double[srcHeight * width];
        for (int y = 0; y < srcHeight; y++) resample(g, y * srcWidth, 1, srcWidth, cols, y * width, 1, width);
        double[] out = new double[height * width];
        for (int x = 0; x < width; x++) resample(cols, x, width, srcHeight, out, x, width, height);
        byte[] bytes = new byte[out.length];
        for (int i = 0; i < out.length; i++) bytes[i] = (byte) Math.max(0, Math.min(255, Math.round(out[i])));
        return bytes;
    }

    /** The resized picture as model input ({@code x / 255}); needs a 28×28 target, the size served models take. */
    @Override
    public PreprocessedDigit process(int[] argb, int width, int height) {
        if (this.height != PreprocessedDigit.SIZE || this.width != PreprocessedDigit.SIZE) {
            throw new UnsupportedException("pictures are resized to " + PreprocessedDigit.SIZE + "×" + PreprocessedDigit.SIZE
                    + " for serving; this model takes " + this.height + "×" + this.width);
        }
        return PreprocessedDigit.fromMnist(resize(argb, width, height));
    }

    @Override
    public PreprocessedDigit processGray(byte[] grey, int width, int height) {
        int[] argb = new int[grey.length];
        for (int i = 0; i < grey.length; i++) {
            int v = grey[i] & 0xFF;
            argb[i] = 0xFF000000 | v << 16 | v << 8 | v;
        }
        return process(argb, width, height);
    }

    /**
     * Area-averages {@code n} values read at {@code src[from + i*step]} into {@code m} values written at
     * {@code dst[to + o*dstStep]}. In units where a source value is {@code m} wide and an output value {@code n} wide,
     * both rows span {@code n*m}, so every overlap is a whole number.
     */
    private static void resample(double[] src, int from, int step, int n, double[] dst, int to, int dstStep, int m) {
        for (int o = 0; o < m; o++) {
            long lo = (long) o * n;
            long hi = lo + n;
            double sum = 0;
            for (int i = (int) (lo / m); i < n && (long) i * m < hi; i++) {
                long overlap = Math.min(hi, (long) (i + 1) * m) - Math.max(lo, (long) i * m);
                if (overlap > 0) sum += overlap * src[from + i * step];
            }
            dst[to + o * dstStep] = sum / n;
        }
    }
}
