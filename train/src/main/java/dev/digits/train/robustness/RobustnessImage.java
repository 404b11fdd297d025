package dev.digits.train.robustness;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * One generated image as a server receives it: the encoded file (PNG or JPEG) and what it shows — a digit, or
 * nothing that is a digit ({@link #NOT_A_DIGIT}).
 */
public final class RobustnessImage {
    /** The label of an image that holds no digit. */
    public static final int NOT_A_DIGIT = -1;

    private final byte[] bytes;
    private final String format;
    private final int label;
    private final int width;
    private final int height;
    private final String polarity;

    private RobustnessImage(byte[] bytes, String format, int label, int width, int height, String polarity) {
        this.bytes = bytes;
        this.format = format;
        this.label = label;
        this.width = width;
        this.height = height;
        this.polarity = polarity;
    }

    /** {@code image} encoded as PNG (alpha kept when it has some). */
    static RobustnessImage png(BufferedImage image, int label, String polarity) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(image, "png", out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new RobustnessImage(out.toByteArray(), "png", label, image.getWidth(), image.getHeight(), polarity);
    }

    /** {@code image} encoded as baseline JPEG at {@code quality} in (0, 1], as phones and browsers compress photos. */
    static RobustnessImage jpeg(BufferedImage image, double quality, int label, String polarity) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ImageOutputStream stream = ImageIO.createImageOutputStream(out)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality((float) quality);
            writer.setOutput(stream);
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return new RobustnessImage(out.toByteArray(), "jpeg", label, image.getWidth(), image.getHeight(), polarity);
    }

    /** The encoded file. */
    public byte[] bytes() {
        return bytes.clone();
    }

    /** {@code "png"} or {@code "jpeg"}. */
    public String format() {
        return format;
    }

    /** The digit shown (0–9), or {@link #NOT_A_DIGIT}. */
    public int label() {
        return label;
    }

    public boolean isDigit() {
        return label != NOT_A_DIGIT;
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** How ink and background relate: "light on dark", "dark on light", "dark on transparent" or "none" (empty). */
    public String polarity() {
        return polarity;
    }
}
