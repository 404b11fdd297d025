package dev.digits.core.preprocess;

import java.util.Arrays;

/**
 * Turns a drawing or a photo of one handwritten digit into MNIST form: 28&times;28 intensities in [0, 1], white digit
 * on black, longer side 20 pixels, centred by centre of mass.
 *
 * <p>The same algorithm exists in JavaScript ({@code web/src/preprocess.js}); the test vectors in
 * {@code core/src/test/resources/preprocess-vectors/} prove that both give the same numbers. That is why every step
 * below is specified down to the order of the arithmetic: all of it is done in IEEE double with only {@code + - * /},
 * {@code floor}, {@code abs}, {@code min}, {@code max} and sorting, which are exactly rounded in both languages, and only the final
 * values are narrowed to float. Any change here must be made in the JavaScript too and the vectors regenerated.
 *
 * <h2>The algorithm</h2>
 * <ol>
 * <li><b>Grey level with transparency composited on white.</b> For an ARGB pixel (not premultiplied) with alpha
 *     {@code a}: {@code g = ((299 r + 587 g + 114 b) * a + 255000 * (255 - a)) / 255000.0}. The numerator is an exact
 *     integer, so {@code g} in [0, 255] is one correctly rounded division. This is luma (0.299, 0.587, 0.114) of the
 *     colour drawn over white: a transparent PNG with dark ink reads as dark ink on white paper. Grey inputs use their
 *     value unchanged.</li>
 * <li><b>Background statistics from the border.</b> The border is every pixel in the first and last row and column,
 *     each once. {@code bg} is its median, {@code mad} the median of {@code |border - bg|} (median of an even count is
 *     the mean of the two middle values).</li>
 * <li><b>Polarity.</b> With {@code T = minContrast} and {@code d = g - bg} for every pixel in index order:
 *     {@code light += d - T} where {@code d > T}, {@code dark += (-d) - T} where {@code -d > T}. The image is inverted
 *     ({@code f = 255 - g}, else {@code f = g}) when {@code dark > light}: the ink is whatever departs most from the
 *     background, so dark ink on a mid-grey photo is found as well as on white paper. The tolerance {@code T} keeps
 *     sensor noise and gentle lighting gradients out of the vote.</li>
 * <li><b>Background removal.</b> {@code level = (inverted ? 255 - bg : bg) + noiseFactor * mad}, the top of the
 *     background's noise band; each pixel's contrast is {@code c = f - level}.</li>
 * <li><b>Blank test.</b> The strong pixels are those with {@code c >= minContrast}; fewer than {@code minInkPixels}
 *     of them means there is no digit, and the result has {@code found == false}. In words: a digit needs at least
 *     {@code minInkPixels} pixels standing out from the background's noise band by at least {@code minContrast} grey
 *     levels. A blank or evenly lit page fails the contrast, and a single speck, however dark, fails the count.</li>
 * <li><b>Contrast normalisation.</b> The strong pixels are counted per integer level {@code floor(c)} (0 to 255);
 *     {@code peak} is the highest integer {@code b} such that at least {@code N * strongInkFraction} of the {@code N}
 *     strong pixels have {@code c >= b}, raised to {@code minContrast} if lower. Every pixel becomes
 *     {@code v = min(1, max(0, c / peak))}. Taking a percentile of the ink rather than its maximum lets the cores of
 *     noisy or faint strokes reach 1, as MNIST's do, and keeps a few hot pixels from dimming the digit; a pure white
 *     stroke's core is at 255, so {@code peak} is 255 and nothing is stretched (as long as at least that fraction of
 *     its strong pixels is pure white, true of any stroke wider than its anti-aliased edges).</li>
 * <li><b>Crop.</b> Ink is {@code v >= inkThreshold}. Per row and per column the ink mass is the sum of ink values
 *     (row-major accumulation); {@code total} is their sum. Each edge of the crop box is the first row (column), coming
 *     from that side, at which the running mass exceeds {@code total * trimFraction}; a stray speck far from the
 *     digit is thereby left out instead of stretching the box. All values inside the box, ink or not, are kept.</li>
 * <li><b>Scale.</b> With box {@code W x H} and {@code L = max(W, H)}, the output is
 *     {@code w' = max(1, (W * digitSize + L / 2) / L)} by {@code h'} likewise (integer arithmetic: the longer side
 *     becomes exactly {@code digitSize}, the other rounds half up). Resampling is area averaging, separable, columns
 *     first: in units where a source pixel is {@code w'} wide and an output pixel {@code W} wide, output column
 *     {@code o} is {@code sum over source i of overlap(i, o) * v(i) / W}, with the integer overlap of
 *     {@code [i w', (i+1) w')} and {@code [o W, (o+1) W)}, summed over ascending {@code i}; then rows the same way on
 *     the result. This shrinks and enlarges alike, and needs no rounding of coordinates.</li>
 * <li><b>Centre of mass.</b> Over the scaled image in row-major order: {@code m += v}, {@code mx += v * (x + 0.5)},
 *     {@code my += v * (y + 0.5)} (pixel centres, so the frame's centre is (14, 14)). The image is pasted into the
 *     28&times;28 frame at offset {@code dx = floor((14 - mx / m) + 0.5)}, {@code dy} likewise, which puts its centre
 *     of mass within half a pixel of (14, 14), as MNIST did. Pixels falling outside the frame are dropped.</li>
 * <li><b>Values.</b> Each pixel is the double {@code v} narrowed to float. The scale is MNIST's {@code x / 255}: a
 *     canvas drawn in pure white on pure black (or pure black on white) keeps exactly intensity / 255, anti-aliased
 *     edges included, wherever the scale step copies pixels one to one. Anything fainter is stretched by step 6 so
 *     that its strongest strokes reach 1, as they nearly always do in MNIST; a faint pencil photo thus looks like
 *     MNIST rather than like a grey ghost of it.</li>
 * </ol>
 *
 * <p>Instances are immutable and thread-safe. A call on grey levels (or on ARGB pixels that are all opaque grey, as
 * canvases are) works on the levels themselves: every per-pixel quantity above depends on the level alone, so it is
 * computed once per level, and no pixel is held as a double (the scale step reads the crop box through the table of
 * levels). Other ARGB images take one double per pixel.
 */
