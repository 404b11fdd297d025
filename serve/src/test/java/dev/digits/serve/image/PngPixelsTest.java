package dev.digits.serve.image;

import dev.digits.core.preprocess.DigitPreprocessor;
import dev.digits.serve.TestModels;
import org.junit.jupiter.api.Test;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import java.awt.Transparency;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The direct PNG decoder gives exactly ImageIO's pixels, for every layout it takes on, and refuses damaged files. */
class PngPixelsTest {
    private final Random random = new Random(7);

    /** A picture with smooth areas, edges and noise, so that encoders pick every scanline filter. */
    private int sample(int x, int y, int band) {
        int v = (x * 7 + y * 3 + band * 50) & 0xFF;
        if ((x / 5 + y / 7) % 3 == 0) v = random.nextInt(256);
        return v;
    }

    private BufferedImage picture(int type, int w, int h) {
        BufferedImage img = new BufferedImage(w, h, type);
        WritableRaster r = img.getRaster();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int b = 0; b < r.getNumBands(); b++) r.setSample(x, y, b, sample(x, y, b));
            }
        }
        return img;
    }

    private BufferedImage greyAlpha(int w, int h) {
        ComponentColorModel cm = new ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_GRAY), true, false,
                Transparency.TRANSLUCENT, DataBuffer.TYPE_BYTE);
        WritableRaster r = cm.createCompatibleWritableRaster(w, h);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) for (int b = 0; b < 2; b++) r.setSample(x, y, b, sample(x, y, b));
        return new BufferedImage(cm, r, false, null);
    }

    /** The samples ImageIO decodes, packed as PngPixels packs them. */
    private static PngPixels.Pixels viaImageIO(byte[] png) throws IOException {
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
        Raster r = img.getRaster();
        int w = img.getWidth();
        int h = img.getHeight();
        int bands = r.getNumBands();
        if (bands == 1) {
            byte[] grey = new byte[w * h];
            for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) grey[y * w + x] = (byte) r.getSample(x, y, 0);
            return new PngPixels.Pixels(grey, null);
        }
        int[] argb = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int red = r.getSample(x, y, 0);
                int g = bands >= 3 ? r.getSample(x, y, 1) : red;
                int b = bands >= 3 ? r.getSample(x, y, 2) : red;
                int a = bands == 2 ? r.getSample(x, y, 1) : bands == 4 ? r.getSample(x, y, 3) : 255;
                argb[y * w + x] = a << 24 | red << 16 | g << 8 | b;
            }
        }
        return new PngPixels.Pixels(null, argb);
    }

    private static void assertSamePixels(byte[] png) throws IOException {
        PngPixels.Header h = PngPixels.header(png, "test");
        assertTrue(PngPixels.supports(png, h), "colour type " + h.colorType + " is decoded directly");
        PngPixels.Pixels mine = PngPixels.decode(png, h, "test");
        PngPixels.Pixels theirs = viaImageIO(png);
        if (theirs.grey != null) {
            assertArrayEquals(theirs.grey, mine.grey);
        } else {
            assertArrayEquals(theirs.argb, argbOf(mine));
        }
    }

    /** The pixels as ARGB, grey levels as opaque grey. */
    private static int[] argbOf(PngPixels.Pixels p) {
        if (p.argb != null) return p.argb;
        int[] argb = new int[p.grey.length];
        for (int i = 0; i < argb.length; i++) argb[i] = 0xFF000000 | (p.grey[i] & 0xFF) * 0x010101;
        return argb;
    }

    /** {@code argb} as {@code channels} samples a pixel (3: RGB, 4: RGBA), row-major. */
    private static byte[] samples(int[] argb, int channels) {
        byte[] out = new byte[argb.length * channels];
        for (int i = 0; i < argb.length; i++) {
            int p = argb[i];
            out[i * channels] = (byte) (p >>> 16);
            out[i * channels + 1] = (byte) (p >>> 8);
            out[i * channels + 2] = (byte) p;
            if (channels == 4) out[i * channels + 3] = (byte) (p >>> 24);
        }
        return out;
    }

    /** A canvas-like grey picture: a flat background, a soft stroke and some noise, {@code alpha} everywhere. */
    private int[] greyPicture(int w, int h, int alpha) {
        int[] argb = new int[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int d = Math.abs(x - y);
                int v = d < 4 ? 255 - 60 * d : (x * y) % 11 == 0 ? random.nextInt(256) : 0;
                argb[y * w + x] = alpha << 24 | v * 0x010101;
            }
        }
        return argb;
    }

    @Test
    void greyPngsDecodeToImageIOsSamples() throws IOException {
        assertSamePixels(TestModels.encode(picture(BufferedImage.TYPE_BYTE_GRAY, 61, 47), "png"));
    }

    @Test
    void greyWithAlphaPngsDecodeToImageIOsSamples() throws IOException {
        assertSamePixels(TestModels.encode(greyAlpha(33, 50), "png"));
    }

    @Test
    void rgbPngsDecodeToImageIOsSamples() throws IOException {
        assertSamePixels(TestModels.encode(picture(BufferedImage.TYPE_3BYTE_BGR, 40, 41), "png"));
    }

    @Test
    void rgbaPngsDecodeToImageIOsSamples() throws IOException {
        assertSamePixels(TestModels.encode(picture(BufferedImage.TYPE_4BYTE_ABGR, 29, 64), "png"));
    }

    @Test
    void everyScanlineFilterIsUndone() throws IOException {
        int w = 23;
        int h = 15;
        int[] argb = new int[w * h];
        for (int i = 0; i < argb.length; i++) argb[i] = random.nextInt();
        byte[] png = rgbaPngWithFilters(argb, w, h);
        assertArrayEquals(argb, PngPixels.decode(png, PngPixels.header(png, "t"), "t").argb);
        assertArrayEquals(argb, viaImageIO(png).argb, "the hand-made file is a valid PNG");
    }

    @Test
    void everyScanlineFilterIsUndoneOnTheFirstRowToo() throws IOException {
        int w = 9;
        int h = 6;
        for (int first = 0; first < 5; first++) {
            int[] argb = new int[w * h];
            for (int i = 0; i < argb.length; i++) argb[i] = random.nextInt();
            byte[] png = rgbaPngWithFilters(argb, w, h, first);
            assertArrayEquals(argb, PngPixels.decode(png, PngPixels.header(png, "t"), "t").argb, "first row filter " + first);
        }
    }

    @Test
    void everyScanlineFilterIsUndoneOnGreyRows() throws IOException {
        // Flat runs, steps and noise, so that Paeth meets a flat row above, equal left and upper-left neighbours,
        // and neither.
        int w = 37;
        int h = 25;
        byte[] grey = new byte[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int v;
                if (y % 7 == 0 || x < 5) v = 12;
                else if (x % 9 < 3) v = 200 + y;
                else v = random.nextInt(256);
                grey[y * w + x] = (byte) v;
            }
        }
        for (int first = 0; first < 5; first++) {
            byte[] png = TestPngs.fromRows(filtered(grey, w, h, 1, first), w, h, 0);
            assertArrayEquals(grey, PngPixels.decode(png, PngPixels.header(png, "t"), "t").grey, "first row filter " + first);
            BufferedImage read = ImageIO.read(new ByteArrayInputStream(png));
            for (int i = 0; i < grey.length; i++) {
                assertEquals(grey[i] & 0xFF, read.getRaster().getSample(i % w, i / w, 0), "ImageIO reads the hand-made file so");
            }
        }
    }

    @Test
    void canvasRowsDecodeExactlyWhereLongRunsAreUnfilteredEightBytesAtATime() throws IOException {
        // Thick anti-aliased strokes on a flat background, both polarities, 283 wide so that rows end mid-word: Paeth
        // rows then hold long runs of zero residuals under a flat row (the left byte repeated), under a stroke with
        // equal left and upper-left bytes (the row above repeated), and under a stroke's edge (neither).
        int w = 283;
        int h = 96;
        for (int background : new int[] {0, 255}) {
            BufferedImage canvas = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
            java.awt.Graphics2D g = canvas.createGraphics();
            g.setRenderingHint(java.awt.RenderingHints.KEY_ANTIALIASING, java.awt.RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(new java.awt.Color(background, background, background));
            g.fillRect(0, 0, w, h);
            g.setColor(new java.awt.Color(255 - background, 255 - background, 255 - background));
            g.setStroke(new java.awt.BasicStroke(17, java.awt.BasicStroke.CAP_ROUND, java.awt.BasicStroke.JOIN_ROUND));
            g.drawOval(20, 12, 90, 70);
            g.drawLine(150, 5, 160, 90);
            g.fillRect(200, 10, 41, 80);
            g.drawLine(230, 50, 282, 60);
            g.dispose();
            byte[] grey = ((java.awt.image.DataBufferByte) canvas.getRaster().getDataBuffer()).getData().clone();
            for (int first = 0; first < 6; first++) {
                // 0 to 4: the filters in turn from that one; 5: Paeth on every row, as encoders choose for canvases.
                byte[] rows = first < 5 ? filtered(grey, w, h, 1, first) : filteredBy(grey, w, h, 1, y -> 4);
                byte[] png = TestPngs.fromRows(rows, w, h, 0);
                String what = "background " + background + ", first row filter " + first;
                assertArrayEquals(grey, PngPixels.decode(png, PngPixels.header(png, "t"), "t").grey, what);
                BufferedImage read = ImageIO.read(new ByteArrayInputStream(png));
                for (int i = 0; i < grey.length; i++) {
                    assertEquals(grey[i] & 0xFF, read.getRaster().getSample(i % w, i / w, 0), "ImageIO, " + what);
                }
            }
        }
    }

    @Test
    void theZlibHeaderIsCheckedAndTheChecksumIsNot() throws IOException {
        int w = 40;
        int h = 30;
        byte[] grey = new byte[w * h];
        for (int i = 0; i < grey.length; i++) grey[i] = (byte) (i % 97 < 60 ? 0 : 255 - i % 97);
        byte[] png = TestPngs.fromRows(filtered(grey, w, h, 1, 4), w, h, 0);
        int idat = 33 + 8;
        // The Adler-32 is the IDAT data's last four bytes: changing it changes no pixel (libpng can be told the same).
        byte[] otherChecksum = png.clone();
        otherChecksum[idat + readLength(png, 33) - 1] ^= 0x5A;
        assertArrayEquals(grey, PngPixels.decode(otherChecksum, PngPixels.header(otherChecksum, "t"), "t").grey);
        // A header whose two bytes are no multiple of 31, or that names a preset dictionary, is damage.
        for (int change : new int[] {0x01, 0x20}) {
            byte[] badHeader = png.clone();
            badHeader[idat + 1] ^= (byte) change;
            UnreadableImageException e = assertThrows(UnreadableImageException.class,
                    () -> PngPixels.decode(badHeader, PngPixels.header(badHeader, "upload"), "upload"));
            assertTrue(e.getMessage().contains("upload") && e.getMessage().contains("zlib header"), e.getMessage());
        }
    }

    private static int readLength(byte[] png, int at) {
        return (png[at] & 0xFF) << 24 | (png[at + 1] & 0xFF) << 16 | (png[at + 2] & 0xFF) << 8 | (png[at + 3] & 0xFF);
    }

    @Test
    void opaqueGreyWrittenAsRgbOrRgbaDecodesToGreyLevels() throws IOException {
        int w = 31;
        int h = 22;
        int[] argb = greyPicture(w, h, 0xFF);
        for (int channels = 3; channels <= 4; channels++) {
            for (int first = 0; first < 5; first++) {
                byte[] png = TestPngs.fromRows(filtered(samples(argb, channels), w * channels, h, channels, first), w, h,
                        channels == 4 ? 6 : 2);
                PngPixels.Pixels p = PngPixels.decode(png, PngPixels.header(png, "t"), "t");
                assertTrue(p.grey != null, "an opaque grey image comes out as grey levels");
                assertArrayEquals(argb, argbOf(p), channels + " channels, first row filter " + first);
                assertArrayEquals(argb, viaImageIO(png).argb, "ImageIO reads the hand-made file so");
            }
        }
        // Encoded by ImageIO, which picks the filters itself.
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
        img.setRGB(0, 0, w, h, argb, 0, w);
        byte[] png = TestModels.encode(img, "png");
        assertTrue(PngPixels.decode(png, PngPixels.header(png, "t"), "t").grey != null);
        assertSamePixels(png);
    }

    @Test
    void largePicturesAsRgbAreToldGreyOrColour() throws IOException {
        // Above a megapixel an RGB(A) image is checked for grey before it is split into planes.
        int w = 1100;
        int h = 1000;
        int[] argb = greyPicture(w, h, 0xFF);
        byte[] png = TestPngs.fromRows(filtered(samples(argb, 3), w * 3, h, 3, 4), w, h, 2);
        PngPixels.Pixels grey = PngPixels.decode(png, PngPixels.header(png, "t"), "t");
        assertTrue(grey.grey != null);
        assertArrayEquals(argb, argbOf(grey));
        argb[w * h - 1] = 0xFF204060;
        png = TestPngs.fromRows(filtered(samples(argb, 3), w * 3, h, 3, 4), w, h, 2);
        assertArrayEquals(argb, PngPixels.decode(png, PngPixels.header(png, "t"), "t").argb);
    }

    @Test
    void translucentGreyWrittenAsRgbaKeepsItsAlpha() throws IOException {
        int w = 19;
        int h = 17;
        int[] argb = greyPicture(w, h, 0xFF);
        for (int i = 0; i < argb.length; i += 3) argb[i] = (argb[i] & 0xFFFFFF) | (i * 37 & 0xFF) << 24;
        for (int first = 0; first < 5; first++) {
            byte[] png = TestPngs.fromRows(filtered(samples(argb, 4), w * 4, h, 4, first), w, h, 6);
            PngPixels.Pixels p = PngPixels.decode(png, PngPixels.header(png, "t"), "t");
            assertArrayEquals(argb, p.argb, "first row filter " + first);
        }
    }

    @Test
    void opacityIsReadFromTheAlphaResidualsWhateverTheFilters() throws IOException {
        // Opaque grey with alpha (grey-alpha and RGBA) comes out as grey levels; one translucent pixel, first or
        // last, keeps the alpha plane, including the rows already split while the image still looked opaque.
        int w = 13;
        int h = 9;
        for (int translucent : new int[] {-1, 0, w * h - 1, w * (h / 2)}) {
            int[] argb = greyPicture(w, h, 0xFF);
            if (translucent >= 0) argb[translucent] = (argb[translucent] & 0xFFFFFF) | 0xFE000000;
            byte[] ga = new byte[w * h * 2];
            for (int i = 0; i < argb.length; i++) {
                ga[2 * i] = (byte) argb[i];
                ga[2 * i + 1] = (byte) (argb[i] >>> 24);
            }
            for (int first = 0; first < 5; first++) {
                byte[][] rows = {filtered(ga, w * 2, h, 2, first), filtered(samples(argb, 4), w * 4, h, 4, first)};
                for (int channels : new int[] {2, 4}) {
                    byte[] filteredRows = rows[channels / 2 - 1];
                    String what = channels + " channels, translucent pixel " + translucent + ", first row filter " + first;
                    // Told opaque from the residuals alone: no alpha plane is kept to be unfiltered and scanned.
                    byte[][] planes = PngPixels.greyPlanes(filteredRows.clone(), w, h, channels);
                    assertEquals(translucent >= 0, planes[1] != null, what);
                    byte[] png = TestPngs.fromRows(filteredRows, w, h, channels == 2 ? 4 : 6);
                    PngPixels.Pixels p = PngPixels.decode(png, PngPixels.header(png, "t"), "t");
                    assertEquals(translucent < 0, p.grey != null, what);
                    assertArrayEquals(argb, argbOf(p), what);
                    assertArrayEquals(argb, viaImageIO(png).argb, "ImageIO reads the hand-made file so");
                }
            }
        }
    }

    @Test
    void oneColouredPixelKeepsAnImageInColour() throws IOException {
        int w = 23;
        int h = 14;
        // Red, green or blue alone differing from the other two is colour too.
        for (int colour : new int[] {0xFF102030, 0xFF301010, 0xFF103010, 0xFF101030}) {
            for (int channels = 3; channels <= 4; channels++) {
                int[] argb = greyPicture(w, h, 0xFF);
                argb[w * h - 2] = colour;
                byte[] png = TestPngs.fromRows(filtered(samples(argb, channels), w * channels, h, channels, 4), w, h,
                        channels == 4 ? 6 : 2);
                assertArrayEquals(argb, PngPixels.decode(png, PngPixels.header(png, "t"), "t").argb,
                        channels + " channels, colour " + Integer.toHexString(colour));
            }
        }
    }

    @Test
    void theDirectPathAndImageIOGiveTheSameDigit() {
        ImageDigitReader reader = new ImageDigitReader(DigitPreprocessor.defaults(), 4096, 32 << 20);
        for (int i = 0; i < 20; i++) {
            byte[] png = TestModels.mnistPng(i);
            assertEquals(reader.readWithImageIO(png, "x"), reader.read(png, "x"), "MNIST test image " + i);
        }
    }

    @Test
    void interlacedPalettedAndSixteenBitPngsAreLeftToImageIO() throws IOException {
        BufferedImage grey = TestModels.mnistImage(0);
        byte[] interlaced = interlaced(grey);
        assertFalse(PngPixels.supports(interlaced, PngPixels.header(interlaced, "t")));
        BufferedImage indexed = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_INDEXED);
        indexed.getGraphics().drawImage(grey, 0, 0, null);
        byte[] paletted = TestModels.encode(indexed, "png");
        assertFalse(PngPixels.supports(paletted, PngPixels.header(paletted, "t")));
        byte[] wide = TestModels.encode(picture(BufferedImage.TYPE_USHORT_GRAY, 10, 10), "png");
        assertFalse(PngPixels.supports(wide, PngPixels.header(wide, "t")));
        ImageDigitReader reader = new ImageDigitReader(DigitPreprocessor.defaults(), 4096, 32 << 20);
        assertEquals(reader.read(TestModels.mnistPng(0), "x"), reader.read(interlaced, "x"));
    }

    @Test
    void aPngCutShortIsReportedAsTruncatedOrDamaged() {
        byte[] png = TestModels.encode(picture(BufferedImage.TYPE_BYTE_GRAY, 64, 64), "png");
        for (int keep : new int[]{40, png.length / 2, png.length - 20}) {
            byte[] cut = Arrays.copyOf(png, keep);
            UnreadableImageException e = assertThrows(UnreadableImageException.class,
                    () -> PngPixels.decode(cut, PngPixels.header(cut, "upload"), "upload"), "kept " + keep);
            assertTrue(e.getMessage().contains("upload"), e.getMessage());
        }
    }

    @Test
    void anUnknownScanlineFilterIsReported() throws IOException {
        byte[] png = TestPngs.fromRows(new byte[]{9, 1, 2, 3}, 3, 1, 0);
        UnreadableImageException e = assertThrows(UnreadableImageException.class,
                () -> PngPixels.decode(png, PngPixels.header(png, "upload"), "upload"));
        assertTrue(e.getMessage().contains("filter 9"), e.getMessage());
    }

    private static byte[] interlaced(BufferedImage img) throws IOException {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(null, new IIOImage(img, null, null), param);
        }
        writer.dispose();
        byte[] png = bytes.toByteArray();
        assertEquals(1, png[28], "the writer interlaced the file");
        return png;
    }

    /** An RGBA PNG whose row y is written with scanline filter y % 5. */
    private static byte[] rgbaPngWithFilters(int[] argb, int w, int h) throws IOException {
        return rgbaPngWithFilters(argb, w, h, 0);
    }

    /** Row y filtered with filter (y + firstFilter) % 5, each by the specification's own definition. */
    private static byte[] rgbaPngWithFilters(int[] argb, int w, int h, int firstFilter) throws IOException {
        return TestPngs.fromRows(filtered(samples(argb, 4), w * 4, h, 4, firstFilter), w, h, 6);
    }

    /** Rows of {@code stride} sample bytes, row y filtered with filter (y + firstFilter) % 5, {@code bpp} bytes a pixel. */
    private static byte[] filtered(byte[] samples, int stride, int h, int bpp, int firstFilter) {
        return filteredBy(samples, stride, h, bpp, y -> (y + firstFilter) % 5);
    }

    /** Rows filtered as a PNG encoder does, row {@code y} with filter {@code filterOfRow(y)}. */
    private static byte[] filteredBy(byte[] samples, int stride, int h, int bpp,
                                     java.util.function.IntUnaryOperator filterOfRow) {
        byte[] rows = new byte[h * (stride + 1)];
        for (int y = 0; y < h; y++) {
            int filter = filterOfRow.applyAsInt(y);
            int o = y * (stride + 1);
            int cur = y * stride;
            int prev = cur - stride;
            rows[o] = (byte) filter;
            for (int i = 0; i < stride; i++) {
                int a = i >= bpp ? samples[cur + i - bpp] & 0xFF : 0;
                int b = y > 0 ? samples[prev + i] & 0xFF : 0;
                int c = i >= bpp && y > 0 ? samples[prev + i - bpp] & 0xFF : 0;
                int predictor;
                switch (filter) {
                    case 1: predictor = a; break;
                    case 2: predictor = b; break;
                    case 3: predictor = (a + b) >>> 1; break;
                    case 4: {
                        int p = a + b - c;
                        int pa = Math.abs(p - a);
                        int pb = Math.abs(p - b);
                        int pc = Math.abs(p - c);
                        predictor = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
                        break;
                    }
                    default: predictor = 0;
                }
                rows[o + 1 + i] = (byte) (samples[cur + i] - predictor);
            }
        }
        return rows;
    }
}
