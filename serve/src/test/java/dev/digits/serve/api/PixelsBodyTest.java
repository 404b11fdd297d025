package dev.digits.serve.api;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The direct reader of the web app's pixels body reads what Jackson's path reads, and leaves every other body to it.
 */
class PixelsBodyTest {
    private final Random random = new Random(3);

    /**
     * The numbers as JavaScript, Python and Java write them, including exponents and the ends of the range, and
     * decimals of up to 40 characters (the longest number the direct reader takes).
     */
    private String[] numbers(int style) {
        String[] out = new String[784];
        for (int i = 0; i < out.length; i++) {
            float f = i % 97 == 0 ? 0f : i % 89 == 0 ? 1f : random.nextFloat();
            if (i % 53 == 0) f = (float) Math.pow(10, -random.nextInt(12)) * random.nextFloat();
            switch (style) {
                case 0: out[i] = Double.toString((double) f); break;          // a Float32Array through JSON.stringify
                case 1: out[i] = String.format(Locale.ROOT, "%.4f", f); break;  // Python's round(x, 4)
                case 2: out[i] = Float.toString(f); break;                     // Java, with E-notation
                case 3: out[i] = longDecimal(f); break;                        // more digits than a long holds
                default: out[i] = i % 2 == 0 ? "0" : "1"; break;              // a binarised drawing
            }
            if (style == 0 && out[i].endsWith(".0")) out[i] = out[i].substring(0, out[i].length() - 2);
        }
        return out;
    }

    /** {@code f}'s exact decimal expansion, cut at 40 characters: more significant digits than a long holds. */
    private static String longDecimal(float f) {
        String s = new BigDecimal((double) f).toPlainString();
        return s.length() > 40 ? s.substring(0, 40) : s;
    }