public final class DigitPreprocessor implements InputPreprocessor {
    private static final int FRAME = PreprocessedDigit.SIZE;
    private static final double CENTRE = FRAME / 2.0;

    private static final DigitPreprocessor DEFAULTS = new Builder().build();

    private final int digitSize;
    private final double minContrast;
    private final int minInkPixels;
    private final double noiseFactor;
    private final double inkThreshold;
    private final double trimFraction;
    private final double strongInkFraction;

    private DigitPreprocessor(Builder b) {
        this.digitSize = b.digitSize;
        this.minContrast = b.minContrast;
        this.minInkPixels = b.minInkPixels;
        this.noiseFactor = b.noiseFactor;
        this.inkThreshold = b.inkThreshold;
        this.trimFraction = b.trimFraction;
        this.strongInkFraction = b.strongInkFraction;
    }

    /** The preprocessor with every setting at its default. */
    public static DigitPreprocessor defaults() {
        return DEFAULTS;
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from this preprocessor's settings. */
    public Builder toBuilder() {
        return new Builder()
                .digitSize(digitSize)
                .minContrast(minContrast)
                .minInkPixels(minInkPixels)
                .noiseFactor(noiseFactor)
                .inkThreshold(inkThreshold)
                .trimFraction(trimFraction)
                .strongInkFraction(strongInkFraction);
    }

    /** Length in pixels of the digit's longer side in the 28&times;28 frame (default 20, as MNIST). */
    public int digitSize() {
        return digitSize;
    }

    /** Grey levels (of 255) by which ink must clear the background's noise band (default 24). */
    public double minContrast() {
        return minContrast;
    }

    /** How many pixels must show that contrast for the image to hold a digit (default 5). */
    public int minInkPixels() {
        return minInkPixels;
    }

    /** Multiple of the border's median absolute deviation added to its median to give the background level (default 3). */
    public double noiseFactor() {
        return noiseFactor;
    }

    /** Normalised value from which a pixel counts as ink for the crop box (default 0.25). */
    public double inkThreshold() {
        return inkThreshold;
    }

    /** Fraction of the ink mass each side of the crop box may leave out to ignore stray specks (default 0.005). */
    public double trimFraction() {
        return trimFraction;
    }

    /** Fraction of the strong pixels that reach full intensity 1 (default 0.1). */
    public double strongInkFraction() {
        return strongInkFraction;
    }

    /**
     * Preprocesses ARGB pixels, laid out as Android's {@code Bitmap.getPixels} and Java's
     * {@code BufferedImage.getRGB} give them: {@code 0xAARRGGBB}, not premultiplied, row-major, no padding.
     *
     * @throws IllegalArgumentException when the sizes are not positive or the array does not hold exactly
     *                                  {@code width * height} pixels
     */
    public PreprocessedDigit process(int[] argb, int width, int height) {
        int n = checkedSize(argb == null ? -1 : argb.length, width, height, "argb");
        byte[] grey = wholeGreyLevels(argb);
        if (grey != null) {
            // Such a pixel's numerator below is a multiple of 255000, so its level is a whole number: the grey path
            // gives the very same numbers, with no array of doubles.
            return runGrey(grey, width, height);
        }
        return processAsDoubles(argb, width, height);
    }

    /** {@link #process} on the general path whatever the pixels: what the tests compare its shortcuts with. */
    PreprocessedDigit processAsDoubles(int[] argb, int width, int height) {
        int n = checkedSize(argb == null ? -1 : argb.length, width, height, "argb");
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            int p = argb[i];
            int a = p >>> 24;
            int r = (p >>> 16) & 0xFF;
            int gr = (p >>> 8) & 0xFF;
            int b = p & 0xFF;
            // Exact integer (at most 255000 * 255), so one rounding in total, the same as in JavaScript.
            int num = (299 * r + 587 * gr + 114 * b) * a + 255000 * (255 - a);
            g[i] = num / 255000.0;
        }
        return run(g, width, height);
    }

