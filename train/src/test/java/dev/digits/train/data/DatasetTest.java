package dev.digits.train.data;

import dev.digits.core.artifact.InputContract.Preprocessing;
import dev.digits.core.data.ImageSet;
import dev.digits.core.preprocess.Deskew;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DatasetTest {
    /** One 28×28 digit: a stroke leaning right, bright on black. */
    private static ImageSet leaningStroke(int label) {
        byte[] px = new byte[28 * 28];
        for (int y = 4; y < 24; y++) {
            int cx = 18 - (y - 4) * 8 / 20;
            for (int x = cx - 1; x <= cx + 1; x++) px[y * 28 + x] = (byte) 255;
        }
        return new ImageSet(28, 28, px, new int[] {label}, ImageSet.digitClasses());
    }

    @Test
    void digitsBecomeDeskewedInputForAModelThatDeclaresIt() {
        Dataset mnist = new Dataset("mnist", leaningStroke(1), leaningStroke(7), Map.of("a", "b"));
        assertSame(mnist, mnist.asInputFor(Preprocessing.DIGIT));
        Dataset straight = mnist.asInputFor(Preprocessing.DIGIT_DESKEWED);
        assertEquals(Preprocessing.DIGIT_DESKEWED, straight.preprocessing());
        assertEquals("mnist", straight.name());
        assertEquals(mnist.checksums(), straight.checksums(), "the same files, prepared another way");
        assertArrayEquals(Deskew.images(mnist.train()).rawImage(0), straight.train().rawImage(0));
        assertArrayEquals(Deskew.images(mnist.test()).rawImage(0), straight.test().rawImage(0));
        assertEquals(7, straight.test().label(0));
        assertTrue(Math.abs(Deskew.slant(straight.test().image(0), 0)) < 0.05, "upright");
        assertSame(straight, straight.asInputFor(Preprocessing.DIGIT_DESKEWED));
    }

    @Test
    void picturesResizedWholeCannotBecomeDigitInput() {
        Dataset photos = new Dataset("photos", leaningStroke(0), leaningStroke(0), Map.of(), Preprocessing.RESIZE);
        DatasetException e = assertThrows(DatasetException.class, () -> photos.asInputFor(Preprocessing.DIGIT_DESKEWED));
        assertTrue(e.getMessage().contains("photos") && e.getMessage().contains("resize"), e.getMessage());
    }
}
