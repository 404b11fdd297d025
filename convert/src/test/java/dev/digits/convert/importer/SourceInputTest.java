package dev.digits.convert.importer;

import dev.digits.convert.importer.NetworkBuilder.Layout;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which input tensors an import accepts: one 28×28 grey image in any layout, nothing else. */
class SourceInputTest {
    @Test
    void everyLayoutOfOneGreyDigitIsAccepted() {
        assertEquals(Layout.FLAT, SourceInput.of(new long[] {-1, 784}, "x").layout());
        assertEquals(Layout.FLAT, SourceInput.of(new long[] {784}, "x").layout());
        assertEquals(Layout.NCHW, SourceInput.of(new long[] {-1, 1, 28, 28}, "x").layout());
        assertEquals(Layout.NHWC, SourceInput.of(new long[] {-1, 28, 28, 1}, "x").layout());
        assertEquals(Layout.NHWC, SourceInput.of(new long[] {28, 28, 1}, "x").layout());
        assertEquals(Layout.NCHW, SourceInput.of(new long[] {1, 28, 28}, "x").layout());
    }

    @Test
    void otherSizesAndColourAreRefusedNamingWhatDigitsFeeds() {
        for (long[] dims : new long[][] {{-1, 64}, {-1, 8, 8, 1}, {-1, 3, 28, 28}, {-1, 28, 28, 3}, {-1, 32, 32, 1}}) {
            ImportException e = assertThrows(ImportException.class, () -> SourceInput.of(dims, "images"));
            assertTrue(e.getMessage().contains("'images'") && e.getMessage().contains("28×28 grey digits"), e.getMessage());
        }
    }
}