    /**
     * The grey levels of an image whose every pixel is grey ({@code r = g = b = v}) and composites onto white at a
     * whole level — opaque ({@code v}), transparent or white (255), or black ({@code 255 - a}), as black strokes on a
     * browser's transparent canvas are — else null. Each such level is exactly what the general path computes.
     */
    private static byte[] wholeGreyLevels(int[] argb) {
        byte[] grey = new byte[argb.length];
        for (int i = 0; i < argb.length; i++) {
            int p = argb[i];
            int v = p & 0xFF;
            int level;
            if ((p ^ (0xFF000000 | v << 16 | v << 8 | v)) == 0) {
                // Opaque grey, the common case: one comparison.
                level = v;
            } else if ((p & 0xFFFFFF) != (v << 16 | v << 8 | v)) {
                return null;
            } else {
                int a = p >>> 24;
                if (a == 0 || v == 255) {
                    level = 255;
                } else if (v == 0) {
                    level = 255 - a;
                } else {
                    return null;
                }
            }
            grey[i] = (byte) level;
        }
        return grey;
    }

    /**
     * Preprocesses 8-bit grey levels (unsigned, 0 = black, 255 = white), row-major. Either polarity is accepted.
     *
     * @throws IllegalArgumentException when the sizes do not match
     */
    public PreprocessedDigit processGray(byte[] gray, int width, int height) {
        checkedSize(gray == null ? -1 : gray.length, width, height, "gray");
        return runGrey(gray, width, height);
    }

    /**
     * Preprocesses grey levels 0 (black) to 255 (white) held in ints, row-major. Either polarity is accepted.
     *
     * @throws IllegalArgumentException when the sizes do not match or a value is outside [0, 255]
     */
    public PreprocessedDigit processGray(int[] gray, int width, int height) {
        int n = checkedSize(gray == null ? -1 : gray.length, width, height, "gray");
        byte[] levels = new byte[n];
        for (int i = 0; i < n; i++) {
            int v = gray[i];
            if (v < 0 || v > 255) {
                throw new IllegalArgumentException("grey level " + v + " at index " + i + " is outside [0, 255]");
            }
            levels[i] = (byte) v;
        }
        return runGrey(levels, width, height);
    }

    /**
     * The general path on the same grey levels held as doubles: what {@link #processGray(byte[], int, int)} must
     * equal to the last bit (the tests compare them).
     */
    PreprocessedDigit processGrayAsDoubles(byte[] gray, int width, int height) {
        int n = checkedSize(gray == null ? -1 : gray.length, width, height, "gray");
        double[] g = new double[n];
        for (int i = 0; i < n; i++) {
            g[i] = gray[i] & 0xFF;
        }
        return run(g, width, height);
    }

