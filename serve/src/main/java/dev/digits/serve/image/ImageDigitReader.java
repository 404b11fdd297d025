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
import java.util.concurrent.TimeUnit;

/**
 * Turns an uploaded image file (PNG, JPEG, GIF, BMP) into a digit in MNIST form with core's
 * {@link DigitPreprocessor}. The common PNGs are decoded directly ({@link PngPixels}); everything else by ImageIO.
 *
 * <p>Hostile input is contained before it costs memory: the width and height are read from the file's header and
 * checked against {@code maxSide} before any pixel is decoded (a 50 kB PNG can claim 50,000 × 50,000 pixels), and
 * the pixels being decoded and preprocessed at any moment are bounded by {@code maxConcurrentPixels}, so many large
 * images at once queue (for up to two seconds, then 503) instead of exhausting the heap. Small images — canvases,
 * MNIST-sized PNGs — have a budget of their own and never wait behind large ones.
 *
 * <p>Grey images are read from their raster, not through {@code BufferedImage.getRGB}: Java treats an 8-bit grey
 * PNG as linear grey and would brighten every mid-tone on the way to sRGB, whereas browsers and MNIST take the stored
 * values as they are. Thread-safe.
 */
public final class ImageDigitReader {
    /**
     * Images of at most this many pixels (a 1024×1024 canvas; web and Android canvases are 280×280) are decoded under
     * a budget of their own, so that they never wait behind photos.
     */
    public static final int SMALL_PIXELS = 1 << 20;
    /** The small images' budget: this many of the largest small images at once. */
    static final int SMALL_IMAGES_AT_ONCE = 16;
    /**
     * JPEGs whose longer side exceeds this are decoded smaller: by TurboJPEG at the smallest of the scales 1/8, 1/4, 1/2
     * that keeps at least this many pixels on the longer side (a phone photo's 1600×1200 pixels become 800×600), else by ImageIO
     * subsampled, every k-th pixel of every k-th row with k = longer side / this (533×400). The preprocessing brings the digit down to
     * 20 pixels anyway, its strokes are tens of pixels wide in such photos, and everything after the decoder (colour
     * conversion, the grey image, the preprocessing) costs in proportion to the pixels kept.
     */
    public static final int PHOTO_SIDE = 500;
    /** How long a decode waits for room in its budget before it is answered 503 with Retry-After. */
    static final long DEFAULT_QUEUE_MILLIS = 2_000;

    private final DigitPreprocessor preprocessor;
    private final int maxSide;
    private final int maxConcurrentPixels;
    private final Semaphore pixelBudget;
    private final Semaphore smallBudget = new Semaphore(SMALL_IMAGES_AT_ONCE * SMALL_PIXELS, true);
    /**
     * Decodes running at once: two per core for small images, one per core for large ones. Decoding is all CPU; 64
     * requests decoding at once on two cores each take 32 times as long, and the scheduler's unfairness then
     * stretches the slowest of them. Waiting in a fair queue instead keeps every request's time close to the others':
     * a 280×280 canvas at 64 connections, p99 477 → 147 ms for 1 % fewer requests/s (measured with 1, 2 and 4 slots per
     * core; 2 kept the throughput best).
     */
    private final Semaphore smallSlots = new Semaphore(2 * Runtime.getRuntime().availableProcessors(), true);
    private final Semaphore largeSlots = new Semaphore(Runtime.getRuntime().availableProcessors(), true);
    private final long queueMillis;
    /** TurboJPEG for JPEGs when the machine has it, else null (ImageIO decodes them). */
    private final TurboJpeg turbo;
    private final String jpegDecoder;

    /** Loaded once: looking for the binding and its native library is not free. */
    private static final class Turbo {
        static final TurboJpeg.Loaded LOADED = TurboJpeg.load();
    }

    /**
     * @param maxSide             largest width or height accepted
     * @param maxConcurrentPixels most pixels of large images decoded at the same time across all requests (at least
     *                            maxSide²); a 16-bit image counts twice
     */
    public ImageDigitReader(DigitPreprocessor preprocessor, int maxSide, int maxConcurrentPixels) {
        this(preprocessor, maxSide, maxConcurrentPixels, DEFAULT_QUEUE_MILLIS);
    }

    ImageDigitReader(DigitPreprocessor preprocessor, int maxSide, int maxConcurrentPixels, long queueMillis) {
        this(preprocessor, maxSide, maxConcurrentPixels, queueMillis, true);
    }

    /** @param turboJpeg whether to decode JPEGs with TurboJPEG when the machine has it (else always ImageIO) */
    ImageDigitReader(DigitPreprocessor preprocessor, int maxSide, int maxConcurrentPixels, long queueMillis,
                     boolean turboJpeg) {
        if (maxSide < 1) throw new IllegalArgumentException("maxSide must be positive, was " + maxSide);
        if ((long) maxSide * maxSide > maxConcurrentPixels) {
            throw new IllegalArgumentException("maxConcurrentPixels (" + maxConcurrentPixels + ") must allow one image of "
                    + maxSide + "×" + maxSide);
        }
        this.preprocessor = preprocessor;
        this.maxSide = maxSide;
        this.maxConcurrentPixels = maxConcurrentPixels;
        this.pixelBudget = new Semaphore(maxConcurrentPixels, true);
        this.queueMillis = queueMillis;
        TurboJpeg.Loaded loaded = turboJpeg ? Turbo.LOADED : null;
        this.turbo = loaded == null ? null : loaded.turbo;
        this.jpegDecoder = turbo != null ? "TurboJPEG, scaled in the DCT domain to grey"
                : "ImageIO, subsampled (" + (loaded == null ? "TurboJPEG not asked for" : loaded.why) + ")";
    }

