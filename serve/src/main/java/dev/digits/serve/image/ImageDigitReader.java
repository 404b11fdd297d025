package dev.digits.serve.image;

import dev.digits.core.preprocess.DigitPreprocessor;
import dev.digits.core.preprocess.InputPreprocessor;
import dev.digits.core.preprocess.PreprocessedDigit;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.IOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.Semaphore;

/**
 * Turns an uploaded image file (PNG, JPEG, GIF, BMP) into a digit in MNIST form with core's
 * {@link DigitPreprocessor}. The common PNGs are decoded directly ({@link PngPixels}); everything else by ImageIO.
 *
 * <p>Hostile input is contained before it costs memory: the width and height are read from the file's header and
 * checked against {@code maxSide} before any pixel is decoded (a 50 kB PNG can claim 50,000 × 50,000 pixels), and
 * the pixels being decoded and preprocessed at any moment are bounded by {@code maxConcurrentPixels}, so many large
 * images at once queue instead of exhausting the heap.
 *
 * <p>Grey images are read from their raster, not through {@code BufferedImage.getRGB}: Java treats an 8-bit grey
 * PNG as linear grey and would brighten every mid-tone on the way to sRGB, whereas browsers and MNIST take the stored
 * values as they are. Thread-safe.
 */
public final class ImageDigitReader {
    private final DigitPreprocessor preprocessor;
    private final int maxSide;
    private final int maxConcurrentPixels;
    private final Semaphore pixelBudget;

    /**
     * @param maxSide             largest width or height accepted
     * @param maxConcurrentPixels most pixels decoded at the same time across all requests (at least maxSide²)
     */
    public ImageDigitReader(DigitPreprocessor preprocessor, int maxSide, int maxConcurrentPixels) {
        if (maxSide < 1) throw new IllegalArgumentException("maxSide must be positive, was " + maxSide);
        if ((long) maxSide * maxSide > maxConcurrentPixels) {
            throw new IllegalArgumentException("maxConcurrentPixels (" + maxConcurrentPixels + ") must allow one image of "
                    + maxSide + "×" + maxSide);
        }
        this.preprocessor = preprocessor;
        this.maxSide = maxSide;
        this.maxConcurrentPixels = maxConcurrentPixels;
        this.pixelBudget = new Semaphore(maxConcurrentPixels);
    }

    /** Largest width or height accepted. */
    public int maxSide() {
        return maxSide;
    }

    /**
     * Decodes and preprocesses one image file.
     *
     * @param source what to call the image in messages (e.g. "image 3")
     * @throws ImageTooLargeException    when the image is wider or taller than {@link #maxSide()}
     * @throws UnreadableImageException when the bytes are not a supported image or are damaged
     */
    public PreprocessedDigit read(byte[] bytes, String source) {
        return read(bytes, source, preprocessor);
    }

    /**
     * Decodes one image file and prepares it with {@code how}: the preprocessing of the model that will read it.
     *
     * @throws ImageTooLargeException    when the image is wider or taller than {@link #maxSide()}
     * @throws UnreadableImageException when the bytes are not a supported image or are damaged
     */
    public PreprocessedDigit read(byte[] bytes, String source, InputPreprocessor how) {
        if (PngPixels.isPng(bytes)) {
            PngPixels.Header h = PngPixels.header(bytes, source);
            checkSize(h.width, h.height, source);
            if (PngPixels.supports(bytes, h)) {
                int permits = h.width * h.height;
                pixelBudget.acquireUninterruptibly(permits);
                try {
                    PngPixels.Pixels p = PngPixels.decode(bytes, h, source);
                    return p.grey != null ? how.processGray(p.grey, h.width, h.height)
                            : how.process(p.argb, h.width, h.height);
                } finally {
                    pixelBudget.release(permits);
                }
            }
        }
        return readWithImageIO(bytes, source, how);
    }

    /** Decodes with ImageIO whatever the format (the path for everything {@link PngPixels} leaves out). */
    PreprocessedDigit readWithImageIO(byte[] bytes, String source) {
        return readWithImageIO(bytes, source, preprocessor);
    }

