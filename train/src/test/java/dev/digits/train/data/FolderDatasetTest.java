package dev.digits.train.data;

import dev.digits.core.error.InvalidInputException;
import dev.digits.core.preprocess.ResizePreprocessor;
import dev.digits.core.data.ImageSet;
import dev.digits.train.TestData;
import dev.digits.train.data.FolderDataset.Preprocessing;
import dev.digits.train.transfer.ImageFolders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Class folders of real PNG and JPEG files, written by each test, read as a user's dataset. */
class FolderDatasetTest {
    @TempDir
    Path dir;

    private Path digits(int zeros, int ones, int sevens) throws IOException {
        Path root = dir.resolve("digits");
        ImageFolders.writeDigits(root, Map.of("zero", 0), zeros);
        ImageFolders.writeDigits(root, Map.of("one", 1), ones);
        ImageFolders.writeDigits(root, Map.of("seven", 7), sevens);
        return root;
    }

    @Test
    void classesAreTheSortedFolderNamesWithTheirImageCountsAndAStratifiedSplit() throws IOException {
        FolderDataset f = FolderDataset.builder(digits(10, 12, 5)).load();
        assertEquals(List.of("one", "seven", "zero"), f.classNames());
        assertEquals(Map.of("one", 12, "seven", 5, "zero", 10), f.classCounts());
        // 20% of each class, rounded, at least one: 12 → 2, 5 → 1, 10 → 2.
        assertArrayEquals(new int[] {2, 1, 2}, f.dataset().test().classCounts());
        assertArrayEquals(new int[] {10, 4, 8}, f.dataset().train().classCounts());
        assertEquals(28, f.dataset().train().height());
        assertEquals(List.of("one/", "seven/", "zero/"), List.copyOf(f.dataset().checksums().keySet()));
        assertTrue(f.summary().contains("seven") && f.summary().contains("3 classes, 27 images"), f.summary());
        assertTrue(f.skipped().isEmpty());
        assertEquals("digit", f.cardEntries().get("preprocessing"));
        assertEquals(0.2, f.cardEntries().get("validationSplit"));
    }

    @Test
    void theSameFilesAndSeedGiveTheSameSplitAndAnotherSeedAnother() throws IOException {
        Path root = digits(15, 15, 15);
        FolderDataset a = FolderDataset.builder(root).seed(7).load();
        FolderDataset b = FolderDataset.builder(root).seed(7).load();
        FolderDataset c = FolderDataset.builder(root).seed(8).load();
        assertArrayEquals(pixels(a.dataset().test()), pixels(b.dataset().test()));
        assertArrayEquals(pixels(a.dataset().train()), pixels(b.dataset().train()));
        assertFalse(Arrays.equals(pixels(a.dataset().test()), pixels(c.dataset().test())), "another seed holds out other images");
        assertEquals(a.dataset().checksums(), c.dataset().checksums(), "the checksums describe the files, not the split");
    }

