package dev.digits.serve.browser;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Route;
import dev.digits.core.artifact.InputContract;
import dev.digits.core.model.Shape;
import dev.digits.core.preprocess.DigitPreprocessor;
import dev.digits.core.preprocess.InputPreprocessor;
import dev.digits.core.preprocess.PreprocessedDigit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web app's preprocessing, run inside Chromium exactly as the page loads it from the jar, gives the same 28×28
 * result as the Java core's on every shared test vector, for the {@code digit} and the {@code digit-deskewed}
 * preprocessing: not approximately, bit for bit.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(Chromium.Required.class)
class PreprocessingParityTest {
    static final Path VECTORS = Path.of("..", "core", "src", "test", "resources", "preprocess-vectors");
    private static final String ORIGIN = "http://digits.test";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Chromium chromium;
    private Page page;

    @BeforeAll
    void openPage(@TempDir Path profile) {
        chromium = Chromium.start(profile);
        page = chromium.context().newPage();
        // The page's files come straight from the class path, i.e. from what the jar serves, with no server needed.
        page.route(ORIGIN + "/**", PreprocessingParityTest::serveFromJar);
        page.navigate(ORIGIN + "/");
    }

    @AfterAll
    void closeBrowser() {
        if (chromium != null) chromium.close();
    }

    private static void serveFromJar(Route route) {
        String path = route.request().url().substring(ORIGIN.length());
        if (path.equals("/")) {
            route.fulfill(new Route.FulfillOptions().setContentType("text/html").setBody("<!doctype html><title>parity</title>"));
            return;
        }
        try (InputStream in = PreprocessingParityTest.class.getResourceAsStream("/web" + path)) {
            if (in == null) {
                route.fulfill(new Route.FulfillOptions().setStatus(404).setBody("not in the jar: " + path));
                return;
            }
            String type = path.endsWith(".js") ? "text/javascript" : "application/octet-stream";
            route.fulfill(new Route.FulfillOptions().setStatus(200).setContentType(type).setBodyBytes(in.readAllBytes()));
        } catch (IOException e) {
            route.abort();
        }
    }

    static Stream<String> vectors() throws IOException {
        assertTrue(Files.isDirectory(VECTORS), "the shared vectors are missing: " + VECTORS.toAbsolutePath());
        try (Stream<Path> files = Files.list(VECTORS)) {
            List<String> found = files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".json")).sorted()
                    .toList();
            assertTrue(found.size() >= 8, "expected at least 8 vectors in " + VECTORS + ", found " + found.size());
            return found.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vectors")
    void browserAndJavaPreprocessingGiveIdenticalPixels(String name) throws Exception {
        Path file = VECTORS.resolve(name);
        JsonNode vector = JSON.readTree(file.toFile());
        int width = vector.get("width").asInt();
        int height = vector.get("height").asInt();
        assertEquals("zlib-base64-argb", vector.get("encoding").asText(), "encoding of " + file);
        int[] argb = argbPixels(Base64.getDecoder().decode(vector.get("argb").asText()), width * height);

        PreprocessedDigit java = DigitPreprocessor.defaults().process(argb, width, height);

        // The browser gets what a canvas would give it: RGBA bytes, not premultiplied (sent as base64: a list of
        // numbers this long is slow to pass through the driver).
        byte[] rgba = new byte[argb.length * 4];
        for (int i = 0; i < argb.length; i++) {
            int p = argb[i];
            rgba[4 * i] = (byte) (p >>> 16);
            rgba[4 * i + 1] = (byte) (p >>> 8);
            rgba[4 * i + 2] = (byte) p;
            rgba[4 * i + 3] = (byte) (p >>> 24);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> browser = (Map<String, Object>) page.evaluate("""
                async ({rgba, width, height}) => {
                  const { preprocess, preprocessFor } = await import('/preprocess.js');
                  const data = Uint8ClampedArray.from(atob(rgba), (c) => c.charCodeAt(0));
                  const r = preprocess({ data, width, height });
                  const straight = preprocessFor({ data, width, height }, 'digit-deskewed');
                  return { found: r.found, inverted: r.inverted, pixels: Array.from(r.pixels),
                           crop: [r.crop.x, r.crop.y, r.crop.width, r.crop.height],
                           deskewed: Array.from(straight.pixels) };
                }""", Map.of("rgba", Base64.getEncoder().encodeToString(rgba), "width", width, "height", height));

        assertEquals(java.found(), browser.get("found"), "found");
        assertEquals(vector.get("found").asBoolean(), java.found(), "the Java result still matches the vector file");
        if (java.found()) {
            assertEquals(java.inverted(), browser.get("inverted"), "inverted");
            assertEquals(List.of(java.cropX(), java.cropY(), java.cropWidth(), java.cropHeight()), browser.get("crop"),
                    "crop box");
        }
        assertBitForBit(java.pixels(), (List<?>) browser.get("pixels"), "digit");
        PreprocessedDigit deskewed = InputPreprocessor.of(InputContract.mnist(Shape.image(1, 28, 28))
                .withPreprocessing(InputContract.Preprocessing.DIGIT_DESKEWED)).process(argb, width, height);
        assertBitForBit(deskewed.pixels(), (List<?>) browser.get("deskewed"), "digit-deskewed");
    }

    private static void assertBitForBit(float[] expected, List<?> pixels, String preprocessing) {
        assertEquals(expected.length, pixels.size(), "pixel count");
        int differing = 0;
        String first = null;
        for (int i = 0; i < expected.length; i++) {
            float actual = ((Number) pixels.get(i)).floatValue();
            if (Float.floatToIntBits(actual) != Float.floatToIntBits(expected[i])) {
                if (differing++ == 0) first = "(" + i % 28 + "," + i / 28 + "): Java " + expected[i] + ", browser " + actual;
            }
        }
        assertEquals(0, differing, preprocessing + ": " + differing + " of 784 pixels differ, first at " + first);
    }

    private static int[] argbPixels(byte[] deflated, int count) throws DataFormatException {
        Inflater inflater = new Inflater();
        inflater.setInput(deflated);
        ByteArrayOutputStream out = new ByteArrayOutputStream(count * 4);
        byte[] buffer = new byte[8192];
        while (!inflater.finished()) {
            int n = inflater.inflate(buffer);
            if (n == 0 && (inflater.needsInput() || inflater.needsDictionary())) break;
            out.write(buffer, 0, n);
        }
        inflater.end();
        byte[] bytes = out.toByteArray();
        assertEquals(count * 4, bytes.length, "ARGB bytes");
        int[] argb = new int[count];
        for (int i = 0; i < count; i++) {
            argb[i] = (bytes[4 * i] & 0xff) << 24 | (bytes[4 * i + 1] & 0xff) << 16
                    | (bytes[4 * i + 2] & 0xff) << 8 | (bytes[4 * i + 3] & 0xff);
        }
        return argb;
    }
}
