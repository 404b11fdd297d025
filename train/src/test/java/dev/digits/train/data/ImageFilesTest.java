package dev.digits.train.data;

import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageFilesTest {
    private static byte[] png(BufferedImage img) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }

    @Test
    void greyPngsKeepTheirStoredValues() throws IOException {
        BufferedImage grey = new BufferedImage(3, 1, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setPixels(0, 0, 3, 1, new int[] {0, 128, 255});
        ImageFiles.ArgbImage img = ImageFiles.decode(png(grey), "grey.png", 100);
        assertEquals(0xff000000, img.argb[0]);
        assertEquals(0xff808080, img.argb[1]);
        assertEquals(0xffffffff, img.argb[2]);
    }

    @Test
    void anImageLargerThanTheLimitIsRefusedFromItsHeader() throws IOException {
        byte[] big = png(new BufferedImage(300, 20, BufferedImage.TYPE_BYTE_GRAY));
        ImageFiles.ImageException e = assertThrows(ImageFiles.ImageException.class, () -> ImageFiles.decode(big, "big.png", 200));
        assertTrue(e.getMessage().contains("300×20") && e.getMessage().contains("200"), e.getMessage());
    }

    @Test
    void textIsNotAnImage() {
        ImageFiles.ImageException e = assertThrows(ImageFiles.ImageException.class,
                () -> ImageFiles.decode("hello".getBytes(StandardCharsets.UTF_8), "notes.txt", 100));
        assertTrue(e.getMessage().contains("notes.txt is not an image"), e.getMessage());
    }
}