    private PreprocessedDigit readWithImageIO(byte[] bytes, String source, InputPreprocessor how) {
        try (ImageInputStream in = new ByteArrayImageInputStream(bytes)) {
            ImageReader reader = readerFor(bytes, in);
            if (reader == null) {
                throw new UnreadableImageException(source + " is not an image in a supported format (PNG, JPEG, GIF or BMP)");
            }
            try {
                reader.setInput(in, true, true);
                int w;
                int h;
                try {
                    w = reader.getWidth(0);
                    h = reader.getHeight(0);
                } catch (IOException | RuntimeException e) {
                    throw unreadable(source, reader, e);
                }
                if (w < 1 || h < 1) throw new UnreadableImageException(source + " has no pixels");
                checkSize(w, h, source);
                int permits = w * h;
                pixelBudget.acquireUninterruptibly(permits);
                try {
                    BufferedImage img;
                    try {
                        img = reader.read(0);
                    } catch (IOException | RuntimeException e) {
                        throw unreadable(source, reader, e);
                    }
                    return preprocess(img, how);
                } finally {
                    pixelBudget.release(permits);
                }
            } finally {
                if (READERS.get().containsValue(reader)) {
                    reader.setInput(null);
                } else {
                    reader.dispose();
                }
            }
        } catch (IOException e) {
            throw new UnreadableImageException(source + " could not be read: " + e.getMessage());
        }
    }

    private void checkSize(int w, int h, String source) {
        if (w > maxSide || h > maxSide) {
            throw new ImageTooLargeException(source + " is " + w + "×" + h + " pixels; the largest side accepted is "
                    + maxSide + ": scale the image down before sending it");
        }
    }

    /**
     * A reader for the image's format. The common formats are recognised by their first bytes and get a reader kept
     * per thread (creating one, and asking every installed reader whether it knows the stream, costs more than
     * decoding a small PNG); anything else is left to ImageIO's own detection.
     */
    private static ImageReader readerFor(byte[] bytes, ImageInputStream in) {
        String format = formatOf(bytes);
        if (format != null) {
            ImageReader cached = READERS.get().computeIfAbsent(format, f -> {
                Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName(f);
                return it.hasNext() ? it.next() : null;
            });
            if (cached != null) {
                cached.reset();
                return cached;
            }
        }
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        return readers.hasNext() ? readers.next() : null;
    }

    private static final ThreadLocal<Map<String, ImageReader>> READERS = ThreadLocal.withInitial(HashMap::new);

    /** The format named by the file's magic number, or null. */
    static String formatOf(byte[] b) {
        if (b.length >= 8 && (b[0] & 0xFF) == 0x89 && b[1] == 'P' && b[2] == 'N' && b[3] == 'G') return "png";
        if (b.length >= 3 && (b[0] & 0xFF) == 0xFF && (b[1] & 0xFF) == 0xD8 && (b[2] & 0xFF) == 0xFF) return "jpeg";
        if (b.length >= 6 && b[0] == 'G' && b[1] == 'I' && b[2] == 'F' && b[3] == '8') return "gif";
        if (b.length >= 2 && b[0] == 'B' && b[1] == 'M') return "bmp";
        return null;
    }

    /** Pixels currently reserved by decodes in progress (for tests and metrics). */
    public int pixelsInUse() {
        return maxConcurrentPixels - pixelBudget.availablePermits();
    }

    private PreprocessedDigit preprocess(BufferedImage img, InputPreprocessor how) {
        int w = img.getWidth();
        int h = img.getHeight();
        Raster r = img.getRaster();
        if (img.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY) {
            int bits = img.getColorModel().getComponentSize(0);
            boolean alpha = img.getColorModel().hasAlpha();
            if (!alpha && bits == 8) {
                byte[] grey = new byte[w * h];
                int[] row = new int[w];
                for (int y = 0; y < h; y++) {
                    r.getSamples(0, y, w, 1, 0, row);
                    for (int x = 0; x < w; x++) grey[y * w + x] = (byte) row[x];
                }
                return how.processGray(grey, w, h);
            }
            int[] argb = new int[w * h];
            int[] g = new int[w];
            int[] a = new int[w];
            int gMax = (1 << bits) - 1;
            int aMax = alpha ? (1 << img.getColorModel().getComponentSize(1)) - 1 : 0;
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, g);
                if (alpha) r.getSamples(0, y, w, 1, 1, a);
                for (int x = 0; x < w; x++) {
                    int v = (g[x] * 255 + gMax / 2) / gMax;
                    int av = alpha ? (a[x] * 255 + aMax / 2) / aMax : 255;
                    argb[y * w + x] = av << 24 | v << 16 | v << 8 | v;
                }
            }
            return how.process(argb, w, h);
        }
        return how.process(img.getRGB(0, 0, w, h, null, 0, w), w, h);
    }

    private static UnreadableImageException unreadable(String source, ImageReader reader, Exception e) {
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        String format;
        try {
            format = reader.getFormatName();
        } catch (IOException ex) {
            format = "an image";
        }
        return new UnreadableImageException(source + " could not be decoded as " + format + ": " + why);
    }
}
