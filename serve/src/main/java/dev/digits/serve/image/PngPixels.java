package dev.digits.serve.image;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A direct decoder for the PNGs that prediction requests nearly always carry — 8 bits per sample, grey, grey with
 * alpha, RGB or RGBA, not interlaced, as canvases, phones and image libraries write them — so that the hot path
 * skips ImageIO, whose reader, stream and metadata objects cost more than decoding a small image. Every other PNG
 * (palettes, 1–4 or 16 bits, Adam7 interlacing, a transparent colour key) is left to ImageIO: {@link #supports}
 * says which.
 *
 * <p>The file's structure is checked as it is read (chunk bounds, IHDR values, the exact amount of image data, the
 * five scanline filters); a damaged file is reported, never guessed at. CRCs are not checked, as ImageIO does not,
 * nor the image data's Adler-32 (see {@link #inflate}).
 */
final class PngPixels {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    private static final ThreadLocal<Inflater> INFLATERS = ThreadLocal.withInitial(() -> new Inflater(true));
    /** Eight bytes of an array at any offset as one long; the byte order is irrelevant to how it is used here. */
    private static final VarHandle EIGHT = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.nativeOrder());
    /** A byte value times this is that byte eight times over. */
    private static final long REPEATED = 0x0101010101010101L;
    /** An RGBA pixel's four bytes as one int, red in the low byte whatever the platform's byte order. */
    private static final VarHandle RGBA = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);
    /** Pixels above which an RGB(A) image is checked for grey before it is split into planes. */
    private static final long CHECK_BEFORE_SPLITTING = 1 << 20;

    /** Width and height from the header, plus what decides whether this class can decode the pixels. */
    static final class Header {
        final int width;
        final int height;
        final int bitDepth;
        final int colorType;
        final int interlace;

        private Header(int width, int height, int bitDepth, int colorType, int interlace) {
            this.width = width;
            this.height = height;
            this.bitDepth = bitDepth;
            this.colorType = colorType;
            this.interlace = interlace;
        }

        int channels() {
            switch (colorType) {
                case 0: return 1;
                case 4: return 2;
                case 2: return 3;
                default: return 4;
            }
        }
    }

    /** Decoded pixels: grey levels when every pixel is grey and opaque, whatever the file's colour type; else ARGB. */
    static final class Pixels {
        final byte[] grey;
        final int[] argb;

        Pixels(byte[] grey, int[] argb) {
            this.grey = grey;
            this.argb = argb;
        }
    }

    private PngPixels() {
    }

    static boolean isPng(byte[] b) {
        if (b.length < SIGNATURE.length) return false;
        for (int i = 0; i < SIGNATURE.length; i++) if (b[i] != SIGNATURE[i]) return false;
        return true;
    }

    /**
     * The header of a PNG (the IHDR chunk, which must come first).
     *
     * @throws UnreadableImageException when the header is missing or malformed
     */
    static Header header(byte[] png, String source) {
        if (png.length < 33 || readInt(png, 8) != 13 || !type(png, 12, "IHDR")) {
            throw new UnreadableImageException(source + " is a damaged PNG: it does not start with an IHDR chunk");
        }
        int w = readInt(png, 16);
        int h = readInt(png, 20);
        if (w <= 0 || h <= 0) throw new UnreadableImageException(source + " has no pixels");
        return new Header(w, h, png[24] & 0xFF, png[25] & 0xFF, png[28] & 0xFF);
    }

    /** Whether {@link #decode} handles this PNG (else ImageIO must). */
    static boolean supports(byte[] png, Header h) {
        if (h.bitDepth != 8 || h.interlace != 0 || png[26] != 0 || png[27] != 0) return false;
        if (h.colorType != 0 && h.colorType != 2 && h.colorType != 4 && h.colorType != 6) return false;
        // A tRNS chunk gives grey or RGB images a transparent colour: rare, and ImageIO knows it.
        for (int at = 33; at + 8 <= png.length; ) {
            int length = readInt(png, at);
            if (length < 0 || type(png, at + 4, "IDAT") || type(png, at + 4, "IEND")) return true;
            if (type(png, at + 4, "tRNS")) return false;
            at += 12 + length;
        }
        return true;
    }

    /**
     * Decodes a PNG for which {@link #supports} is true.
     *
     * @throws UnreadableImageException when the data is damaged or incomplete
     */
    static Pixels decode(byte[] png, Header h, String source) {
        int channels = h.channels();
        long stride = (long) h.width * channels;
        long expected = (stride + 1) * h.height;
        if (expected > Integer.MAX_VALUE - 8) throw new UnreadableImageException(source + " is too large to decode");
        byte[] raw = inflate(idat(png, source), (int) expected, source);
        int w = h.width;
        int n = w * h.height;
        if (channels > 1) {
            // Canvases are mostly grey written as RGB(A): then only one colour channel and alpha need unfiltering,
            // each as a grey image of its own.
            byte[][] planes = greyPlanes(raw, w, h.height, channels);
            if (planes != null) {
                unfilter(planes[0], w, h.height, 1, source);
                if (planes[1] != null) unfilter(planes[1], w, h.height, 1, source);
                return greyPixels(planes[0], planes[1], w, h.height);
            }
        }
        unfilter(raw, (int) stride, h.height, channels, source);
        if (channels == 1) return greyPixels(raw, null, w, h.height);
        int[] argb = new int[n];
        for (int y = 0; y < h.height; y++) {
            int o = (int) (y * (stride + 1) + 1);
            for (int x = 0; x < w; x++, o += channels) {
                int r = raw[o] & 0xFF;
                int g = raw[o + 1] & 0xFF;
                int b = raw[o + 2] & 0xFF;
                int a = channels == 4 ? raw[o + 3] & 0xFF : 0xFF;
                argb[y * w + x] = a << 24 | r << 16 | g << 8 | b;
            }
        }
        return new Pixels(null, argb);
    }

    /**
     * Still-filtered rows of grey-and-alpha, RGB or RGBA pixels ({@code channels} 2, 3 or 4) split into a grey plane
     * and an alpha plane (null without alpha, or when its residuals show every pixel opaque), each a row of residuals
     * after its row's filter byte; null for RGB(A) whose red, green and blue residuals differ anywhere. Every scanline
     * filter predicts a byte from the same channel of the neighbouring pixels only, so each channel unfilters on its
     * own, and channels that start from equal residuals decode to equal values: such an image is grey, its red
     * channel its grey level.
     */
    static byte[][] greyPlanes(byte[] raw, int w, int height, int channels) {
        // A large colour picture is told apart before its planes are allocated (they would be garbage at once); a
        // small one while they are filled.
        boolean checkWhileSplitting = channels > 2 && (long) w * height <= CHECK_BEFORE_SPLITTING;
        if (channels > 2 && !checkWhileSplitting && !greyResiduals(raw, w, height, channels)) return null;
        if (channels == 4) return rgbaGreyPlanes(raw, w, height);
        // Grey-and-alpha or RGB from here: only the former has an alpha byte, the pixel's second.
        boolean alpha = channels == 2;
        byte[] grey = new byte[(w + 1) * height];
        byte[] alphas = alpha ? new byte[(w + 1) * height] : null;
        // Whether the alpha residuals are those of a fully opaque image, which then needs no alpha plane at all.
        boolean opaque = alpha;
        int from = 0;
        int to = 0;
        for (int y = 0; y < height; y++) {
            byte filter = raw[from++];
            grey[to] = filter;
            if (alpha) alphas[to] = filter;
            to++;
            // Unknown filters (-1) are refused by unfilter(); here they only end the opacity check.
            int first = opaque ? opaqueResidual(filter, y, true) : -1;
            byte rest = (byte) opaqueResidual(filter, y, false);
            if (first < 0) opaque = false;
            for (int x = 0; x < w; x++, from += channels, to++) {
                byte r = raw[from];
                if (checkWhileSplitting && (raw[from + 1] != r || raw[from + 2] != r)) return null;
                grey[to] = r;
                if (alpha) {
                    byte a = raw[from + 1];
                    alphas[to] = a;
                    if (opaque && a != (x == 0 ? (byte) first : rest)) opaque = false;
                }
            }
        }
        return new byte[][] {grey, opaque ? null : alphas};
    }

    /**
     * {@link #greyPlanes} for RGBA, what browsers' canvases are written as: each pixel's four residuals read as one
     * little-endian int (red in its low byte), the grey test one mask of it, and the alpha plane filled only once some
     * residual shows the image is not opaque — in a second pass, so an opaque canvas never has one. Byte by byte, with
     * both planes written as it went, this split took about as long as the inflating before it: 263 µs for the RGBA
     * canvas of {@code benchmarks/inputs.py} under the server's client compiler.
     */
    private static byte[][] rgbaGreyPlanes(byte[] raw, int w, int height) {
        byte[] grey = new byte[(w + 1) * height];
        boolean opaque = true;
        int from = 0;
        int to = 0;
        for (int y = 0; y < height; y++) {
            byte filter = raw[from++];
            grey[to++] = filter;
            // Every pixel's alpha residual against what an opaque image leaves there, ORed: zero while opaque.
            // An unknown filter's -1 matches no residual (and unfilter() refuses the filter).
            int first = opaqueResidual(filter, y, true);
            int rest = opaqueResidual(filter, y, false);
            int v = (int) RGBA.get(raw, from);
            if (((v ^ v >>> 8) & 0xFFFF) != 0) return null;
            grey[to++] = (byte) v;
            int off = (v >>> 24) ^ first;
            from += 4;
            for (int end = to + w - 1; to < end; to++, from += 4) {
                v = (int) RGBA.get(raw, from);
                if (((v ^ v >>> 8) & 0xFFFF) != 0) return null;
                grey[to] = (byte) v;
                off |= (v >>> 24) ^ rest;
            }
            if (off != 0) opaque = false;
        }
        if (opaque) return new byte[][] {grey, null};
        byte[] alphas = new byte[(w + 1) * height];
        for (int y = 0, at = 0, o = 0; y < height; y++) {
            alphas[o++] = raw[at++];
            for (int x = 0; x < w; x++, at += 4) alphas[o++] = raw[at + 3];
        }
        return new byte[][] {grey, alphas};
    }

    /**
     * The residual each scanline filter leaves for alpha 255 where every pixel before it (left, above, upper left)
     * is 255 too: the first pixel of a row or any other one in row {@code y}; -1 for an unknown filter. A plane whose
     * residuals are all these decodes to 255 everywhere, and only such a plane has them, row by row.
     */
    private static int opaqueResidual(byte filter, int y, boolean firstPixel) {
        switch (filter) {
            case 0: return 0xFF;
            case 1: return firstPixel ? 0xFF : 0;
            case 2: return y == 0 ? 0xFF : 0;
            case 3: return y == 0 ? (firstPixel ? 0xFF : 0x80) : (firstPixel ? 0x80 : 0);
            case 4: return y == 0 && firstPixel ? 0xFF : 0;
            default: return -1;
        }
    }

    /** Whether still-filtered RGB(A) rows have equal red, green and blue residuals at every pixel. */
    private static boolean greyResiduals(byte[] raw, int w, int height, int channels) {
        for (int y = 0, from = 0; y < height; y++) {
            from++;
            for (int x = 0; x < w; x++, from += channels) {
                byte r = raw[from];
                if (raw[from + 1] != r || raw[from + 2] != r) return false;
            }
        }
        return true;
    }

        /**
     * Unfiltered grey rows as grey levels, or with their alpha rows (null for an opaque image: {@link #greyPlanes}
     * keeps the plane only when some pixel is not) as ARGB.
     */
    private static Pixels greyPixels(byte[] grey, byte[] alpha, int w, int height) {
        int n = w * height;
        if (alpha == null) {
            byte[] levels = new byte[n];
            for (int y = 0; y < height; y++) System.arraycopy(grey, y * (w + 1) + 1, levels, y * w, w);
            return new Pixels(levels, null);
        }
        int[] argb = new int[n];
        for (int y = 0, i = 0; y < height; y++) {
            for (int o = y * (w + 1) + 1, end = o + w; o < end; o++) {
                int v = grey[o] & 0xFF;
                argb[i++] = (alpha[o] & 0xFF) << 24 | v << 16 | v << 8 | v;
            }
        }
        return new Pixels(null, argb);
    }

    /** The IDAT chunks' data, concatenated. */
    private static byte[] idat(byte[] png, String source) {
        int total = 0;
        int at = 8;
        while (at + 12 <= png.length) {
            int length = readInt(png, at);
            if (length < 0 || at + 12L + length > png.length) {
                throw new UnreadableImageException(source + " is a damaged PNG: a chunk runs past the end of the file");
            }
            if (type(png, at + 4, "IDAT")) total += length;
            if (type(png, at + 4, "IEND")) break;
            at += 12 + length;
        }
        if (total == 0) throw new UnreadableImageException(source + " is a damaged PNG: it holds no image data");
        byte[] out = new byte[total];
        int filled = 0;
        at = 8;
        while (at + 12 <= png.length) {
            int length = readInt(png, at);
            if (type(png, at + 4, "IDAT")) {
                System.arraycopy(png, at + 8, out, filled, length);
                filled += length;
            }
            if (type(png, at + 4, "IEND")) break;
            at += 12 + length;
        }
        return out;
    }

    /**
     * The image data's zlib stream inflated as raw deflate after its two-byte header is checked: the stream's
     * Adler-32 is not computed (libpng's {@code PNG_IGNORE_ADLER32} and LodePNG's {@code ignore_adler32} offer the
     * same), since it cost a sixth of a canvas's inflating: 140 → 118 µs for the grey 280&times;280 canvas of
     * {@code benchmarks/inputs.py}, 530 → 410 µs for it as RGBA. Damage still shows where deflate's own structure
     * breaks or the data ends early; a flipped bit inside a literal would go unnoticed, as it does for the chunk
     * CRCs, which ImageIO does not check either.
     */
    private static byte[] inflate(byte[] data, int expected, String source) {
        // RFC 1950: compression method 8 (deflate) with a window of at most 32 kB (CINFO at most 7, so its top bit
        // clear), no preset dictionary, and the two bytes a multiple of 31 as a check of their own.
        if (data.length < 2 || (data[0] & 0x8F) != 8 || (data[1] & 0x20) != 0
                || ((data[0] & 0xFF) << 8 | (data[1] & 0xFF)) % 31 != 0) {
            throw new UnreadableImageException(source + " is a damaged PNG: its image data has no valid zlib header");
        }
        Inflater inflater = INFLATERS.get();
        inflater.reset();
        // The Adler-32 after the deflate data stays as input: zlib needs a byte past the end in raw mode.
        inflater.setInput(data, 2, data.length - 2);
        byte[] out = new byte[expected];
        int filled = 0;
        try {
            while (filled < expected) {
                int n = inflater.inflate(out, filled, expected - filled);
                if (n == 0 && (inflater.finished() || inflater.needsInput() || inflater.needsDictionary())) break;
                filled += n;
            }
        } catch (DataFormatException e) {
            throw new UnreadableImageException(source + " is a damaged PNG: " + e.getMessage());
        }
        if (filled < expected) {
            throw new UnreadableImageException(source + " is a truncated PNG: its image data ends early");
        }
        return out;
    }

    /** Undoes the scanline filters in place: each row is a filter byte followed by {@code stride} bytes. */
    private static void unfilter(byte[] raw, int stride, int height, int bpp, String source) {
        int row = stride + 1;
        for (int y = 0; y < height; y++) {
            int f = raw[y * row] & 0xFF;
            int o = y * row + 1;
            int up = o - row;
            switch (f) {
                case 0:
                    break;
                case 1:
                    for (int i = bpp; i < stride; i++) raw[o + i] += raw[o + i - bpp];
                    break;
                case 2:
                    if (y > 0) for (int i = 0; i < stride; i++) raw[o + i] += raw[up + i];
                    break;
                case 3:
                    if (y == 0) {
                        for (int i = bpp; i < stride; i++) raw[o + i] += (byte) ((raw[o + i - bpp] & 0xFF) >>> 1);
                    } else {
                        for (int i = 0; i < bpp; i++) raw[o + i] += (byte) ((raw[up + i] & 0xFF) >>> 1);
                        for (int i = bpp; i < stride; i++) {
                            raw[o + i] += (byte) (((raw[o + i - bpp] & 0xFF) + (raw[up + i] & 0xFF)) >>> 1);
                        }
                    }
                    break;
                case 4:
                    // With no row above, Paeth predicts from the left alone (filter 1); the first pixel of a row
                    // has no left or upper-left neighbour, so it is predicted from above (filter 2).
                    if (y == 0) {
                        for (int i = bpp; i < stride; i++) raw[o + i] += raw[o + i - bpp];
                    } else {
                        for (int i = 0; i < bpp; i++) raw[o + i] += raw[up + i];
                        if (bpp == 1) {
                            // Each byte depends on the one just decoded: keep it in a register rather than
                            // reading it back from the array. Where the row above is flat (b == c, as in a
                            // canvas's background) Paeth predicts the left byte, and where the left and upper-left
                            // bytes agree it predicts the upper one: two comparisons instead of the predictor's
                            // three distances, written out because the server's client compiler does not inline
                            // paeth().
                            int a = raw[o] & 0xFF;
                            int c = raw[up] & 0xFF;
                            for (int i = 1; i < stride; i++) {
                                // Eight zero residuals at a time: where the eight bytes above are all the upper-left
                                // byte, each is predicted as the left one, so all eight are it; where the left and
                                // upper-left bytes agree, each is predicted as the one above, so the row repeats the
                                // row above (and the left and upper-left bytes agree again after each). A canvas's
                                // background and the insides of its strokes are nearly all such runs.
                                while (raw[o + i] == 0 && i + 8 <= stride && (long) EIGHT.get(raw, o + i) == 0) {
                                    long above = (long) EIGHT.get(raw, up + i);
                                    if (a == c) {
                                        EIGHT.set(raw, o + i, above);
                                        a = raw[up + i + 7] & 0xFF;
                                        c = a;
                                    } else if (above == c * REPEATED) {
                                        EIGHT.set(raw, o + i, a * REPEATED);
                                    } else {
                                        break;
                                    }
                                    i += 8;
                                }
                                if (i == stride) break;
                                int b = raw[up + i] & 0xFF;
                                int predicted;
                                if (b == c) {
                                    predicted = a;
                                } else if (a == c) {
                                    predicted = b;
                                } else {
                                    int p = a + b - c;
                                    int pa = p > a ? p - a : a - p;
                                    int pb = p > b ? p - b : b - p;
                                    int pc = p > c ? p - c : c - p;
                                    predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
                                }
                                a = (raw[o + i] + predicted) & 0xFF;
                                raw[o + i] = (byte) a;
                                c = b;
                            }
                        } else {
                            for (int i = bpp; i < stride; i++) {
                                int a = raw[o + i - bpp] & 0xFF;
                                int b = raw[up + i] & 0xFF;
                                int c = raw[up + i - bpp] & 0xFF;
                                // As for grey rows above.
                                int predicted = b == c ? a : a == c ? b : paeth(a, b, c);
                                raw[o + i] += (byte) predicted;
                            }
                        }
                    }
                    break;
                default:
                    throw new UnreadableImageException(source + " is a damaged PNG: unknown scanline filter " + f);
            }
        }
    }

    /** The Paeth predictor (PNG specification, 9.4): whichever of left, above and upper left is closest to a + b - c. */
    private static int paeth(int a, int b, int c) {
        int p = a + b - c;
        int pa = Math.abs(p - a);
        int pb = Math.abs(p - b);
        int pc = Math.abs(p - c);
        if (pa <= pb && pa <= pc) return a;
        return pb <= pc ? b : c;
    }

    private static int readInt(byte[] b, int at) {
        return (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
    }

    private static boolean type(byte[] b, int at, String type) {
        return b[at] == type.charAt(0) && b[at + 1] == type.charAt(1) && b[at + 2] == type.charAt(2)
                && b[at + 3] == type.charAt(3);
    }
}
