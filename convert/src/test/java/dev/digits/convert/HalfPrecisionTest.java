package dev.digits.convert;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Float to IEEE half conversion on the values whose bit patterns the standard fixes. */
class HalfPrecisionTest {
    @Test
    void exactValuesKeepTheirStandardBitPatterns() {
        assertEquals((short) 0x3c00, HalfPrecision.fromFloat(1f));
        assertEquals((short) 0xc000, HalfPrecision.fromFloat(-2f));
        assertEquals((short) 0x7bff, HalfPrecision.fromFloat(65504f));
        assertEquals((short) 0x0001, HalfPrecision.fromFloat(0x1p-24f));
        assertEquals((short) 0x0400, HalfPrecision.fromFloat(0x1p-14f));
        assertEquals((short) 0x8000, HalfPrecision.fromFloat(-0f));
    }

    @Test
    void inexactValuesRoundToTheNearestHalfWithTiesToEven() {
        assertEquals((short) 0x3555, HalfPrecision.fromFloat(1f / 3f));
        // 1 + 2^-11 lies exactly between 1 and the next half (1 + 2^-10): the tie goes to the even 1.
        assertEquals((short) 0x3c00, HalfPrecision.fromFloat(1f + 0x1p-11f));
        assertEquals((short) 0x3c02, HalfPrecision.fromFloat(1f + 3 * 0x1p-11f));
        assertEquals((short) 0x7c00, HalfPrecision.fromFloat(70000f));
        assertEquals((short) 0x0000, HalfPrecision.fromFloat(0x1p-26f));
    }

    @Test
    void everyHalfSurvivesTheRoundTripThroughFloat() {
        for (int bits = 0; bits < 0x10000; bits++) {
            short h = (short) bits;
            if ((bits & 0x7c00) == 0x7c00 && (bits & 0x3ff) != 0) continue; // NaN payloads need not survive
            assertEquals(h, HalfPrecision.fromFloat(HalfPrecision.toFloat(h)), "half 0x" + Integer.toHexString(bits));
        }
    }
}
