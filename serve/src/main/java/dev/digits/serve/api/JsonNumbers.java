package dev.digits.serve.api;

import com.fasterxml.jackson.core.JsonParser;

import java.io.IOException;

/**
 * Reads a JSON number as a float straight from the parser's character buffer. Jackson's own
 * {@code getDoubleValue()} makes a String of every floating-point number first; a pixels body holds 784 of them, so
 * that was most of what a request left for the collector.
 *
 * <p>The result is exactly {@code (float) Double.parseDouble(text)}. The decimal's digits (up to 18, so that they fit
 * a long) are taken as an integer and scaled by an exact power of ten, which lands within about one double ulp of the
 * true value; the cast to float then gives the same float as rounding the exact value, unless the value lies that
 * close to the midpoint between two floats, where the text is parsed the slow way instead.
 */
final class JsonNumbers {
    private static final double[] POWERS = new double[23];

    static {
        double p = 1;
        for (int i = 0; i < POWERS.length; i++, p *= 10) POWERS[i] = p;
    }

    private JsonNumbers() {
    }

    /** The current token (a number) as a float. */
    static float readFloat(JsonParser p) throws IOException {
        char[] text = p.getTextCharacters();
        int offset = p.getTextOffset();
        int length = p.getTextLength();
        float f = parse(text, offset, length);
        return Float.isNaN(f) ? (float) Double.parseDouble(new String(text, offset, length)) : f;
    }

    /** Fast path: the float for JSON number text, or NaN when it must be parsed the slow way. */
    static float parse(char[] c, int offset, int length) {
        int i = offset;
        int end = offset + length;
        boolean negative = i < end && c[i] == '-';
        if (negative) i++;
        long mantissa = 0;
        int digits = 0;
        int scale = 0;
        boolean seenDigit = false;
        for (; i < end && c[i] >= '0' && c[i] <= '9'; i++) {
            seenDigit = true;
            if (mantissa == 0 && c[i] == '0') continue;
            if (++digits > 18) return Float.NaN;
            mantissa = mantissa * 10 + (c[i] - '0');
        }
        if (i < end && c[i] == '.') {
            for (i++; i < end && c[i] >= '0' && c[i] <= '9'; i++) {
                seenDigit = true;
                scale--;
                if (mantissa == 0 && c[i] == '0') continue;
                if (++digits > 18) return Float.NaN;
                mantissa = mantissa * 10 + (c[i] - '0');
            }
        }
        if (!seenDigit) return Float.NaN;
        if (i < end && (c[i] == 'e' || c[i] == 'E')) {
            i++;
            boolean negativeExponent = i < end && c[i] == '-';
            if (i < end && (c[i] == '-' || c[i] == '+')) i++;
            int exponent = 0;
            int start = i;
            for (; i < end && c[i] >= '0' && c[i] <= '9'; i++) {
                if (exponent > 1000) return Float.NaN;
                exponent = exponent * 10 + (c[i] - '0');
            }
            if (i == start) return Float.NaN;
            scale += negativeExponent ? -exponent : exponent;
        }
        if (i != end) return Float.NaN;
        return fromDecimal(negative, mantissa, scale);
    }

    /**
     * The float for the decimal {@code ±mantissa × 10^scale} (a mantissa of at most 18 digits), or NaN when it must be
     * parsed the slow way: the part of {@link #parse} after the text is read, for readers that scan it themselves.
     */
    static float fromDecimal(boolean negative, long mantissa, int scale) {
        if (mantissa == 0) return negative ? -0f : 0f;
        if (scale < -22 || scale > 22) return Float.NaN;
        // A long above 2^53 rounds on conversion (half an ulp), the exact power of ten another half at most.
        double d = scale < 0 ? mantissa / POWERS[-scale] : mantissa * POWERS[scale];
        float f = (float) d;
        if (Float.isInfinite(f)) return Float.NaN;
        // Both midpoints around f are exact in double: float has 24 bits of mantissa, double 53.
        double below = ((double) f + (double) Math.nextDown(f)) / 2;
        double above = ((double) f + (double) Math.nextUp(f)) / 2;
        double margin = 4 * Math.ulp(d);
        if (Math.abs(d - below) <= margin || Math.abs(above - d) <= margin) return Float.NaN;
        return negative ? -f : f;
    }
}
