package dev.digits.serve.api;

import dev.digits.core.preprocess.PreprocessedDigit;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the body the web app's server mode posts — {@code {"pixels": [784 numbers in 0..1]}}, with optional string
 * fields {@code "model"} and {@code "version"}; for a batch {@code {"pixels": [[784 numbers], …]}} — straight from its
 * bytes. Through Jackson every number is a token
 * buffered as text and then converted; here the number is converted where it lies. Only a body of exactly that
 * shape, in strict JSON, with every value in range, is read; anything else (other fields, escapes, non-ASCII text,
 * a duplicate field, a value out of range, a malformed number) gives null, and the caller reads the body with
 * Jackson, which accepts or reports it as it always has. What this reads is what Jackson's path reads: the numbers
 * go through the same {@link JsonNumbers#fromDecimal}.
 */
final class PixelsBody {
    /** The longest number text taken here; longer ones are left to Jackson. */
    private static final int MAX_NUMBER = 40;

    /** The images' pixels: one image, or a batch's in order. */
    final List<float[]> pixels;
    final String model;
    final String version;

    private PixelsBody(List<float[]> pixels, String model, String version) {
        this.pixels = pixels;
        this.model = model;
        this.version = version;
    }

    /**
     * The body's pixels and model choice, or null when it is not of the shape read here.
     *
     * @param batch     whether {@code "pixels"} holds an array of images
     * @param maxImages most images a batch may hold (a larger one is left to the other reader, which refuses it)
     */
    static PixelsBody read(byte[] b, boolean batch, int maxImages) {
        return new Reader(b, batch, maxImages).body();
    }

    private static final class Reader {
        private final byte[] b;
        private final boolean batch;
        private final int maxImages;
        private int i;

        Reader(byte[] b, boolean batch, int maxImages) {
            this.b = b;
            this.batch = batch;
            this.maxImages = maxImages;
        }

        PixelsBody body() {
            List<float[]> pixels = null;
            String model = null;
            String version = null;
            boolean seenModel = false;
            boolean seenVersion = false;
            if (!take('{')) return null;
            do {
                String key = string();
                if (key == null || !take(':')) return null;
                skipSpace();
                switch (key) {
                    case "pixels":
                        if (pixels != null) return null;
                        pixels = batch ? images() : image();
                        if (pixels == null) return null;
                        break;
                    case "model":
                        if (seenModel) return null;
                        seenModel = true;
                        if (takeNull()) break;
                        String name = string();
                        if (name == null) return null;
                        model = PredictionRequest.emptyToNull(name);
                        break;
                    case "version":
                        if (seenVersion) return null;
                        seenVersion = true;
                        if (takeNull()) break;
                        if (i < b.length && b[i] == '"') {
                            String text = string();
                            if (text == null) return null;
                            version = PredictionRequest.emptyToNull(text);
                        } else {
                            version = integer();
                            if (version == null) return null;
                        }
                        break;
                    default:
                        return null;
                }
            } while (take(','));
            if (!take('}')) return null;
            skipSpace();
            if (i != b.length || pixels == null) return null;
            return new PixelsBody(pixels, model, version);
        }

        /** One image, or null. */
        private List<float[]> image() {
            float[] one = pixels();
            return one == null ? null : List.of(one);
        }

        /** One to maxImages images between brackets, or null. */
        private List<float[]> images() {
            if (!take('[')) return null;
            List<float[]> out = new ArrayList<>();
            do {
                if (out.size() == maxImages) return null;
                float[] one = pixels();
                if (one == null) return null;
                out.add(one);
            } while (take(','));
            return take(']') ? out : null;
        }

        /** 784 numbers in [0, 1] between brackets, or null. */
        private float[] pixels() {
            if (!take('[')) return null;
            float[] out = new float[PreprocessedDigit.PIXELS];
            int n = 0;
            do {
                if (n == out.length) return null;
                skipSpace();
                float v = number();
                if (!(v >= 0 && v <= 1)) return null;
                out[n++] = v;
            } while (take(','));
            return take(']') && n == out.length ? out : null;
        }

        /**
         * A JSON number (strict grammar) as a float, or NaN: its digits are taken into the mantissa as they are
         * scanned, in locals (the server runs on the client compiler, which keeps fields in memory), and
         * {@link JsonNumbers#fromDecimal} converts, as {@link JsonNumbers#parse} does for Jackson's path; a number of
         * more than 18 significant digits, or one too close to halfway between two floats, is parsed from its text.
         * Either way the result is {@code (float) Double.parseDouble(text)}.
         */
        private float number() {
            final byte[] b = this.b;
            final int end = b.length;
            int i = this.i;
            int start = i;
            boolean negative = i < end && b[i] == '-';
            if (negative) i++;
            long mantissa = 0;
            int digits = 0;
            int scale = 0;
            if (i < end && b[i] == '0') {
                i++;
            } else {
                int first = i;
                for (int d; i < end && (d = b[i] - '0') >= 0 && d <= 9; i++) mantissa = mantissa * 10 + d;
                digits = i - first;
                if (digits == 0) return Float.NaN;
            }
            if (i < end && b[i] == '.') {
                int first = ++i;
                for (int d; i < end && (d = b[i] - '0') >= 0 && d <= 9; i++) {
                    if (mantissa == 0 && d == 0) continue;  // leading zeros are not significant digits
                    mantissa = mantissa * 10 + d;
                    digits++;
                }
                if (i == first) return Float.NaN;
                scale = first - i;
            }
            if (i < end && (b[i] == 'e' || b[i] == 'E')) {
                i++;
                boolean negativeExponent = i < end && b[i] == '-';
                if (i < end && (b[i] == '-' || b[i] == '+')) i++;
                int first = i;
                int exponent = 0;
                for (int d; i < end && (d = b[i] - '0') >= 0 && d <= 9; i++) {
                    if (exponent <= 1000) exponent = exponent * 10 + d;  // beyond that, no float but 0 or infinity
                }
                if (i == first) return Float.NaN;
                scale += negativeExponent ? -exponent : exponent;
            }
            this.i = i;
            if (i - start > MAX_NUMBER) return Float.NaN;
            // More than 18 digits may have overflowed the long.
            float f = digits <= 18 ? JsonNumbers.fromDecimal(negative, mantissa, scale) : Float.NaN;
            return Float.isNaN(f) ? (float) Double.parseDouble(new String(b, start, i - start, StandardCharsets.US_ASCII)) : f;
        }

        /** A number's sign and integer digits: 0, or digits not starting with 0; whether they were there. */
        private boolean integerPart() {
            if (i < b.length && b[i] == '-') i++;
            if (i < b.length && b[i] == '0') {
                i++;
                return true;
            }
            return digits();
        }

        /** One or more digits; whether there were any. */
        private boolean digits() {
            int start = i;
            while (i < b.length && b[i] >= '0' && b[i] <= '9') i++;
            return i > start;
        }

        /** A JSON integer's text (as Jackson gives an integer token's text), or null. */
        private String integer() {
            int start = i;
            if (!integerPart()) return null;
            if (i < b.length && (b[i] == '.' || b[i] == 'e' || b[i] == 'E')) return null;
            return new String(b, start, i - start, StandardCharsets.US_ASCII);
        }

        /** A string of printable ASCII without escapes, after optional space; else null. */
        private String string() {
            skipSpace();
            if (i >= b.length || b[i] != '"') return null;
            int start = ++i;
            while (i < b.length && b[i] != '"') {
                if (b[i] < 0x20 || b[i] == '\\') return null;  // also every byte ≥ 0x80: negative
                i++;
            }
            if (i >= b.length) return null;
            return new String(b, start, i++ - start, StandardCharsets.US_ASCII);
        }

        private boolean takeNull() {
            if (i + 4 <= b.length && b[i] == 'n' && b[i + 1] == 'u' && b[i + 2] == 'l' && b[i + 3] == 'l') {
                i += 4;
                return true;
            }
            return false;
        }

        /** Skips space, then takes {@code c} if it comes next. */
        private boolean take(char c) {
            skipSpace();
            if (i < b.length && b[i] == c) {
                i++;
                return true;
            }
            return false;
        }

        private void skipSpace() {
            while (i < b.length && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t')) i++;
        }
    }
}
