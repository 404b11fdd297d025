package dev.digits.convert;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Symmetric per-channel int8 weight quantization. */
class PerChannelInt8Test {
    @Test
    void eachChannelGetsItsOwnScaleAndItsLargestWeightMapsTo127() {
        PerChannelInt8 q = PerChannelInt8.quantize(new float[] {0.25f, -1f, 0.75f, 0.03f, 0.01f, -0.04f}, 2);
        assertArrayEquals(new float[] {1f / 127, 0.04f / 127}, q.scales(), 1e-9f);
        assertArrayEquals(new byte[] {32, -127, 95, 95, 32, -127}, q.values());
    }

    @Test
    void everyWeightIsWithinHalfAStepOfItsQuantizedValue() {
        Random rng = new Random(5);
        float[] w = new float[8 * 27];
        for (int i = 0; i < w.length; i++) w[i] = (float) rng.nextGaussian() * (1 + i / 27);
        PerChannelInt8 q = PerChannelInt8.quantize(w, 8);
        for (int i = 0; i < w.length; i++) {
            float scale = q.scales()[i / 27];
            assertTrue(Math.abs(q.values()[i] * scale - w[i]) <= scale / 2 + 1e-7f, "weight " + i);
        }
    }

    @Test
    void anAllZeroChannelStaysZeroWithAUsableScale() {
        PerChannelInt8 q = PerChannelInt8.quantize(new float[] {0, 0, 3, -3}, 2);
        assertEquals(1f, q.scales()[0]);
        assertArrayEquals(new byte[] {0, 0, 127, -127}, q.values());
    }

    @Test
    void weightsThatDoNotSplitIntoTheChannelsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> PerChannelInt8.quantize(new float[5], 2));
    }
}