    /** How JPEGs are decoded here, for the server's start-up log: TurboJPEG, or ImageIO and why. */
    public String jpegDecoder() {
        return jpegDecoder;
    }

    /** Whether JPEGs are decoded with TurboJPEG. */
    boolean usesTurboJpeg() {
        return turbo != null;
    }

    /** Room reserved in a budget for one decode; {@link #close} gives it back. */
    private static final class Reservation implements AutoCloseable {
        private final Semaphore budget;
        private final int permits;
        private final Semaphore slots;

        Reservation(Semaphore budget, int permits, Semaphore slots) {
            this.budget = budget;
            this.permits = permits;
            this.slots = slots;
        }

        @Override
        public void close() {
            slots.release();
            budget.release(permits);
        }
    }

    /**
     * Reserves room to decode a {@code w}×{@code h} image of {@code bitsPerSample} bits: in the small images' budget
     * when it is small, else in the large ones' (16-bit samples count twice; never more than the whole budget, so that
     * one image of the largest size always fits), waiting at most the queue time.
     *
     * @throws ServerBusyException when there is no room in time
     */
    private Reservation reserve(int w, int h, int bitsPerSample, String source) {
        long pixels = (long) w * h;
        boolean small = pixels <= SMALL_PIXELS;
        Semaphore budget = small ? smallBudget : pixelBudget;
        int permits = (int) Math.min(small ? pixels : pixels * (bitsPerSample > 8 ? 2 : 1),
                small ? (long) SMALL_IMAGES_AT_ONCE * SMALL_PIXELS : maxConcurrentPixels);
        Semaphore slots = small ? smallSlots : largeSlots;
        boolean got = false;
        boolean budgeted = false;
        long start = System.nanoTime();
        try {
            budgeted = budget.tryAcquire(permits, queueMillis, TimeUnit.MILLISECONDS);
            if (budgeted) {
                long left = queueMillis - (System.nanoTime() - start) / 1_000_000;
                got = slots.tryAcquire(Math.max(0, left), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (budgeted && !got) budget.release(permits);
        }
        if (!got) {
            throw new ServerBusyException("the server is decoding as many " + (small ? "" : "large ") + "images as its "
                    + "memory allows; send " + source + " again in a moment" + (small ? "" : " (or a smaller one: images "
                    + "of at most " + SMALL_PIXELS + " pixels are decoded apart from large ones)"));
        }
        return new Reservation(budget, permits, slots);
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
                try (Reservation room = reserve(h.width, h.height, h.bitDepth, source)) {
                    PngPixels.Pixels p = PngPixels.decode(bytes, h, source);
                    return p.grey != null ? how.processGray(p.grey, h.width, h.height)
                            : how.process(p.argb, h.width, h.height);
                }
            }
        }
        if (turbo != null && "jpeg".equals(formatOf(bytes))) {
            TurboJpeg.Size size;
            try {
                size = turbo.header(bytes, source);
            } catch (UnreadableImageException e) {
                // ImageIO reads a few files TurboJPEG refuses, and words its errors for people.
                return readWithImageIO(bytes, source, how);
            }
            checkSize(size.width, size.height, source);
            int[] scaled = TurboJpeg.scaledSize(size, PHOTO_SIDE);
            try (Reservation room = reserve(scaled[0], scaled[1], 8, source)) {
                byte[] grey = turbo.decodeGrey(scaled[0], scaled[1], source);
                return how.processGray(grey, scaled[0], scaled[1]);
            } catch (UnreadableImageException e) {
                // Left to ImageIO below, outside this reservation.
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
                try (Reservation room = reserve(w, h, bitsPerSample(reader), source)) {
                    BufferedImage img;
                    try {
                        int k = subsampling(w, h, reader.getFormatName());
                        javax.imageio.ImageReadParam param = reader.getDefaultReadParam();
                        if (k > 1) param.setSourceSubsampling(k, k, 0, 0);
                        img = reader.read(0, param);
                    } catch (IOException | RuntimeException e) {
                        throw unreadable(source, reader, e);
                    }
                    return preprocess(img, how);
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

    /** The subsampling factor for a {@code w × h} image of {@code format}: 1 except for large JPEGs. */
    static int subsampling(int w, int h, String format) {
        if (!"jpeg".equalsIgnoreCase(format) && !"jpg".equalsIgnoreCase(format)) return 1;
        return Math.max(1, Math.max(w, h) / PHOTO_SIDE);
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

    /** Pixels currently reserved by decodes in progress, small and large (for tests and metrics). */
    public int pixelsInUse() {
        return maxConcurrentPixels - pixelBudget.availablePermits()
                + SMALL_IMAGES_AT_ONCE * SMALL_PIXELS - smallBudget.availablePermits();
    }

    /** The large images' budget, for tests that fill it. */
    Semaphore largeImageBudget() {
        return pixelBudget;
    }

    /** Bits per sample of the image's stored form (8 when the reader does not say). */
    private static int bitsPerSample(ImageReader reader) {
        try {
            javax.imageio.ImageTypeSpecifier raw = reader.getRawImageType(0);
            return raw == null ? 8 : raw.getSampleModel().getSampleSize(0);
        } catch (IOException | RuntimeException e) {
            return 8;
        }
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
