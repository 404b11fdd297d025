package dev.digits.core.model;

import dev.digits.core.error.InvalidInputException;
import dev.digits.core.json.Json;
import dev.digits.core.json.JsonException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Reading a weights file's declared shapes without its data, and refusing files whose header lies about the data;
 * JSON nested past {@link Json#MAX_DEPTH} is refused instead of overflowing the stack.
 */
class SafeTensorsHeaderTest {
    @TempDir
    Path dir;

    @Test
    void theShapesComeFromTheHeaderOfAFileTheWriterMade() throws IOException {
        Path f = dir.resolve("w.safetensors");
        SafeTensors.write(f, Map.of("a.weight", new Tensor(new long[] {2, 3}, new float[6]),
                "a.bias", new Tensor(new long[] {2}, new float[2])), Map.of());
        Map<String, long[]> shapes = SafeTensors.shapes(f);
        assertEquals(2, shapes.size());
        assertArrayEquals(new long[] {2, 3}, shapes.get("a.weight"));
        assertArrayEquals(new long[] {2}, shapes.get("a.bias"));
    }

    @Test
    void aHeaderLongerThanTheFileIsRefused() throws IOException {
        Path f = dir.resolve("w.safetensors");
        Files.write(f, ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE / 2).array());
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> SafeTensors.shapes(f));
        assertTrue(e.getMessage().contains("header claims"), e.getMessage());
    }

    @Test
    void aTensorWhoseBytesDoNotFitItsShapeIsRefused() throws IOException {
        Path f = dir.resolve("w.safetensors");
        String header = "{\"t\":{\"dtype\":\"F32\",\"shape\":[1000000000],\"data_offsets\":[0,8]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).putLong(0);
        Files.write(f, b.array());
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> SafeTensors.shapes(f));
        assertTrue(e.getMessage().contains("its shape needs"), e.getMessage());
    }

    @Test
    void jsonNestedTooDeepIsRefused() {
        assertDoesNotThrow(() -> Json.parse("[".repeat(Json.MAX_DEPTH) + "]".repeat(Json.MAX_DEPTH)));
        JsonException e = assertThrows(JsonException.class,
                () -> Json.parse("[".repeat(100_000) + "]".repeat(100_000)));
        assertTrue(e.getMessage().contains("nested deeper than"), e.getMessage());
    }
}