    @Test
    void checksumsChangeWhenAnImageChanges() throws IOException {
        Path root = digits(4, 4, 4);
        Map<String, String> before = FolderDataset.builder(root).load().dataset().checksums();
        Path victim;
        try (var s = Files.list(root.resolve("one"))) {
            victim = s.sorted().findFirst().orElseThrow();
        }
        Files.copy(root.resolve("zero").resolve("zero-000.png"), victim, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Map<String, String> after = FolderDataset.builder(root).load().dataset().checksums();
        assertNotEquals(before.get("one/"), after.get("one/"));
        assertEquals(before.get("zero/"), after.get("zero/"));
    }

    @Test
    void digitPreprocessingTurnsDarkInkOnWhitePaperBackIntoMnistForm() throws IOException {
        Path root = dir.resolve("one-each");
        ImageFolders.writeDigits(root, Map.of("a", 0, "b", 1), 2);
        FolderDataset f = FolderDataset.builder(root).validationFraction(0.5).load();
        ImageSet all = f.dataset().train();
        ImageSet mnist = TestData.mnist().test();
        int firstZero = 0;
        while (mnist.label(firstZero) != 0) firstZero++;
        // The light-on-dark MNIST image and its re-preprocessed paper version agree closely (JPEG and rescaling blur a little).
        double best = 0;
        for (int i = 0; i < all.size(); i++) if (all.label(i) == 0) best = Math.max(best, correlation(all.rawImage(i), mnist.rawImage(firstZero)));
        ImageSet val = f.dataset().test();
        for (int i = 0; i < val.size(); i++) if (val.label(i) == 0) best = Math.max(best, correlation(val.rawImage(i), mnist.rawImage(firstZero)));
        assertTrue(best > 0.8, "correlation with the MNIST original: " + best);
        for (int i = 0; i < all.size(); i++) {
            assertEquals(0, all.pixel(i, 0, 0), "the paper became MNIST's black background");
            assertTrue(all.pixel(i, 14, 14) + all.pixel(i, 13, 13) + all.pixel(i, 14, 13) + all.pixel(i, 13, 14) > 0
                    || all.label(i) == 0, "a 1 is centred: ink in the middle");
        }
    }

    @Test
    void resizeKeepsPolarityAndScalesTheWholeImage() throws IOException {
        Path root = dir.resolve("shapes");
        for (String c : new String[] {"left", "right"}) Files.createDirectories(root.resolve(c));
        for (int k = 0; k < 3; k++) {
            ImageFolders.write(halves(true), root.resolve("left").resolve(k + ".png"), "png");
            ImageFolders.write(halves(false), root.resolve("right").resolve(k + ".bmp"), "bmp");
        }
        FolderDataset f = FolderDataset.builder(root).preprocessing(Preprocessing.RESIZE).imageSize(14, 14).load();
        ImageSet train = f.dataset().train();
        assertEquals(14, train.width());
        for (int i = 0; i < train.size(); i++) {
            boolean darkLeft = train.label(i) == 0;
            assertEquals(darkLeft ? 0 : 255, train.pixel(i, 5, 3));
            assertEquals(darkLeft ? 255 : 0, train.pixel(i, 5, 10));
        }
    }

    @Test
    void resizeAveragesTheAreaEachOutputPixelCovers() {
        int[] argb = {0xff000000, 0xffffffff, 0xff000000, 0xffffffff, 0xff646464, 0xff646464};
        byte[] out = new ResizePreprocessor(1, 2).resize(argb, 3, 2);
        // Rows [0, 255, 0] and [255, 100, 100]; each output pixel covers one and a half columns of both rows.
        assertEquals(Math.round((0 + 0.5 * 255 + 255 + 0.5 * 100) / 3), out[0] & 0xff);
        assertEquals(Math.round((0.5 * 255 + 0 + 0.5 * 100 + 100) / 3), out[1] & 0xff);
    }

    @Test
    void linkedClassFoldersAndNestedFoldersAreRead() throws IOException {
        Path elsewhere = dir.resolve("elsewhere");
        ImageFolders.writeDigits(elsewhere, Map.of("sevens", 7), 3);
        Path root = dir.resolve("linked");
        ImageFolders.writeDigits(root.resolve("zero").resolve("batch-1"), Map.of("scans", 0), 3);
        Files.createDirectories(root);
        Files.createSymbolicLink(root.resolve("seven"), elsewhere.resolve("sevens"));
        assertEquals(Map.of("seven", 3, "zero", 3), FolderDataset.builder(root).load().classCounts());
    }

    @Test
    void aMissingFolderIsNamed() {
        DatasetException e = assertThrows(DatasetException.class, () -> FolderDataset.builder(dir.resolve("nope")).load());
        assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("does not exist"), e.getMessage());
    }

    @Test
    void aFolderWithoutClassFoldersSaysHowToLayItOut() throws IOException {
        Path root = Files.createDirectories(dir.resolve("flat"));
        ImageFolders.write(halves(true), root.resolve("x.png"), "png");
        DatasetException e = assertThrows(DatasetException.class, () -> FolderDataset.builder(root).load());
        assertTrue(e.getMessage().contains("no class folders") && e.getMessage().contains("subfolder named after the class"), e.getMessage());
    }

    @Test
    void aSingleClassIsRefused() throws IOException {
        Path root = dir.resolve("single");
        ImageFolders.writeDigits(root, Map.of("zero", 0), 4);
        DatasetException e = assertThrows(DatasetException.class, () -> FolderDataset.builder(root).load());
        assertTrue(e.getMessage().contains("single class folder (zero)") && e.getMessage().contains("at least two classes"), e.getMessage());
    }

    @Test
    void anEmptyClassFolderIsNamed() throws IOException {
        Path root = digits(3, 3, 3);
        Files.createDirectories(root.resolve("eight"));
        Files.writeString(root.resolve("eight").resolve(".DS_Store"), "hidden files do not count");
        DatasetException e = assertThrows(DatasetException.class, () -> FolderDataset.builder(root).load());
        assertTrue(e.getMessage().contains(root.resolve("eight") + " is empty"), e.getMessage());
    }

    @Test
    void aClassWithOneImageCannotBeSplit() throws IOException {
        Path root = digits(3, 1, 3);
        DatasetException e = assertThrows(DatasetException.class, () -> FolderDataset.builder(root).load());
        assertTrue(e.getMessage().contains(root.resolve("one") + " has only 1 usable image"), e.getMessage());
    }

    @Test
    void anUnreadableFileStopsLoadingWithItsNameAndTheWayToSkipIt() throws IOException {
        Path root = digits(3, 3, 3);
        Path bad = root.resolve("one").resolve("scan.png");
        Files.writeString(bad, "not a picture");
        DatasetException e = assertThrows(DatasetException.class, () -> FolderDataset.builder(root).load());
        assertTrue(e.getMessage().startsWith(bad.toString()) && e.getMessage().contains("--skip-bad"), e.getMessage());
    }

