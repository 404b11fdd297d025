package dev.digits.train.transfer;

import dev.digits.train.TestData;
import dev.digits.core.data.ImageSet;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes class folders of real image files, as a user would collect them: MNIST test digits drawn in dark ink on
 * white paper, enlarged to 56×56, saved alternately as PNG and JPEG.
 */
public final class ImageFolders {
    /** Side of the written images: twice MNIST's, so that preprocessing has to scale them. */
    public static final int SIDE = 56;

    private ImageFolders() {
    }

    /**
     * Writes {@code perClass} images of each digit into {@code root/<class name>/}.
     *
     * @param classes class (folder) name → the MNIST digit whose images it holds
     * @return {@code root}
     */
    public static Path writeDigits(Path root, Map<String, Integer> classes, int perClass) throws IOException {
        ImageSet test = TestData.mnist().test();
        for (Map.Entry<String, Integer> e : classes.entrySet()) {
            Path dir = Files.createDirectories(root.resolve(e.getKey()));
            int written = 0;
            for (int i = 0; i < test.size() && written < perClass; i++) {
                if (test.label(i) != e.getValue()) continue;
                String format = written % 2 == 0 ? "png" : "jpg";
                write(paper(test, i), dir.resolve(String.format("%s-%03d.%s", e.getKey(), written, format)), format);
                written++;
            }
        }
        return root;
    }

    /** Writes one image file in {@code format} (an ImageIO format name), failing loudly if ImageIO cannot. */
    public static void write(BufferedImage image, Path file, String format) throws IOException {
        if (!ImageIO.write(image, format, file.toFile())) throw new IOException("no ImageIO writer for " + format);
    }

    /** MNIST image {@code i} as dark ink on white, each pixel a 2×2 block. */
    static BufferedImage paper(ImageSet set, int i) {
        BufferedImage img = new BufferedImage(SIDE, SIDE, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < SIDE; y++) {
            for (int x = 0; x < SIDE; x++) {
                int v = 255 - set.pixel(i, y * set.height() / SIDE, x * set.width() / SIDE);
                img.setRGB(x, y, (v << 16) | (v << 8) | v);
            }
        }
        return img;
    }
}
