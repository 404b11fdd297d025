package dev.digits.android;

import java.awt.Color;
import java.awt.GradientPaint;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;

import javax.imageio.ImageIO;

/**
 * Photos of a digit written on paper, as a phone camera returns them: the written digit in the middle of a sheet lit
 * unevenly (a brightness gradient), with sensor noise, saved as JPEG. Drawn with the JDK's imaging, not Android's, so
 * the app decodes a file it did not write.
 */
final class PhonePhotos {
    private PhonePhotos() {
    }

    /** A {@code width x height} JPEG of {@code digit} in dark ink on off-white paper, the digit a third of the height. */
    static byte[] digitOnPaper(StrokePad digit, int width, int height) {
        BufferedImage ink = new BufferedImage(DrawView.PAD_SIZE, DrawView.PAD_SIZE, BufferedImage.TYPE_INT_RGB);
        ink.setRGB(0, 0, DrawView.PAD_SIZE, DrawView.PAD_SIZE, digit.inkOnPaper(), 0, DrawView.PAD_SIZE);
        BufferedImage photo = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = photo.createGraphics();
        try {
            g.setPaint(new GradientPaint(0, 0, new Color(238, 232, 220), width, height, new Color(196, 190, 178)));
            g.fillRect(0, 0, width, height);
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setComposite(java.awt.AlphaComposite.getInstance(java.awt.AlphaComposite.SRC_OVER));
            int side = height * 3 / 4;
            // Multiply the ink into the paper: the sheet's shading stays under the strokes.
            BufferedImage scaled = new BufferedImage(side, side, BufferedImage.TYPE_INT_RGB);
            Graphics2D s = scaled.createGraphics();
            s.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            s.drawImage(ink, 0, 0, side, side, null);
            s.dispose();
            int x0 = (width - side) / 2;
            int y0 = (height - side) / 2;
            Random noise = new Random(7);
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    int paper = photo.getRGB(x, y);
                    int in = x >= x0 && x < x0 + side && y >= y0 && y < y0 + side ? scaled.getRGB(x - x0, y - y0)
                            : 0xFFFFFF;
                    int n = (int) Math.round(noise.nextGaussian() * 4);
                    photo.setRGB(x, y, multiply(paper, in, n));
                }
            }
        } finally {
            g.dispose();
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(photo, "jpeg", out)) throw new IOException("no JPEG writer");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static int multiply(int paper, int ink, int noise) {
        int rgb = 0;
        for (int shift = 16; shift >= 0; shift -= 8) {
            int v = ((paper >> shift) & 0xFF) * ((ink >> shift) & 0xFF) / 255 + noise;
            rgb |= Math.max(0, Math.min(255, v)) << shift;
        }
        return rgb;
    }
}
