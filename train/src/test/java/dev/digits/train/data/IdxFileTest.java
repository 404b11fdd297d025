package dev.digits.train.data;

import dev.digits.core.data.IdxFile;
import dev.digits.core.data.ImageSet;
import dev.digits.core.error.InvalidInputException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxFileTest {
    @TempDir
    Path dir;

    static byte[] images(int count, int h, int w) {
        ByteBuffer b = ByteBuffer.allocate(16 + count * h * w);
        b.putInt(IdxFile.IMAGES_MAGIC).putInt(count).putInt(h).putInt(w);
        for (int i = 0; i < count * h * w; i++) b.put((byte) (i % 251));
        return b.array();
    }

    static byte[] labels(int... values) {
        ByteBuffer b = ByteBuffer.allocate(8 + values.length);
        b.putInt(IdxFile.LABELS_MAGIC).putInt(values.length);
        for (int v : values) b.put((byte) v);
        return b.array();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(raw);
        }
        return out.toByteArray();
    }

    @Test
    void readsAValidImageFileRawAndGzipped() throws IOException {
        byte[] raw = images(3, 4, 5);
        Files.write(dir.resolve("raw"), raw);
        Files.write(dir.resolve("zipped.gz"), gzip(raw));
        IdxFile a = IdxFile.read(dir.resolve("raw"), IdxFile.IMAGES_MAGIC);
        IdxFile b = IdxFile.read(dir.resolve("zipped.gz"), IdxFile.IMAGES_MAGIC);
        assertArrayEquals(new int[] {3, 4, 5}, a.dims());
        assertArrayEquals(a.data(), b.data());
        assertEquals(60, a.data().length);
        assertEquals(7, a.data()[7]);
    }

    @Test
    void truncatedDataIsRejectedSayingHowMuchIsMissing() {
        byte[] cut = Arrays.copyOf(images(3, 4, 5), 16 + 50);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> IdxFile.parse(cut, IdxFile.IMAGES_MAGIC, "imgs"));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("60") && e.getMessage().contains("50"), e.getMessage());
    }

    @Test
    void truncatedGzipIsRejectedAsDamaged() throws IOException {
        byte[] gz = gzip(images(20, 28, 28));
        Files.write(dir.resolve("cut.gz"), Arrays.copyOf(gz, gz.length / 2));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> IdxFile.read(dir.resolve("cut.gz"), IdxFile.IMAGES_MAGIC));
        assertTrue(e.getMessage().contains("damaged gzip"), e.getMessage());
    }

    @Test
    void wrongMagicNumberNamesBothNumbers() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> IdxFile.parse(labels(1, 2), IdxFile.IMAGES_MAGIC, "x"));
        assertTrue(e.getMessage().contains("0x00000801") && e.getMessage().contains("0x00000803"), e.getMessage());
    }

    @Test
    void extraBytesAfterTheDataAreCorruption() {
        byte[] longer = Arrays.copyOf(labels(1, 2, 3), 8 + 3 + 5);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> IdxFile.parse(longer, IdxFile.LABELS_MAGIC, "x"));
        assertTrue(e.getMessage().contains("5 bytes after"), e.getMessage());
    }

    @Test
    void imageAndLabelCountMismatchIsRejected() {
        IdxFile imgs = IdxFile.parse(images(3, 2, 2), IdxFile.IMAGES_MAGIC, "imgs");
        IdxFile lbls = IdxFile.parse(labels(1, 2), IdxFile.LABELS_MAGIC, "lbls");
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> IdxDatasets.toImageSet(imgs, lbls, ImageSet.digitClasses(), "imgs"));
        assertTrue(e.getMessage().contains("3 images") && e.getMessage().contains("2 labels"), e.getMessage());
    }

    @Test
    void mnistRefusesAFileThatIsNotTheStandardOne() throws IOException {
        for (Mnist.Part p : Mnist.Part.values()) {
            byte[] content = p.magic == IdxFile.IMAGES_MAGIC ? images(2, 28, 28) : labels(1, 2);
            Files.write(dir.resolve(p.fileName() + ".gz"), gzip(content));
        }
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Mnist.load(dir, false, List.of()));
        assertTrue(e.getMessage().contains("not the standard MNIST") && e.getMessage().contains("SHA-256"), e.getMessage());
    }

    @Test
    void missingMnistWithoutNetworkTellsTheUserHowToSupplyIt() {
        // An unreachable mirror (nothing listens on port 9 locally) stands for "no network".
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> Mnist.load(dir.resolve("empty"), true, List.of("http://127.0.0.1:9/mnist/")));
        assertTrue(e.getMessage().contains("could not be downloaded") && e.getMessage().contains("--data")
                && e.getMessage().contains("DIGITS_DATA_DIR"), e.getMessage());
    }

    @Test
    void theRealMnistFilesLoadWithTheirStandardCounts() throws IOException {
        Dataset mnist = dev.digits.train.TestData.mnist();
        assertEquals(60_000, mnist.train().size());
        assertEquals(10_000, mnist.test().size());
        assertEquals(28, mnist.train().height());
        assertEquals(5, mnist.train().label(0));
        assertEquals(7, mnist.test().label(0));
        int[] counts = mnist.train().classCounts();
        assertEquals(60_000, Arrays.stream(counts).sum());
        assertTrue(Arrays.stream(counts).allMatch(c -> c > 5000));
    }
}
