package dev.digits.serve.image;

import dev.digits.core.preprocess.DigitPreprocessor;
import dev.digits.core.preprocess.PreprocessedDigit;
import dev.digits.serve.TestModels;
import org.junit.jupiter.api.Test;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Decoding uploads into MNIST form, and refusing hostile ones before they cost memory. */
class ImageDigitReaderTest {
    private final ImageDigitReader reader = new ImageDigitReader(DigitPreprocessor.defaults(), 4096, 32 << 20);

    /** An MNIST digit drawn larger and with mid-grey anti-aliasing, as grey levels. */
    private static byte[] greyDigit(int side) {
        BufferedImage small = TestModels.mnistImage(0);
        byte[] out = new byte[side * side];
        for (int y = 0; y < side; y++) {
            for (int x = 0; x < side; x++) out[y * side + x] = (byte) small.getRaster().getSample(x * 28 / side, y * 28 / side, 0);
        }
        return out;
    }

    private static BufferedImage greyImage(byte[] grey, int side) {
        BufferedImage img = new BufferedImage(side, side, BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < grey.length; i++) img.getRaster().setSample(i % side, i / side, 0, grey[i] & 0xFF);
        return img;
    }

    /**
     * With the large images' budget full (decodes of photos in progress), a canvas-sized PNG is still decoded at once,
     * and another large image waits its queue time and is then refused as busy (503 with Retry-After) instead of
     * queueing without end.
     */
    @Test
    void smallImagesDoNotWaitBehindLargeOnesAndALargeOneFindingNoRoomIsBusy() {
        ImageDigitReader r = new ImageDigitReader(DigitPreprocessor.defaults(), 4096, 32 << 20, 200);
        byte[] canvas = TestModels.encode(greyImage(greyDigit(280), 280), "png");
        byte[] photo = TestModels.encode(greyImage(greyDigit(1200), 1200), "png");
        r.largeImageBudget().acquireUninterruptibly(32 << 20);
        try {
            assertTrue(r.read(canvas, "canvas").found(), "the canvas is read while large decodes fill their budget");
            ServerBusyException busy = assertThrows(ServerBusyException.class, () -> r.read(photo, "image"));
            assertTrue(busy.getMessage().contains("send image again"), busy.getMessage());
        } finally {
            r.largeImageBudget().release(32 << 20);
        }
        assertTrue(r.read(photo, "image").found(), "with room again the large image is read");
        assertEquals(0, r.pixelsInUse());
    }

    @Test
    void aGreyPngIsReadWithItsStoredValuesNotThroughAColourConversion() {
        byte[] grey = greyDigit(56);
        PreprocessedDigit d = reader.read(TestModels.encode(greyImage(grey, 56), "png"), "test");
        assertEquals(DigitPreprocessor.defaults().processGray(grey, 56, 56), d);
    }

    @Test
    void anRgbImageOfTheSameGreysGivesTheSameDigit() {
        byte[] grey = greyDigit(56);
        BufferedImage rgb = new BufferedImage(56, 56, BufferedImage.TYPE_INT_RGB);
        for (int i = 0; i < grey.length; i++) {
            int v = grey[i] & 0xFF;
            rgb.setRGB(i % 56, i / 56, v << 16 | v << 8 | v);
        }
        assertEquals(DigitPreprocessor.defaults().processGray(grey, 56, 56),
                reader.read(TestModels.encode(rgb, "png"), "test"));
    }

    @Test
    void aSixteenBitGreyPngGivesTheSameDigitAsEightBit() {
        byte[] grey = greyDigit(56);
        BufferedImage wide = new BufferedImage(56, 56, BufferedImage.TYPE_USHORT_GRAY);
        for (int i = 0; i < grey.length; i++) wide.getRaster().setSample(i % 56, i / 56, 0, (grey[i] & 0xFF) * 257);
        assertEquals(DigitPreprocessor.defaults().processGray(grey, 56, 56),
                reader.read(TestModels.encode(wide, "png"), "test"));
    }

    @Test
    void transparentPixelsAreCompositedOnWhite() {
        // Black ink on a fully transparent background: on white paper that is a dark digit on a light ground.
        byte[] grey = greyDigit(56);
        BufferedImage argb = new BufferedImage(56, 56, BufferedImage.TYPE_INT_ARGB);
        for (int i = 0; i < grey.length; i++) argb.setRGB(i % 56, i / 56, (grey[i] & 0xFF) << 24);
        PreprocessedDigit d = reader.read(TestModels.encode(argb, "png"), "test");
        assertTrue(d.found());
        assertTrue(d.inverted(), "dark ink on (white) paper is inverted into MNIST's polarity");
    }

