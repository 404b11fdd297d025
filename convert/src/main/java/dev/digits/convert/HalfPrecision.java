package dev.digits.convert;

/**
 * IEEE 754 half precision (binary16) conversion for float16 exports of any format; Java 17 has none built in
 * ({@code Float.floatToFloat16} came in Java 20).
 */
public final class HalfPrecision {
    private HalfPrecision() {
    }

    /** The nearest half-precision value's bits (ties to even); overflow gives infinity, underflow zero. */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = (bits >>> 23) & 0xff;
        int mantissa = bits & 0x7fffff;
        if (exponent == 0xff) return (short) (sign | 0x7c00 | (mantissa != 0 ? 0x200 : 0));
        int e = exponent - 127 + 15;
        if (e >= 0x1f) return (short) (sign | 0x7c00);
        if (e <= 0) {
            if (e < -10) return (short) sign;
            // Subnormal half: shift the full 24-bit significand down to units of 2^-24.
            int significand = mantissa | 0x800000;
            int shift = 14 - e;
            return (short) (sign | roundShift(significand, shift));
        }
        // A carry out of the mantissa correctly bumps the exponent (up to infinity).
        return (short) (sign | ((e << 10) + roundShift(mantissa, 13)));
    }

    private static int roundShift(int value, int shift) {
        int kept = value >>> shift;
        int rest = value & ((1 << shift) - 1);
        int half = 1 << (shift - 1);
        if (rest > half || (rest == half && (kept & 1) != 0)) kept++;
        return kept;
    }

    /** The float value of half-precision bits. */
    public static float toFloat(short h) {
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1f;
        int mantissa = h & 0x3ff;
        if (exponent == 0x1f) return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        if (exponent == 0) {
            float v = mantissa * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
    }
}