    private static byte[] body(String json) {
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private static String join(String[] numbers, String separator) {
        return String.join(separator, numbers);
    }

    @Test
    void readsWhatJacksonReads() throws Exception {
        List<String> bodies = new ArrayList<>();
        for (int style = 0; style < 5; style++) {
            String pixels = "[" + join(numbers(style), ",") + "]";
            bodies.add("{\"pixels\":" + pixels + "}");
            bodies.add(" {\n  \"pixels\" : [ " + join(numbers(style), " ,\n\t") + " ] ,\n \"model\": \"cnn\"}\r\n");
            bodies.add("{\"model\":\"  cnn \",\"version\":\"3\",\"pixels\":" + pixels + "}");
            bodies.add("{\"pixels\":" + pixels + ",\"version\":12,\"model\":null}");
            bodies.add("{\"version\":null,\"model\":\"\",\"pixels\":" + pixels + "}");
            bodies.add("{\"pixels\":" + pixels + ",\"version\":\"latest\"}");
        }
        for (String json : bodies) {
            PixelsBody direct = PixelsBody.read(body(json), false, 1);
            assertNotNull(direct, json.substring(0, 60));
            PredictionRequest.JsonFields jackson = PredictionRequest.readJsonWithParser(body(json), false, 1);
            assertEquals(1, jackson.images.size());
            assertEquals(1, direct.pixels.size());
            assertArrayEquals(jackson.images.get(0).pixels, direct.pixels.get(0));
            assertEquals(jackson.model, direct.model);
            assertEquals(jackson.version, direct.version);
            PredictionRequest.JsonFields both = PredictionRequest.readJson(body(json), false, 1);
            assertArrayEquals(jackson.images.get(0).pixels, both.images.get(0).pixels);
        }
    }

    @Test
    void leavesEveryOtherBodyToJackson() {
        String good = "[" + join(numbers(0), ",") + "]";
        Function<String, String> replaceFirst = n -> good.replaceFirst("^\\[[^,]*", "[" + n);
        List<String> others = new ArrayList<>(List.of(
                "{}", "[]", "", "{\"pixels\":" + good,
                "{\"pixels\":" + good + "} x",
                "{\"pixels\":" + good + ",\"pixels\":" + good + "}",
                "{\"pixels\":" + good + ",\"image\":\"aGk=\"}",
                "{\"pixels\":" + good + ",\"model\":\"c\\u006en\"}",
                "{\"pixels\":" + good + ",\"model\":\"caf\u00e9\"}",
                "{\"pixels\":" + good + ",\"model\":3}",
                "{\"pixels\":" + good + ",\"version\":1.5}",
                "{\"pixels\":" + good + ",\"model\":\"a\",\"model\":\"b\"}",
                "{\"pix\\u0065ls\":" + good + "}",
                "{\"pixels\":" + good.replace("]", ",0.5]") + "}",
                "{\"pixels\":" + good.replaceFirst(",[^,]*\\]$", "]") + "}",
                "{\"pixels\":[[" + good.substring(1) + "]}",
                "{\"pixels\":" + good + ",}",
                "{\"pixels\":" + good.replace(",", ",,") + "}"));
        for (String n : new String[] {"01", "1.", ".5", "-", "+0.5", "1e", "0x1", "NaN", "1.5", "-0.1", "2", "1e400",
            "0.5.5", "\"0.5\"", "null", "true"}) {
            others.add("{\"pixels\":" + replaceFirst.apply(n) + "}");
        }
        for (String json : others) {
            assertNull(PixelsBody.read(body(json), false, 1), json.length() > 80 ? json.substring(0, 80) : json);
        }
    }

    @Test
    void readsABatchAsJacksonDoes() throws Exception {
        for (int n : new int[] {1, 3, 16}) {
            StringBuilder images = new StringBuilder();
            for (int k = 0; k < n; k++) images.append(k == 0 ? "" : ", ").append("[").append(join(numbers(k % 4), ",")).append("]");
            String json = "{\"model\": \"cnn\", \"pixels\": [" + images + "]}";
            PixelsBody direct = PixelsBody.read(body(json), true, 16);
            assertNotNull(direct, n + " images");
            PredictionRequest.JsonFields jackson = PredictionRequest.readJsonWithParser(body(json), true, 16);
            PredictionRequest.JsonFields both = PredictionRequest.readJson(body(json), true, 16);
            assertEquals(n, jackson.images.size());
            assertEquals(n, direct.pixels.size());
            for (int k = 0; k < n; k++) {
                assertArrayEquals(jackson.images.get(k).pixels, direct.pixels.get(k));
                assertEquals(jackson.images.get(k).source, both.images.get(k).source);
                assertArrayEquals(jackson.images.get(k).pixels, both.images.get(k).pixels);
            }
            assertEquals("cnn", direct.model);
            assertNull(PixelsBody.read(body(json), true, n - 1), "more images than a batch may hold");
            assertNull(PixelsBody.read(body(json), false, 16), "a batch sent to the one-image route");
        }
        String one = "[" + join(numbers(0), ",") + "]";
        for (String json : new String[] {"{\"pixels\": []}", "{\"pixels\": " + one + "}", "{\"pixels\": [" + one + ",]}",
            "{\"pixels\": [[" + one + "]]}", "{\"pixels\": [" + one + "], \"images\": []}"}) {
            assertNull(PixelsBody.read(body(json), true, 16), json.length() > 80 ? json.substring(0, 80) : json);
        }
    }

    @Test
    void aNumberOfTheRangeGetsJacksonsAnswer() {
        String pixels = "[2," + join(numbers(1), ",").substring(join(numbers(1), ",").indexOf(',') + 1) + "]";
        ApiException e = org.junit.jupiter.api.Assertions.assertThrows(ApiException.class,
                () -> PredictionRequest.readJson(body("{\"pixels\":" + pixels + "}"), false, 1));
        assertEquals("pixels[0] is 2; pixel values must be in [0, 1] (divide 0–255 grey levels by 255)", e.getMessage());
    }
}
