package dev.digits.core.preprocess;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs every shared vector through the Java implementation. The JavaScript runs the same files in
 * {@code web/test/preprocess.test.mjs}; together they prove both give the same numbers.
 */
class PreprocessVectorTest {
    private static final double TOLERANCE = 1e-6;

    private static List<PreprocessVector> vectors;

    @BeforeAll
    static void load() throws IOException, URISyntaxException {
        URL url = PreprocessVectorTest.class.getResource("/preprocess-vectors");
        assertNotNull(url, "preprocess-vectors is on the test classpath");
        vectors = new ArrayList<>();
        for (Path file : PreprocessVector.files(Paths.get(url.toURI()))) {
            PreprocessVector v = PreprocessVector.read(file);
            assertEquals(file.getFileName().toString(), v.name + ".json", "a vector's file is named after it");
            vectors.add(v);
        }
    }

    @Test
    void theVectorSetHoldsEightToSixteenVariedCases() {
        assertTrue(vectors.size() >= 8 && vectors.size() <= 16, "vectors: " + vectors.size());
        assertEquals(vectors.size(), new HashSet<>(PreprocessVector.names(vectors)).size(), "names are unique");
        assertTrue(vectors.stream().anyMatch(v -> !v.found), "some vector is blank");
        assertTrue(vectors.stream().anyMatch(v -> v.found && v.inverted), "some vector is dark ink on light");
        assertTrue(vectors.stream().anyMatch(v -> v.found && !v.inverted), "some vector is light ink on dark");
        assertTrue(vectors.stream().anyMatch(v -> v.width != v.height), "some vector is not square");
    }

    @Test
    void theStoredInputsAreTheOnesTheGeneratorMakes() {
        // Guards against a vector file edited by hand, or a generator change made without regenerating.
        Map<String, PreprocessVectorGenerator.Input> inputs = PreprocessVectorGenerator.inputs();
        assertEquals(new TreeSet<>(inputs.keySet()), new TreeSet<>(PreprocessVector.names(vectors)));
        for (PreprocessVector v : vectors) {
            PreprocessVectorGenerator.Input in = inputs.get(v.name);
            assertEquals(in.width, v.width, v.name);
            assertEquals(in.height, v.height, v.name);
            assertArrayEquals(in.argb, v.argb, v.name);
        }
    }

    @TestFactory
    Stream<DynamicTest> everyVectorGivesItsExpectedOutput() {
        DigitPreprocessor pre = DigitPreprocessor.defaults();
        return vectors.stream().map(v -> DynamicTest.dynamicTest(v.name, () -> {
            PreprocessedDigit d = pre.process(v.argb, v.width, v.height);
            assertEquals(v.found, d.found(), v.name + ": found");
            assertEquals(v.inverted, d.inverted(), v.name + ": inverted");
            assertArrayEquals(v.crop, new int[] {d.cropX(), d.cropY(), d.cropWidth(), d.cropHeight()},
                    v.name + ": crop box");
            float[] px = d.pixels();
            assertEquals(PreprocessedDigit.PIXELS, v.expected.length, v.name + ": expected length");
            for (int i = 0; i < px.length; i++) {
                double diff = Math.abs(px[i] - v.expected[i]);
                if (!(diff <= TOLERANCE)) {
                    throw new AssertionError(v.name + ": pixel (" + i % 28 + ", " + i / 28 + ") is " + px[i]
                            + ", expected " + v.expected[i] + "\n" + d.toAsciiArt());
                }
            }
        }));
    }

    /** The "digit-deskewed" preprocessing of the same pictures, as a model declaring it gets them. */
    @TestFactory
    Stream<DynamicTest> everyVectorDeskewsToItsStoredOutput() {
        InputPreprocessor deskewing = InputPreprocessor.of(dev.digits.core.artifact.InputContract.mnist(
                dev.digits.core.model.Shape.image(1, 28, 28)).withPreprocessing(dev.digits.core.artifact.InputContract.Preprocessing.DIGIT_DESKEWED));
        return vectors.stream().map(v -> DynamicTest.dynamicTest(v.name, () -> {
            PreprocessedDigit d = deskewing.process(v.argb, v.width, v.height);
            assertEquals(v.found, d.found(), v.name + ": found");
            float[] px = d.pixels();
            assertEquals(PreprocessedDigit.PIXELS, v.deskewed.length, v.name + ": deskewed length");
            for (int i = 0; i < px.length; i++) {
                if (!(Math.abs(px[i] - v.deskewed[i]) <= TOLERANCE)) {
                    throw new AssertionError(v.name + ": deskewed pixel (" + i % 28 + ", " + i / 28 + ") is " + px[i]
                            + ", expected " + v.deskewed[i] + "\n" + d.toAsciiArt());
                }
            }
        }));
    }

    /** The vectors exercise the shear: some are slanted enough for deskewing to move their ink. */
    @Test
    void someVectorsAreSlantedAndDeskewingChangesThem() {
        long slanted = vectors.stream().filter(v -> v.found && !java.util.Arrays.equals(v.expected, v.deskewed)).count();
        assertTrue(slanted >= 3, slanted + " vectors change when deskewed");
    }

    /** The "resize" preprocessing of the same pictures: exactly the stored grey levels, byte for byte. */
    @TestFactory
    Stream<DynamicTest> everyVectorResizesToItsStoredGreyLevels() {
        ResizePreprocessor resize = new ResizePreprocessor(PreprocessedDigit.SIZE, PreprocessedDigit.SIZE);
        return vectors.stream().map(v -> DynamicTest.dynamicTest(v.name, () -> {
            byte[] out = resize.resize(v.argb, v.width, v.height);
            int[] grey = new int[out.length];
            for (int i = 0; i < out.length; i++) grey[i] = out[i] & 0xFF;
            assertArrayEquals(v.resized, grey, v.name + ": resized grey levels");
            // And as model input: each level / 255, found unless all black.
            PreprocessedDigit d = resize.process(v.argb, v.width, v.height);
            for (int i = 0; i < grey.length; i++) assertEquals(grey[i] / 255f, d.pixels()[i], v.name);
        }));
    }
}
