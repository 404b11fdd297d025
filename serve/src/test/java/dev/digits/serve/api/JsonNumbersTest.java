package dev.digits.serve.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class JsonNumbersTest {
    /** Numbers as clients write pixel values: JavaScript's Array.from(Float32Array), Python's round(x, 4), Java. */
    private static List<String> pixelTexts() {
        Random r = new Random(1);
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 100_000; i++) {
            float f = r.nextFloat();
            texts.add(Double.toString((double) f));                                    // a float32 printed as a double
            texts.add(new BigDecimal((double) f).round(new java.math.MathContext(17)).toPlainString());
            texts.add(String.format(Locale.ROOT, "%.4f", r.nextDouble()));             // round(x, 4)
            texts.add(Integer.toString(r.nextInt(256)) + "e-" + (1 + r.nextInt(5)));  // exponents
            texts.add(new BigDecimal(r.nextDouble()).toPlainString().substring(0, 3 + r.nextInt(20)));
        }
        for (String s : new String[]{"0", "1", "0.0", "1.0", "-0", "-0.25", "0.5", "1E0", "0.1e+1", "12345678901234567890",
                "0.00000000000000000000000001", "1e-40", "1e39", "3.4028235677973366e38", "1.1754943508222875e-38",
                "0.30000001192092896", "0.999999999999999999999"}) {
            texts.add(s);
        }
        return texts;
    }

    @Test
    void everyNumberIsTheFloatOfItsCorrectlyRoundedDouble() {
        int fast = 0;
        List<String> texts = pixelTexts();
        for (String s : texts) {
            char[] c = ("[" + s + "]").toCharArray();
            float f = JsonNumbers.parse(c, 1, s.length());
            float expected = (float) Double.parseDouble(s);
            if (!Float.isNaN(f)) {
                fast++;
                assertEquals(Float.floatToRawIntBits(expected), Float.floatToRawIntBits(f), s);
            }
        }
        // Nearly every pixel value takes the path without a String.
        assertTrue(fast > 0.95 * texts.size(), fast + " of " + texts.size());
    }

    @Test
    void theParserReadsEachNumberOfAnArrayInPlace() throws Exception {
        List<String> texts = pixelTexts().subList(0, 5_000);
        byte[] json = ("[" + String.join(",", texts) + "]").getBytes(StandardCharsets.UTF_8);
        try (JsonParser p = new ObjectMapper().getFactory().createParser(json)) {
            assertEquals(JsonToken.START_ARRAY, p.nextToken());
            int i = 0;
            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken(), i++) {
                assertEquals((float) Double.parseDouble(texts.get(i)), JsonNumbers.readFloat(p), texts.get(i));
            }
            assertEquals(texts.size(), i);
        }
    }
}
