package dev.digits.core.model;

import dev.digits.core.error.InvalidInputException;
import dev.digits.core.io.AtomicFiles;
import dev.digits.core.json.Json;
import dev.digits.core.json.JsonException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes weights in the safetensors format (an 8-byte little-endian header length, a JSON header of
 * name → dtype, shape and byte offsets, then the raw little-endian data), so a model's weights open in any
 * language without Digits or DJL. Only F32 tensors are used.
 */
public final class SafeTensors {
    private SafeTensors() {
    }

    /** Writes {@code tensors} (in their map order) and string metadata atomically. */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) header.put("__metadata__", new LinkedHashMap<>(metadata));
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            long bytes = 4L * e.getValue().data().length;
            Map<String, Object> t = new LinkedHashMap<>();
            t.put("dtype", "F32");
            t.put("shape", e.getValue().shape());
            t.put("data_offsets", new long[] {offset, offset + bytes});
            header.put(e.getKey(), t);
            offset += bytes;
        }
        byte[] json = Json.write(header).getBytes(StandardCharsets.UTF_8);
        int pad = (8 - json.length % 8) % 8;
        ByteBuffer buf = ByteBuffer.allocate((int) (8 + json.length + pad + offset)).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(json.length + pad);
        buf.put(json);
        for (int i = 0; i < pad; i++) buf.put((byte) ' ');
        java.nio.FloatBuffer data = buf.asFloatBuffer();
        for (Tensor t : tensors.values()) data.put(t.data());
        AtomicFiles.write(file, buf.array());
    }

    /** Reads every tensor, in file order. */
    public static Map<String, Tensor> read(Path file) throws IOException {
        return read(Files.readAllBytes(file), file.toString());
    }

    /** Reads every tensor from the bytes of a safetensors file; {@code source} names it in errors. */
    public static Map<String, Tensor> read(byte[] bytes, String source) {
        if (bytes.length < 8) throw new InvalidInputException(source + " is not a weights file: too short");
        long headerLength = checkedHeaderLength(ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(), bytes.length, source);
        int base = (int) (8 + headerLength);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Entry e : entries(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8), bytes.length - base, source)) {
            float[] data = new float[(int) ((e.end - e.start) / 4)];
            ByteBuffer.wrap(bytes, (int) (base + e.start), (int) (e.end - e.start)).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
            out.put(e.name, new Tensor(e.dims, data));
        }
        return out;
    }

    /** One tensor of a header: its name, shape and byte range within the data that follows the header. */
    private record Entry(String name, long[] dims, long start, long end) {
    }

    /** The header length stored at the start of a file of {@code size} bytes, checked against it. */
    private static long checkedHeaderLength(long headerLength, long size, String source) {
        if (headerLength < 2 || headerLength > size - 8 || headerLength > MAX_HEADER_BYTES) {
            throw new InvalidInputException(source + " is not a safetensors weights file: its header claims "
                    + headerLength + " bytes of a " + size + "-byte file");
        }
        return headerLength;
    }

    /**
     * The tensors a header declares, checked against the {@code data} bytes after it: F32 only, each tensor's byte
     * range inside the data and as long as its shape needs.
     */
    @SuppressWarnings("unchecked")
    private static List<Entry> entries(String headerJson, long data, String source) {
        Map<String, Object> header;
        try {
            header = Json.parseObject(headerJson);
        } catch (JsonException e) {
            throw new InvalidInputException(source + " is not a safetensors weights file: " + e.getMessage());
        }
        List<Entry> out = new java.util.ArrayList<>();
        for (Map.Entry<String, Object> e : header.entrySet()) {
            if (e.getKey().equals("__metadata__")) continue;
            try {
                Map<String, Object> t = (Map<String, Object>) e.getValue();
                if (!"F32".equals(t.get("dtype"))) {
                    throw new InvalidInputException(source + ": tensor " + e.getKey() + " is " + t.get("dtype")
                            + "; only F32 is supported");
                }
                List<Object> shape = (List<Object>) t.get("shape");
                List<Object> offsets = (List<Object>) t.get("data_offsets");
                long[] dims = new long[shape.size()];
                long values = 1;
                for (int i = 0; i < dims.length; i++) {
                    dims[i] = ((Number) shape.get(i)).longValue();
                    if (dims[i] < 0) throw new InvalidInputException(source + ": tensor " + e.getKey() + " has a negative size");
                    values = Math.multiplyExact(values, dims[i]);
                }
                long start = ((Number) offsets.get(0)).longValue();
                long end = ((Number) offsets.get(1)).longValue();
                if (start < 0 || end < start || end > data) {
                    throw new InvalidInputException(source + " is truncated or its header lies: tensor " + e.getKey()
                            + " runs past the end of the file");
                }
                if (end - start != Math.multiplyExact(values, 4L)) {
                    throw new InvalidInputException(source + ": tensor " + e.getKey() + " has " + (end - start)
                            + " bytes, its shape needs " + values * 4);
                }
                out.add(new Entry(e.getKey(), dims, start, end));
            } catch (ClassCastException | NullPointerException | IndexOutOfBoundsException | ArithmeticException x) {
                throw new InvalidInputException(source + ": the header entry of tensor " + e.getKey() + " is malformed");
            }
        }
        return out;
    }

    /** Largest header read: a Digits model's is a few kB. */
    static final long MAX_HEADER_BYTES = 16L << 20;

    /**
     * The tensors' shapes as the file's header declares them, by name, read without loading the data; the header is
     * checked against the file: F32 only, each tensor's byte range inside the file and as long as its shape needs.
     *
     * @throws InvalidInputException naming {@code file} when its header is malformed or lies about the data
     */
    public static Map<String, long[]> shapes(Path file) throws IOException {
        String source = file.getFileName().toString();
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
            long size = ch.size();
            ByteBuffer first = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            while (first.hasRemaining() && ch.read(first) >= 0) { /* reads the length */ }
            if (first.hasRemaining()) throw new InvalidInputException(source + " is not a weights file: too short");
            long headerLength = checkedHeaderLength(first.flip().getLong(), size, source);
            ByteBuffer h = ByteBuffer.allocate((int) headerLength);
            while (h.hasRemaining() && ch.read(h) >= 0) { /* reads the header */ }
            Map<String, long[]> out = new LinkedHashMap<>();
            for (Entry e : entries(new String(h.array(), StandardCharsets.UTF_8), size - 8 - headerLength, source)) {
                out.put(e.name, e.dims);
            }
            return out;
        }
    }

    /** The string metadata stored in a file's header. */
    @SuppressWarnings("unchecked")
    public static Map<String, String> metadata(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        Map<String, Object> header = Json.parseObject(new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8));
        Map<String, String> out = new LinkedHashMap<>();
        Object m = header.get("__metadata__");
        if (m instanceof Map) {
            for (Map.Entry<String, Object> e : ((Map<String, Object>) m).entrySet()) out.put(e.getKey(), String.valueOf(e.getValue()));
        }
        return out;
    }

}
