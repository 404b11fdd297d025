package dev.digits.serve.api;

import org.junit.jupiter.api.Test;

import java.util.Locale;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The access log's request time reads as {@code %.2f} writes it. */
class AccessLogTimeTest {
    @Test
    void writesTwoDecimalsAsFormatDoes() {
        Random random = new Random(11);
        float[] fixed = {0f, 0.004f, 0.006f, 0.1f, 0.99f, 0.996f, 1f, 9.999f, 12.3f, 99.995001f, 1234.5f, 86_400_000f};
        for (float ms : fixed) assertSame(ms);
        for (int i = 0; i < 200_000; i++) {
            float ms = i % 2 == 0 ? random.nextFloat() * 50 : (float) Math.exp(random.nextDouble() * 16 - 6);
            assertSame(ms);
        }
    }

    @Test
    void writesWhatIsNotATimeAsJavaDoes() {
        assertEquals("NaN", Api.milliseconds(Float.NaN));
        assertEquals("-1.0", Api.milliseconds(-1f));
    }

    private static void assertSame(float ms) {
        double scaled = ms * 100.0;
        // Halfway between two hundredths the last digit may differ; no request time is told apart by it.
        if (Math.abs(scaled - Math.floor(scaled) - 0.5) < 1e-6) return;
        assertEquals(String.format(Locale.ROOT, "%.2f", ms), Api.milliseconds(ms), "ms = " + ms);
    }
}
