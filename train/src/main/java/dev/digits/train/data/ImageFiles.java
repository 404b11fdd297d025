package dev.digits.train.data;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;

/**
 * Decodes image files (PNG, JPEG, GIF, BMP — whatever ImageIO reads) into ARGB pixels, the form core's
 * preprocessing takes. Dimensions are read from the header and checked <em>before</em> the pixels are decoded, so a
 * small file claiming a huge image (a decompression bomb) is refused without allocating it.
 */
public final class ImageFiles {
    /** Largest width or height accepted by default. */
    public static final int MAX_SIDE = 4096;

    private ImageFiles() {
    }

    /** Decoded pixels: 0xAARRGGBB, row-major. */
    public static final class ArgbImage {
        public final int width;
        public final int height;
        public final int[] argb;

        public ArgbImage(int width, int height, int[] argb) {
            this.width = width;
            this.height = height;
            this.argb = argb;
        }
    }

    /** An image that cannot be decoded or is too large; the message names it. */
    public static final class ImageException extends dev.digits.core.error.InvalidInputException {
        public ImageException(String message) {
            super(message);
        }
    }

    /**
     * The pixels as ARGB. Grey images keep their stored values: {@code getRGB} would convert them from linear grey
     * to sRGB and brighten every mid-tone (a stored 128 reads as 188).
     */
    static int[] argb(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        if (img.getType() == BufferedImage.TYPE_BYTE_GRAY) {
            int[] grey = img.getRaster().getPixels(0, 0, w, h, (int[]) null);
            int[] out = new int[grey.length];
            for (int i = 0; i < grey.length; i++) out[i] = 0xff000000 | grey[i] * 0x010101;
            return out;
        }
        return img.getRGB(0, 0, w, h, null, 0, w);
    }

    /** Reads and decodes an image file. */
    public static ArgbImage read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString());
        return decode(Files.readAllBytes(file), file.toString(), MAX_SIDE);
    }

    /**
     * Decodes image bytes.
     *
     * @param source  what to call the image in messages
     * @param maxSide largest width or height accepted
     */
    public static ArgbImage decode(byte[] bytes, String source, int maxSide) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            Iterator<ImageReader> readers = in == null ? null : ImageIO.getImageReaders(in);
            if (readers == null || !readers.hasNext()) {
                throw new ImageException(source + " is not an image in a supported format (PNG, JPEG, GIF or BMP)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                int w = reader.getWidth(0);
                int h = reader.getHeight(0);
                if (w < 1 || h < 1) throw new ImageException(source + " has no pixels");
                if (w > maxSide || h > maxSide) {
                    throw new ImageException(source + " is " + w + "×" + h + " pixels; the largest accepted side is " + maxSide
                            + " — scale it down first");
                }
                BufferedImage img = reader.read(0);
                return new ArgbImage(w, h, argb(img));
            } catch (IOException | RuntimeException e) {
                if (e instanceof ImageException) throw e;
                throw new ImageException(source + " could not be decoded as " + reader.getFormatName() + ": "
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            } finally {
                reader.dispose();
            }
        }
    }
}