    @Test
    void aHeaderAnnouncingAHugeImageIsRefusedBeforeDecoding() {
        byte[] bomb = pngHeaderOnly(50_000, 50_000);
        ImageTooLargeException e = assertThrows(ImageTooLargeException.class, () -> reader.read(bomb, "upload"));
        assertTrue(e.getMessage().contains("50000×50000") && e.getMessage().contains("4096"), e.getMessage());
        assertEquals(0, reader.pixelsInUse());
    }

    @Test
    void bytesInNoImageFormatAreUnreadable() {
        UnreadableImageException e = assertThrows(UnreadableImageException.class,
                () -> reader.read("hello".getBytes(StandardCharsets.UTF_8), "upload"));
        assertTrue(e.getMessage().contains("PNG, JPEG, GIF or BMP"), e.getMessage());
    }

    @Test
    void aPngWithDamagedDataIsUnreadableAndReleasesItsPixels() {
        byte[] broken = pngHeaderOnly(64, 64);
        assertThrows(UnreadableImageException.class, () -> reader.read(broken, "upload"));
        assertEquals(0, reader.pixelsInUse());
    }

    @Test
    void aBlankImageHoldsNoDigit() {
        assertTrue(!reader.read(TestModels.blankPng(100), "blank").found());
    }

    /** A PNG whose header claims {@code w × h} pixels, followed by a few bytes of meaningless image data. */
    private static byte[] pngHeaderOnly(int w, int h) {
        return TestPngs.fromRows(new byte[]{0, 1, 2, 3}, w, h, 0);
    }