    private static int checkedSize(int length, int width, int height, String what) {
        if (length < 0) {
            throw new IllegalArgumentException(what + " is null");
        }
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, was " + width + "x" + height);
        }
        long n = (long) width * height;
        if (n != length) {
            throw new IllegalArgumentException(what + " holds " + length + " pixels, a " + width + "x" + height
                    + " image has " + n);
        }
        return (int) n;
    }

    /** Steps 2 to 10 on grey levels in [0, 255]; {@code g} is reused as scratch space. */
    private PreprocessedDigit run(double[] g, int w, int h) {
        int n = g.length;

        // Step 2: the border is nearly always background, even when a stroke touches it, so its median is a robust
        // background estimate and its median absolute deviation a robust noise estimate.
        double[] background = medianAndMad(border(g, w, h));
        double bg = background[0];
        double mad = background[1];

        // Step 3: polarity by which side of the background holds more contrast beyond the tolerance.
        double t = minContrast;
        double light = 0;
        double dark = 0;
        for (int i = 0; i < n; i++) {
            double d = g[i] - bg;
            if (d > t) {
                light += d - t;
            } else if (-d > t) {
                dark += -d - t;
            }
        }
        boolean invert = dark > light;

        // Steps 4 and 5: contrast above the background's noise band; count the strong pixels per integer level.
        double level = (invert ? 255.0 - bg : bg) + noiseFactor * mad;
        int[] histogram = new int[256];
        int strong = 0;
        for (int i = 0; i < n; i++) {
            double f = invert ? 255.0 - g[i] : g[i];
            double c = f - level;
            g[i] = c;
            if (c >= minContrast) {
                histogram[Math.min(255, (int) Math.floor(c))]++;
                strong++;
            }
        }
        if (strong < minInkPixels) {
            return PreprocessedDigit.notFound(invert);
        }

        // Step 6: the level reached by the strongest strongInkFraction of the strong pixels becomes 1.
        double peak = peak(histogram, strong);

        // Normalise in place and measure the ink mass per row and column for the crop.
        double[] rowMass = new double[h];
        double[] colMass = new double[w];
        double total = 0;
        for (int y = 0, i = 0; y < h; y++) {
            for (int x = 0; x < w; x++, i++) {
                double v = normalised(g[i], peak);
                g[i] = v;
                if (v >= inkThreshold) {
                    rowMass[y] += v;
                    colMass[x] += v;
                    total += v;
                }
            }
        }

        return cropScaleCentre(g, w, rowMass, colMass, total, invert);
    }

    /**
     * Steps 2 to 10 for 8-bit grey levels: exactly the numbers {@link #run} gives for the same levels held as
     * doubles (the tests compare the two). Every per-pixel quantity of the algorithm is a function of the pixel's
     * level alone, so it is computed once per level instead of once per pixel, and no array of doubles the size of
     * the image is made; the sums the algorithm takes in pixel order are still taken in pixel order, except the
     * polarity vote's, which is taken over the levels' counts when its terms are multiples of 1/2 (the default
     * settings): such terms add exactly, hence in any order to the same sum.
     */
    private PreprocessedDigit runGrey(byte[] grey, int w, int h) {
        int n = grey.length;

        // Step 2, as in run.
        double[] background = medianAndMad(borderGrey(grey, w, h));
        double bg = background[0];
        double mad = background[1];

        // A uniform border (a canvas) has one background level; then the rows' spans beyond it are noted as the
        // levels are counted, and only they are visited for the ink sums.
        int backgroundLevel = mad == 0 && bg == Math.rint(bg) ? (int) bg : -1;
        int[] spans = backgroundLevel >= 0 ? new int[2 * h] : null;
        int[] count = levelCounts(grey, w, backgroundLevel, spans);

        // Step 3. bg is a median of integers, so a multiple of 1/2; so is every term when 2 t is an integer.
        double t = minContrast;
        double light = 0;
        double dark = 0;
        if (2 * t == Math.rint(2 * t)) {
            for (int v = 0; v < 256; v++) {
                double d = v - bg;
                if (count[v] == 0) {
                    continue;
                } else if (d > t) {
                    light += count[v] * (d - t);
                } else if (-d > t) {
                    dark += count[v] * (-d - t);
                }
            }
        } else {
            double[] lightTerm = new double[256];
            double[] darkTerm = new double[256];
            for (int v = 0; v < 256; v++) {
                double d = v - bg;
                if (d > t) {
                    lightTerm[v] = d - t;
                } else if (-d > t) {
                    darkTerm[v] = -d - t;
                }
            }
            for (int i = 0; i < n; i++) {
                int v = grey[i] & 0xFF;
                light += lightTerm[v];
                dark += darkTerm[v];
            }
        }
        boolean invert = dark > light;

        // Steps 4 and 5 per level.
        double level = (invert ? 255.0 - bg : bg) + noiseFactor * mad;
        double[] contrast = new double[256];
        int[] histogram = new int[256];
        int strong = 0;
        for (int v = 0; v < 256; v++) {
            double f = invert ? 255.0 - v : v;
            double c = f - level;
            contrast[v] = c;
            if (c >= minContrast) {
                histogram[Math.min(255, (int) Math.floor(c))] += count[v];
                strong += count[v];
            }
        }
        if (strong < minInkPixels) {
            return PreprocessedDigit.notFound(invert);
        }
        double peak = peak(histogram, strong);

        // The normalised value per level; the ink mass per row and column summed in pixel order, as in run.
        double[] value = new double[256];
        boolean[] ink = new boolean[256];
        for (int v = 0; v < 256; v++) {
            value[v] = normalised(contrast[v], peak);
            ink[v] = value[v] >= inkThreshold;
        }
        double[] rowMass = new double[h];
        double[] colMass = new double[w];
        double total = 0;
        // Pixels of the background level are never ink here (their contrast is 0), so leaving them out of the sums
        // changes no sum: the ink pixels are still added in pixel order.
        boolean spansOnly = spans != null && !ink[backgroundLevel];
        for (int y = 0; y < h; y++) {
            int first = spansOnly ? spans[2 * y] : 0;
            int last = spansOnly ? spans[2 * y + 1] : w - 1;
            double row = 0;
            for (int x = first, i = y * w + first; x <= last; x++, i++) {
                int v = grey[i] & 0xFF;
                if (ink[v]) {
                    double val = value[v];
                    row += val;
                    colMass[x] += val;
                    total += val;
                }
            }
            rowMass[y] = row;
        }

        // Only the crop box's values are needed from here on.
        int[] box = cropBox(rowMass, colMass, total);
        int left = box[0];
        int top0 = box[1];
        int cw = box[2];
        int ch = box[3];
        // Step 8's columns read the box's values through the level table: no copy of the box as doubles.
        int[] size = scaledSize(cw, ch);
        int ow = size[0];
        AreaOverlaps across = new AreaOverlaps(cw, ow);
        double[] cols = new double[ch * ow];
        // Where the background's value is 0, an output column whose sources all lie outside the row's span would
        // sum zeros to 0: it is left as the array holds it.
        boolean skipOutsideSpans = spans != null && value[backgroundLevel] == 0;
        for (int y = 0; y < ch; y++) {
            int rowStart = (top0 + y) * w + left;
            int spanFirst = skipOutsideSpans ? spans[2 * (top0 + y)] - left : 0;
            int spanLast = skipOutsideSpans ? spans[2 * (top0 + y) + 1] - left : cw - 1;
            for (int o = 0; o < ow; o++) {
                int firstSource = across.first[o];
                if (firstSource > spanLast || firstSource + across.from[o + 1] - across.from[o] <= spanFirst) {
                    continue;
                }
                double sum = 0;
                for (int k = across.from[o], i = rowStart + across.first[o]; k < across.from[o + 1]; k++, i++) {
                    sum += across.overlap[k] * value[grey[i] & 0xFF];
                }
                cols[y * ow + o] = sum / cw;
            }
        }
        return scaleRowsAndCentre(cols, ow, size[1], cw, ch, left, top0, invert);
    }

    /**
     * How many pixels have each level. Two ways to the same counts: an image that is mostly one level (a canvas: its
     * border all one level, {@code background} that level, else -1) is counted row by row within the row's span of
     * other levels, found by stepping over eight background pixels at a time from both ends, and the background
     * pixels outside the spans are added at once; anything noisier is counted pixel by pixel. A 280&times;280 canvas
     * takes 66–77 µs under the server's client compiler (about 290 µs counted pixel by pixel in runs of one level,
     * as before; 41–47 against 84–90 µs under the server compiler). The spans are filled too: per row {@code y}, the
     * first and last column of a level other than the background's at {@code 2y} and {@code 2y + 1} (first &gt; last
     * when the row has none).
     */
    private static int[] levelCounts(byte[] grey, int w, int background, int[] spans) {
        int[] count = new int[256];
        if (background < 0) {
            for (byte b : grey) {
                count[b & 0xFF]++;
            }
            return count;
        }
        byte b = (byte) background;
        int h = grey.length / w;
        int outside = 0;
        for (int y = 0; y < h; y++) {
            int start = y * w;
            int end = start + w;
            int first = start;
            // Eight levels compared at once, written out here and below because the client compiler does not
            // inline a method this long (a call each time cost a third of the count).
            while (first + 8 <= end && ((grey[first] ^ b) | (grey[first + 1] ^ b) | (grey[first + 2] ^ b)
                    | (grey[first + 3] ^ b) | (grey[first + 4] ^ b) | (grey[first + 5] ^ b) | (grey[first + 6] ^ b)
                    | (grey[first + 7] ^ b)) == 0) {
                first += 8;
            }
            while (first < end && grey[first] == b) first++;
            if (first == end) {
                spans[2 * y] = 0;
                spans[2 * y + 1] = -1;
                outside += w;
                continue;
            }
            // grey[first] is not the background, so these stop at it at the latest.
            int stop = end;
            while (stop - 8 > first && ((grey[stop - 8] ^ b) | (grey[stop - 7] ^ b) | (grey[stop - 6] ^ b)
                    | (grey[stop - 5] ^ b) | (grey[stop - 4] ^ b) | (grey[stop - 3] ^ b) | (grey[stop - 2] ^ b)
                    | (grey[stop - 1] ^ b)) == 0) {
                stop -= 8;
            }
            while (grey[stop - 1] == b) stop--;
            spans[2 * y] = first - start;
            spans[2 * y + 1] = stop - 1 - start;
            outside += (first - start) + (end - stop);
            for (int i = first; i < stop; i++) {
                count[grey[i] & 0xFF]++;
            }
        }
        count[background] += outside;
        return count;
    }

    /** Step 6: the level reached by the strongest strongInkFraction of the strong pixels, at least minContrast. */
    private double peak(int[] histogram, int strong) {
        double need = strong * strongInkFraction;
        double peak = 0;
        int cum = 0;
        for (int b = 255; b >= 0; b--) {
            cum += histogram[b];
            if (cum >= need) {
                peak = b;
                break;
            }
        }
        return peak < minContrast ? minContrast : peak;
    }

    private static double normalised(double contrast, double peak) {
        double v = contrast / peak;
        if (v < 0) {
            return 0;
        }
        return v > 1 ? 1 : v;
    }

    /** Step 7 for the general path: crop the normalised image {@code g} ({@code w} wide) and go on. */
    private PreprocessedDigit cropScaleCentre(double[] g, int w, double[] rowMass, double[] colMass, double total,
                                              boolean invert) {
        int[] box = cropBox(rowMass, colMass, total);
        int left = box[0];
        int top0 = box[1];
        int cw = box[2];
        int ch = box[3];
        double[] values = new double[cw * ch];
        for (int y = 0; y < ch; y++) {
            System.arraycopy(g, (top0 + y) * w + left, values, y * cw, cw);
        }
        return scaleAndCentre(values, cw, ch, left, top0, invert);
    }

    /** Step 7: the crop box {left, top, width, height}, trimming at most trimFraction of the ink mass per side. */
    private int[] cropBox(double[] rowMass, double[] colMass, double total) {
        double limit = total * trimFraction;
        int top0 = firstOver(rowMass, limit);
        int bottom = lastOver(rowMass, limit);
        int left = firstOver(colMass, limit);
        int right = lastOver(colMass, limit);
        if (top0 > bottom || left > right) {
            // Cannot happen for trimFraction < 0.5 in exact arithmetic; fall back to the plain bounding box.
            top0 = firstOver(rowMass, 0);
            bottom = lastOver(rowMass, 0);
            left = firstOver(colMass, 0);
            right = lastOver(colMass, 0);
        }
        int cw = right - left + 1;
        int ch = bottom - top0 + 1;

        return new int[] {left, top0, cw, ch};
    }

    /** Steps 8 to 10 on the crop box's normalised values ({@code cw × ch}, row-major). */
    private PreprocessedDigit scaleAndCentre(double[] box, int cw, int ch, int left, int top0, boolean invert) {
        // Step 8: longer side to digitSize, area averaging, columns then rows.
        int[] size = scaledSize(cw, ch);
        int ow = size[0];
        AreaOverlaps across = new AreaOverlaps(cw, ow);
        double[] cols = new double[ch * ow];
        for (int y = 0; y < ch; y++) {
            int rowStart = y * cw;
            for (int o = 0; o < ow; o++) {
                double sum = 0;
                for (int k = across.from[o], i = rowStart + across.first[o]; k < across.from[o + 1]; k++, i++) {
                    sum += across.overlap[k] * box[i];
                }
                cols[y * ow + o] = sum / cw;
            }
        }
        return scaleRowsAndCentre(cols, ow, size[1], cw, ch, left, top0, invert);
    }

    /** Step 8's output size {@code {w', h'}} for a {@code cw × ch} box. */
    private int[] scaledSize(int cw, int ch) {
        int longer = Math.max(cw, ch);
        return new int[] {Math.max(1, (cw * digitSize + longer / 2) / longer),
                Math.max(1, (ch * digitSize + longer / 2) / longer)};
    }

    /**
     * Step 8's rows on the box's columns already scaled ({@code cols}, {@code ch × ow}), then steps 9 and 10.
     */
    private PreprocessedDigit scaleRowsAndCentre(double[] cols, int ow, int oh, int cw, int ch, int left, int top0,
                                                 boolean invert) {
        AreaOverlaps down = new AreaOverlaps(ch, oh);
        double[] scaled = new double[oh * ow];
        for (int o = 0; o < oh; o++) {
            for (int x = 0; x < ow; x++) {
                double sum = 0;
                for (int k = down.from[o], j = down.first[o]; k < down.from[o + 1]; k++, j++) {
                    sum += down.overlap[k] * cols[j * ow + x];
                }
                scaled[o * ow + x] = sum / ch;
            }
        }

        // Step 9: centre of mass to the frame's centre, shift rounded half up.
        double m = 0;
        double mx = 0;
        double my = 0;
        for (int y = 0, i = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++, i++) {
                double v = scaled[i];
                m += v;
                mx += v * (x + 0.5);
                my += v * (y + 0.5);
            }
        }
        if (!(m > 0)) {
            return PreprocessedDigit.notFound(invert);
        }
        int dx = (int) Math.floor((CENTRE - mx / m) + 0.5);
        int dy = (int) Math.floor((CENTRE - my / m) + 0.5);

        // Step 10: narrow to float.
        float[] out = new float[PreprocessedDigit.PIXELS];
        for (int y = 0; y < oh; y++) {
            int ty = y + dy;
            if (ty < 0 || ty >= FRAME) {
                continue;
            }
            for (int x = 0; x < ow; x++) {
                int tx = x + dx;
                if (tx >= 0 && tx < FRAME) {
                    out[ty * FRAME + tx] = (float) scaled[y * ow + x];
                }
            }
        }
        return new PreprocessedDigit(true, out, left, top0, cw, ch, invert);
    }

    /** The outermost ring of pixels, each once; the whole image when it is one or two pixels thin. */
    private static double[] border(double[] g, int w, int h) {
        if (w <= 2 || h <= 2) {
            return g.clone();
        }
        double[] b = new double[2 * w + 2 * (h - 2)];
        int k = 0;
        int last = (h - 1) * w;
        for (int x = 0; x < w; x++) {
            b[k++] = g[x];
            b[k++] = g[last + x];
        }
        for (int y = 1; y < h - 1; y++) {
            b[k++] = g[y * w];
            b[k++] = g[y * w + w - 1];
        }
        return b;
    }

    /** {@link #border} for grey levels. */
    private static double[] borderGrey(byte[] g, int w, int h) {
        if (w <= 2 || h <= 2) {
            double[] all = new double[g.length];
            for (int i = 0; i < g.length; i++) {
                all[i] = g[i] & 0xFF;
            }
            return all;
        }
        double[] b = new double[2 * w + 2 * (h - 2)];
        int k = 0;
        int last = (h - 1) * w;
        for (int x = 0; x < w; x++) {
            b[k++] = g[x] & 0xFF;
            b[k++] = g[last + x] & 0xFF;
        }
        for (int y = 1; y < h - 1; y++) {
            b[k++] = g[y * w] & 0xFF;
            b[k++] = g[y * w + w - 1] & 0xFF;
        }
        return b;
    }

    /** Step 2's {median, median absolute deviation} of the border values; sorts and overwrites {@code border}. */
    private static double[] medianAndMad(double[] border) {
        Arrays.sort(border);
        double bg = median(border);
        for (int i = 0; i < border.length; i++) {
            border[i] = Math.abs(border[i] - bg);
        }
        Arrays.sort(border);
        return new double[] {bg, median(border)};
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return (n & 1) == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static int firstOver(double[] mass, double limit) {
        double cum = 0;
        for (int i = 0; i < mass.length; i++) {
            cum += mass[i];
            if (cum > limit) {
                return i;
            }
        }
        return mass.length;
    }

    private static int lastOver(double[] mass, double limit) {
        double cum = 0;
        for (int i = mass.length - 1; i >= 0; i--) {
            cum += mass[i];
            if (cum > limit) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof DigitPreprocessor)) {
            return false;
        }
        DigitPreprocessor p = (DigitPreprocessor) o;
        return digitSize == p.digitSize && minInkPixels == p.minInkPixels
                && Double.compare(minContrast, p.minContrast) == 0 && Double.compare(noiseFactor, p.noiseFactor) == 0
                && Double.compare(inkThreshold, p.inkThreshold) == 0
                && Double.compare(trimFraction, p.trimFraction) == 0
                && Double.compare(strongInkFraction, p.strongInkFraction) == 0;
    }

    @Override
    public int hashCode() {
        int h = digitSize;
        h = 31 * h + minInkPixels;
        h = 31 * h + Double.hashCode(minContrast);
        h = 31 * h + Double.hashCode(noiseFactor);
        h = 31 * h + Double.hashCode(inkThreshold);
        h = 31 * h + Double.hashCode(trimFraction);
        return 31 * h + Double.hashCode(strongInkFraction);
    }

    @Override
    public String toString() {
        return "DigitPreprocessor[digitSize=" + digitSize + ", minContrast=" + minContrast + ", minInkPixels="
                + minInkPixels + ", noiseFactor=" + noiseFactor + ", inkThreshold=" + inkThreshold + ", trimFraction="
                + trimFraction + ", strongInkFraction=" + strongInkFraction + "]";
    }

    /**
     * Step 8's overlaps from {@code n} source pixels to {@code m} output pixels, worked out once for all the rows (or
     * columns) they apply to: in units where a source pixel is {@code m} wide and an output pixel {@code n} wide,
     * output {@code o} takes the sources from {@code first[o]} on, with the integer overlaps
     * {@code overlap[from[o]]} to {@code overlap[from[o + 1] - 1]}, in ascending order as the sums need them.
     */
    private static final class AreaOverlaps {
        final int[] first;
        final int[] from;
        final int[] overlap;

        AreaOverlaps(int n, int m) {
            first = new int[m];
            from = new int[m + 1];
            int total = 0;
            for (int o = 0; o < m; o++) {
                int lo = o * n;
                int hi = lo + n;
                first[o] = lo / m;
                from[o] = total;
                for (int i = lo / m; i * m < hi; i++) {
                    total++;
                }
            }
            from[m] = total;
            overlap = new int[total];
            for (int o = 0, k = 0; o < m; o++) {
                int lo = o * n;
                int hi = lo + n;
                for (int i = lo / m; i * m < hi; i++) {
                    overlap[k++] = Math.min((i + 1) * m, hi) - Math.max(i * m, lo);
                }
            }
        }
    }

    /** Settings for a {@link DigitPreprocessor}; each setter checks its argument at once. */
    public static final class Builder {
        private int digitSize = 20;
        private double minContrast = 24;
        private int minInkPixels = 5;
        private double noiseFactor = 3;
        private double inkThreshold = 0.25;
        private double trimFraction = 0.005;
        private double strongInkFraction = 0.1;

        private Builder() {
        }

        /** Longer side of the digit in the frame, 1 to 28 (default 20). */
        public Builder digitSize(int pixels) {
            if (pixels < 1 || pixels > FRAME) {
                throw new IllegalArgumentException("digitSize must be in [1, 28], was " + pixels);
            }
            this.digitSize = pixels;
            return this;
        }

        /** Grey levels above the background's noise band that count as ink, in (0, 255] (default 24). */
        public Builder minContrast(double levels) {
            if (!(levels > 0 && levels <= 255)) {
                throw new IllegalArgumentException("minContrast must be in (0, 255], was " + levels);
            }
            this.minContrast = levels;
            return this;
        }

        /** Pixels that must reach {@code minContrast} for a digit to be found, at least 1 (default 5). */
        public Builder minInkPixels(int pixels) {
            if (pixels < 1 || pixels > 10_000) {
                throw new IllegalArgumentException("minInkPixels must be in [1, 10000], was " + pixels);
            }
            this.minInkPixels = pixels;
            return this;
        }

        /** Multiple of the border's median absolute deviation treated as noise, in [0, 20] (default 3). */
        public Builder noiseFactor(double factor) {
            if (!(factor >= 0 && factor <= 20)) {
                throw new IllegalArgumentException("noiseFactor must be in [0, 20], was " + factor);
            }
            this.noiseFactor = factor;
            return this;
        }

        /** Normalised value from which a pixel counts as ink for the crop, in (0, 1] (default 0.25). */
        public Builder inkThreshold(double threshold) {
            if (!(threshold > 0 && threshold <= 1)) {
                throw new IllegalArgumentException("inkThreshold must be in (0, 1], was " + threshold);
            }
            this.inkThreshold = threshold;
            return this;
        }

        /** Fraction of ink mass each side of the crop may leave out, in [0, 0.25) (default 0.005). */
        public Builder trimFraction(double fraction) {
            if (!(fraction >= 0 && fraction < 0.25)) {
                throw new IllegalArgumentException("trimFraction must be in [0, 0.25), was " + fraction);
            }
            this.trimFraction = fraction;
            return this;
        }

        /** Fraction of the strong pixels whose level becomes full intensity 1, in (0, 1] (default 0.1). */
        public Builder strongInkFraction(double fraction) {
            if (!(fraction > 0 && fraction <= 1)) {
                throw new IllegalArgumentException("strongInkFraction must be in (0, 1], was " + fraction);
            }
            this.strongInkFraction = fraction;
            return this;
        }

        /** The preprocessor with these settings. */
        public DigitPreprocessor build() {
            return new DigitPreprocessor(this);
        }
    }
}