    @Test
    void skippingUnreadableFilesListsThem() throws IOException {
        Path root = digits(3, 3, 3);
        Path text = root.resolve("one").resolve("notes.txt");
        Files.writeString(text, "not a picture");
        Path cut = root.resolve("zero").resolve("cut.png");
        byte[] png = Files.readAllBytes(root.resolve("zero").resolve("zero-000.png"));
        Files.write(cut, Arrays.copyOf(png, 40));
        Path blank = root.resolve("seven").resolve("blank.png");
        ImageFolders.write(new BufferedImage(30, 30, BufferedImage.TYPE_INT_RGB), blank, "png");

        DatasetException e = assertThrows(DatasetException.class, () -> FolderDataset.builder(root).load());
        assertTrue(e.getMessage().startsWith("3 files cannot be used"), e.getMessage());

        FolderDataset f = FolderDataset.builder(root).skipUnreadable(true).load();
        assertEquals(List.of(text, blank, cut), f.skipped().stream().map(FolderDataset.SkippedFile::file).toList());
        assertTrue(f.skipped().get(0).reason().contains("not an image"), f.skipped().get(0).reason());
        assertTrue(f.skipped().get(1).reason().contains("no digit found"), f.skipped().get(1).reason());
        assertEquals(Map.of("one", 3, "seven", 3, "zero", 3), f.classCounts());
        assertTrue(f.summary().contains("Skipped 3 file(s)") && f.summary().contains(cut.toString()), f.summary());
        assertEquals(3, f.cardEntries().get("skippedFiles"));
    }

    @Test
    void imbalancedClassesAreWarnedAbout() throws IOException {
        FolderDataset imbalanced = FolderDataset.builder(digits(13, 4, 4)).load();
        assertEquals(1, imbalanced.warnings().size());
        assertTrue(imbalanced.warnings().get(0).contains("'zero' has 13 images but 'one' only 4"), imbalanced.warnings().get(0));
        assertTrue(imbalanced.summary().contains("Warning: the classes are imbalanced"));
        Path balanced = dir.resolve("balanced");
        ImageFolders.writeDigits(balanced, Map.of("zero", 0, "one", 1), 4);
        ImageFolders.writeDigits(balanced, Map.of("two", 2), 12);
        assertTrue(FolderDataset.builder(balanced).load().warnings().isEmpty(), "3× is still acceptable");
    }

    @Test
    void settingsAreCheckedWithTheValuesTheyAccept() {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> FolderDataset.builder(dir).validationFraction(1.0).load());
        assertTrue(e.getMessage().contains("between 0 and 1"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> FolderDataset.builder(dir).imageSize(32, 32).load());
        assertTrue(e.getMessage().contains("use resize"), e.getMessage());
        e = assertThrows(InvalidInputException.class, () -> Preprocessing.parse("crop"));
        assertTrue(e.getMessage().contains("digit") && e.getMessage().contains("resize"), e.getMessage());
    }

    @Test
    void perClassSamplingTakesTheSameImagesForTheSameSeed() throws IOException {
        ImageSet train = TestData.mnist().train().head(2000);
        ImageSet a = StratifiedSampling.perClass(train, 20, 3);
        ImageSet b = StratifiedSampling.perClass(train, 20, 3);
        int[] counts = a.classCounts();
        for (int c : counts) assertEquals(20, c);
        assertArrayEquals(pixels(a), pixels(b));
        assertFalse(Arrays.equals(pixels(a), pixels(StratifiedSampling.perClass(train, 20, 4))));
    }

    @Test
    void anIdxDirectoryIsRecognisedAndAClassFolderIsNot() throws IOException {
        assertEquals(DatasetFormat.IDX, DatasetFormat.detect(Path.of(System.getProperty("digits.data"))));
        assertEquals(DatasetFormat.FOLDER, DatasetFormat.detect(digits(2, 2, 2)));
    }

    /** Black (dark = true) or white left half, the other half the opposite, 40×20. */
    private static BufferedImage halves(boolean darkLeft) {
        BufferedImage img = new BufferedImage(40, 20, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 20; y++) {
            for (int x = 0; x < 40; x++) img.setRGB(x, y, (x < 20) == darkLeft ? 0 : 0xffffff);
        }
        return img;
    }

    private static byte[] pixels(ImageSet set) {
        byte[] all = new byte[set.size() * set.height() * set.width()];
        for (int i = 0; i < set.size(); i++) System.arraycopy(set.rawImage(i), 0, all, i * set.height() * set.width(), set.height() * set.width());
        return all;
    }

    private static double correlation(byte[] a, byte[] b) {
        double ma = 0;
        double mb = 0;
        for (int i = 0; i < a.length; i++) {
            ma += a[i] & 0xff;
            mb += b[i] & 0xff;
        }
        ma /= a.length;
        mb /= b.length;
        double ab = 0;
        double aa = 0;
        double bb = 0;
        for (int i = 0; i < a.length; i++) {
            double x = (a[i] & 0xff) - ma;
            double y = (b[i] & 0xff) - mb;
            ab += x * y;
            aa += x * x;
            bb += y * y;
        }
        return ab / Math.sqrt(aa * bb);
    }
}