    /** A phone photo of digit {@code i}: dark ink on unevenly lit, noisy paper, off-centre, 1600×1200 colour JPEG. */
    static byte[] photo(int i) {
        BufferedImage digit = TestModels.mnistImage(i);
        int w = 1600;
        int h = 1200;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        java.util.Random noise = new java.util.Random(i);
        int side = 560;
        int ox = 420 + 37 * (i % 7);
        int oy = 260 + 23 * (i % 5);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double paper = 205 + 30.0 * x / w - 20.0 * y / h + noise.nextGaussian() * 4;
                double ink = 0;
                int dx = x - ox;
                int dy = y - oy;
                if (dx >= 0 && dy >= 0 && dx < side && dy < side) ink = digit.getRaster().getSample(dx * 28 / side, dy * 28 / side, 0) / 255.0;
                int v = (int) Math.max(0, Math.min(255, paper * (1 - 0.8 * ink)));
                img.setRGB(x, y, (v << 16) | ((int) (v * 0.97) << 8) | (int) (v * 0.9));
            }
        }
        return TestModels.encode(img, "jpeg");
    }

    /** The largest mean |Δ| per pixel between {@code r}'s 28×28 digits and those of every pixel decoded, over 12 photos. */
    private static double worstAgainstFullDecode(ImageDigitReader r) throws Exception {
        double worst = 0;
        for (int i = 0; i < 12; i++) {
            byte[] jpeg = photo(i);
            PreprocessedDigit fast = r.read(jpeg, "photo");
            BufferedImage full = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(jpeg));
            PreprocessedDigit all = DigitPreprocessor.defaults().process(full.getRGB(0, 0, full.getWidth(), full.getHeight(), null, 0,
                    full.getWidth()), full.getWidth(), full.getHeight());
            assertTrue(fast.found() && all.found(), "digit " + i);
            double sum = 0;
            float[] a = fast.pixels();
            float[] b = all.pixels();
            for (int k = 0; k < a.length; k++) sum += Math.abs(a[k] - b[k]);
            worst = Math.max(worst, sum / a.length);
        }
        return worst;
    }

    @Test
    void largeJpegsAreDecodedSubsampledToWhatThePreprocessingNeedsAndGiveTheSameDigit() throws Exception {
        assertEquals(3, ImageDigitReader.subsampling(1600, 1200, "JPEG"));
        assertEquals(1, ImageDigitReader.subsampling(1600, 1200, "png"));
        assertEquals(1, ImageDigitReader.subsampling(640, 480, "png"));
        assertEquals(1, ImageDigitReader.subsampling(640, 480, "jpeg"));
        ImageDigitReader imageIO = new ImageDigitReader(DigitPreprocessor.defaults(), 4096, 32 << 20, 2_000, false);
        assertFalse(imageIO.usesTurboJpeg());
        double worst = worstAgainstFullDecode(imageIO);
        // The same 28×28 digit within a few grey levels on average: subsampling moves anti-aliased edges only.
        assertTrue(worst < 0.03, "mean |Δ| per pixel up to " + worst);
        System.out.println("subsampled photo decode: mean |Δ| per pixel at most " + worst);
    }

    @Test
    void withTurboJpegPhotosAreDecodedInTheDctDomainToGreyAndGiveTheSameDigit() throws Exception {
        // run-tests installs libturbojpeg-java and libturbojpeg0-dev; without them the server falls back to ImageIO.
        assertTrue(reader.usesTurboJpeg(), reader.jpegDecoder());
        // Powers of two only: at 3/8 or 1/4 the crop's rounding moved some photos' digits by a pixel (mean |Δ| 0.04–0.05).
        assertArrayEquals(new int[] {800, 600}, TurboJpeg.scaledSize(new TurboJpeg.Size(1600, 1200), 500));
        assertArrayEquals(new int[] {500, 375}, TurboJpeg.scaledSize(new TurboJpeg.Size(4000, 3000), 500));
        assertArrayEquals(new int[] {501, 376}, TurboJpeg.scaledSize(new TurboJpeg.Size(4001, 3001), 500));
        assertArrayEquals(new int[] {640, 480}, TurboJpeg.scaledSize(new TurboJpeg.Size(640, 480), 500));
        assertArrayEquals(new int[] {480, 360}, TurboJpeg.scaledSize(new TurboJpeg.Size(480, 360), 500));
        assertArrayEquals(new int[] {1, 1}, TurboJpeg.scaledSize(new TurboJpeg.Size(1, 1), 500));
        double worst = worstAgainstFullDecode(reader);
        assertTrue(worst < 0.03, "mean |Δ| per pixel up to " + worst);
        System.out.println("TurboJPEG photo decode: mean |Δ| per pixel at most " + worst);
    }

    @Test
    void withTurboJpegGreyAndProgressiveJpegsAreReadAndADamagedOneIsUnreadable() throws Exception {
        BufferedImage digit = TestModels.mnistImage(0);
        BufferedImage big = new BufferedImage(700, 700, BufferedImage.TYPE_BYTE_GRAY);
        java.awt.Graphics2D g = big.createGraphics();
        g.setRenderingHint(java.awt.RenderingHints.KEY_INTERPOLATION, java.awt.RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(digit, 50, 30, 560, 560, null);
        g.dispose();
        byte[] grey = TestModels.encode(big, "jpeg");
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageWriter writer = javax.imageio.ImageIO.getImageWritersByFormatName("jpeg").next();
        javax.imageio.ImageWriteParam param = writer.getDefaultWriteParam();
        param.setProgressiveMode(javax.imageio.ImageWriteParam.MODE_DEFAULT);
        try (javax.imageio.stream.ImageOutputStream ios = javax.imageio.ImageIO.createImageOutputStream(out)) {
            writer.setOutput(ios);
            writer.write(null, new javax.imageio.IIOImage(big, null, null), param);
        }
        writer.dispose();
        byte[] progressive = out.toByteArray();
        PreprocessedDigit reference = new ImageDigitReader(DigitPreprocessor.defaults(), 4096, 32 << 20, 2_000, false)
                .read(grey, "grey");
        assertTrue(reader.usesTurboJpeg(), reader.jpegDecoder());
        for (byte[] jpeg : new byte[][] {grey, progressive}) {
            PreprocessedDigit d = reader.read(jpeg, "jpeg");
            assertTrue(d.found());
            double sum = 0;
            for (int k = 0; k < d.pixels().length; k++) sum += Math.abs(d.pixels()[k] - reference.pixels()[k]);
            assertTrue(sum / d.pixels().length < 0.03, "mean |Δ| " + sum / d.pixels().length);
        }
        byte[] damaged = java.util.Arrays.copyOf(grey, grey.length / 3);
        for (int k = 600; k < damaged.length; k += 7) damaged[k] = (byte) 0xFF;
        UnreadableImageException e = assertThrows(UnreadableImageException.class, () -> reader.read(damaged, "image 2"));
        assertTrue(e.getMessage().startsWith("image 2 "), e.getMessage());
        assertEquals(0, reader.pixelsInUse());
    }
}
