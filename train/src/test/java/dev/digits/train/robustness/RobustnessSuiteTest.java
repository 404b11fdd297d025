package dev.digits.train.robustness;

import dev.digits.core.data.ImageSet;
import dev.digits.core.preprocess.DigitPreprocessor;
import dev.digits.train.TestData;
import dev.digits.train.data.ImageFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The generated robustness images: the same for a seed, of the declared kinds, sizes and polarities. */
class RobustnessSuiteTest {
    static List<RobustnessCategory> categories;

    @BeforeAll
    static void generators() throws IOException {
        // The last 5,000 training digits: what the suite redraws does not matter here, only that it is MNIST.
        ImageSet train = TestData.mnist().train();
        categories = RobustnessSuite.categories(train.subset(ImageSet.range(train.size() - 5000, train.size())),
                InstalledFonts.under(InstalledFonts.SYSTEM_FONTS));
    }

    private static RobustnessCategory category(String name) {
        return categories.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void everyDeclaredCategoryExistsWithItsKind() {
        Set<String> names = categories.stream().map(RobustnessCategory::name).collect(Collectors.toSet());
        assertEquals(categories.size(), names.size(), "category names are unique");
        assertEquals(Set.of("canvas-280", "canvas-small-off-centre", "canvas-large", "pen-thick", "pen-thin", "paper-photo", "canvas-jpeg",
                "font-digits", "font-digits-elastic"), categories.stream().filter(c -> c.kind() == RobustnessCategory.Kind.DIGIT)
                .map(RobustnessCategory::name).collect(Collectors.toSet()));
        assertEquals(Set.of("letters", "scribbles", "shapes", "textures", "object-photos"), categories.stream()
                .filter(c -> c.kind() == RobustnessCategory.Kind.NOT_A_DIGIT).map(RobustnessCategory::name).collect(Collectors.toSet()));
        assertEquals(RobustnessCategory.Kind.ZERO_LIKE, category("rings").kind());
        assertEquals(RobustnessCategory.Kind.EMPTY, category("empty-canvas").kind());
        assertEquals(RobustnessCategory.Kind.EMPTY, category("empty-paper").kind());
    }

    @Test
    void anImageIsAFunctionOfSeedCategoryAndIndexAlone() {
        for (RobustnessCategory c : categories) {
            if (c.name().endsWith("photo") || c.name().equals("textures") || c.name().equals("object-photos") || c.name().equals("empty-paper")) continue;
            byte[] later = c.image(7, 3).bytes();
            c.image(7, 0);
            assertArrayEquals(later, c.image(7, 3).bytes(), c.name() + ": image 3 of seed 7 is the same whatever came before");
            assertFalse(Arrays.equals(later, c.image(8, 3).bytes()), c.name() + ": another seed gives another image");
        }
        RobustnessCategory photo = category("paper-photo");
        assertArrayEquals(photo.image(7, 1).bytes(), photo.image(7, 1).bytes(), "photos too");
    }

    @Test
    void digitsCarryTheirLabelsAndNonDigitsNone() {
        for (RobustnessCategory c : categories) {
            for (int i = 0; i < 4; i++) {
                RobustnessImage img = c.image(1, i);
                if (c.kind() == RobustnessCategory.Kind.DIGIT) assertTrue(img.label() >= 0 && img.label() <= 9, c.name());
                else assertEquals(RobustnessImage.NOT_A_DIGIT, img.label(), c.name());
            }
        }
        for (int i = 0; i < 20; i++) assertEquals(i % 10, category("font-digits").image(1, i).label(), "font digits cycle 0–9");
    }

    @Test
    void canvasesPhotosAndEncodingsHaveTheDeclaredSizes() throws IOException {
        for (int i = 0; i < 6; i++) {
            RobustnessImage pad = category("canvas-280").image(2, i);
            assertEquals(List.of(280, 280, "png", "light on dark"), List.of(pad.width(), pad.height(), pad.format(), pad.polarity()));
            RobustnessImage photo = category("paper-photo").image(2, i);
            long pixels = (long) photo.width() * photo.height();
            assertTrue(pixels >= 900_000 && pixels <= 2_000_000, "1–2 MP, got " + photo.width() + "×" + photo.height());
            assertEquals("jpeg", photo.format());
            ImageFiles.ArgbImage decoded = ImageFiles.decode(photo.bytes(), "photo", ImageFiles.MAX_SIDE);
            assertEquals(photo.width(), decoded.width, "the declared size is the file's");
            assertEquals("jpeg", category("canvas-jpeg").image(2, i).format());
        }
    }

    @Test
    void bothPolaritiesAndTransparencyAppear() throws IOException {
        Set<String> polarities = new HashSet<>();
        for (int i = 0; i < 30; i++) polarities.add(category("pen-thick").image(3, i).polarity());
        assertEquals(Set.of("light on dark", "dark on light", "dark on transparent"), polarities);
        // The polarity said is the one drawn: the corner of a light-on-dark pad is black, of dark-on-light white.
        for (int i = 0; i < 30; i++) {
            RobustnessImage img = category("pen-thick").image(3, i);
            int corner = ImageFiles.decode(img.bytes(), "pad", ImageFiles.MAX_SIDE).argb[0];
            switch (img.polarity()) {
                case "light on dark" -> assertEquals(0xff000000, corner);
                case "dark on light" -> assertEquals(0xffffffff, corner);
                default -> assertEquals(0, corner >>> 24, "transparent background");
            }
        }
    }

    @Test
    void onlyTheEmptyCategoriesAreBlank() throws IOException {
        DigitPreprocessor preprocessor = DigitPreprocessor.defaults();
        for (RobustnessCategory c : categories) {
            if (c.kind() == RobustnessCategory.Kind.DIGIT) continue;
            for (int i = 0; i < 5; i++) {
                ImageFiles.ArgbImage img = ImageFiles.decode(c.image(4, i).bytes(), c.name(), ImageFiles.MAX_SIDE);
                int range = lumaRange(img);
                if (c.kind() == RobustnessCategory.Kind.EMPTY) {
                    assertFalse(preprocessor.process(img.argb, img.width, img.height).found(), c.name() + " #" + i + " holds nothing to find");
                } else {
                    assertTrue(range >= 40, c.name() + " #" + i + " has content: grey levels span " + range);
                }
            }
        }
    }

    /** The spread of grey levels (transparent pixels composited on white), 1st to 99th percentile. */
    private static int lumaRange(ImageFiles.ArgbImage img) {
        int[] g = new int[img.argb.length];
        for (int k = 0; k < g.length; k++) {
            int p = img.argb[k];
            int a = p >>> 24;
            int luma = (299 * (p >> 16 & 0xff) + 587 * (p >> 8 & 0xff) + 114 * (p & 0xff)) / 1000;
            g[k] = (luma * a + 255 * (255 - a)) / 255;
        }
        Arrays.sort(g);
        return g[g.length * 99 / 100] - g[g.length / 100];
    }

    @Test
    void lettersLeaveOutTheShapesThatAreDigits() {
        for (char c : "OoQDIlijZzSsbGBgq".toCharArray()) assertEquals(-1, FontCharacters.LETTERS.indexOf(c), "letter " + c);
    }
}
