package dev.digits.core.data;

import dev.digits.core.error.InvalidInputException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * The IDX format of MNIST and its relatives: a big-endian magic number ({@code 0x00000801} for unsigned-byte
 * vectors, {@code 0x00000803} for unsigned-byte images), the dimension sizes, then the bytes. Files may be gzipped.
 */
public final class IdxFile {
    /** Magic number of a label file (1-D unsigned bytes). */
    public static final int LABELS_MAGIC = 0x801;
    /** Magic number of an image file (3-D unsigned bytes). */
    public static final int IMAGES_MAGIC = 0x803;

    private final int[] dims;
    private final byte[] data;

    private IdxFile(int[] dims, byte[] data) {
        this.dims = dims;
        this.data = data;
    }

    /** Sizes of the dimensions, e.g. {@code [60000, 28, 28]}. */
    public int[] dims() {
        return dims.clone();
    }

    /** Number of items (the first dimension). */
    public int count() {
        return dims[0];
    }

    /** The unsigned bytes after the header; not copied. */
    public byte[] data() {
        return data;
    }

    /** The file {@code name} in {@code dir} as it is or gzipped ({@code name.gz}), or null when neither is there. */
    public static Path find(Path dir, String name) {
        for (String candidate : new String[] {name, name + ".gz"}) {
            Path p = dir.resolve(candidate);
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }

    /** Reads a file's content, decompressing gzip when the file starts with gzip's magic bytes. */
    public static byte[] readContent(Path file) throws IOException {
        byte[] raw = Files.readAllBytes(file);
        if (raw.length >= 2 && (raw[0] & 0xff) == 0x1f && (raw[1] & 0xff) == 0x8b) {
            try (InputStream in = new GZIPInputStream(new java.io.ByteArrayInputStream(raw), 1 << 16)) {
                ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length * 4);
                in.transferTo(out);
                return out.toByteArray();
            } catch (java.io.EOFException | ZipException e) {
                throw new InvalidInputException(file + " is a damaged gzip file (" + e.getMessage()
                        + "); delete it and download it again");
            }
        }
        return raw;
    }

    /**
     * Parses IDX content.
     *
     * @param expectedMagic {@link #LABELS_MAGIC} or {@link #IMAGES_MAGIC}
     * @param source        the file's name, for messages
     */
    public static IdxFile parse(byte[] content, int expectedMagic, String source) {
        if (content.length < 4) throw new InvalidInputException(source + " is too short to be an IDX file (" + content.length + " bytes)");
        ByteBuffer buf = ByteBuffer.wrap(content);
        int magic = buf.getInt();
        if (magic != expectedMagic) {
            String kind = expectedMagic == IMAGES_MAGIC ? "an image" : "a label";
            throw new InvalidInputException(String.format("%s is not %s file in IDX format: magic number 0x%08x, expected 0x%08x"
                    + " (is it the right file, or still compressed in another format?)", source, kind, magic, expectedMagic));
        }
        int rank = magic & 0xff;
        if (content.length < 4 + 4 * rank) throw new InvalidInputException(source + " is truncated inside its header");
        int[] dims = new int[rank];
        long expected = 1;
        for (int i = 0; i < rank; i++) {
            dims[i] = buf.getInt();
            if (dims[i] < 0) throw new InvalidInputException(source + " has a negative dimension in its header: the file is corrupt");
            expected *= dims[i];
        }
        long actual = content.length - 4L - 4L * rank;
        if (actual < expected) {
            throw new InvalidInputException(source + " is truncated: its header announces " + expected + " bytes of data but it holds "
                    + actual + "; delete it and download it again");
        }
        if (actual > expected) {
            throw new InvalidInputException(source + " has " + (actual - expected) + " bytes after the data its header announces: the file is corrupt");
        }
        byte[] data = new byte[(int) expected];
        buf.get(data);
        return new IdxFile(dims, data);
    }

    /** Reads and parses a file. */
    public static IdxFile read(Path file, int expectedMagic) throws IOException {
        return parse(readContent(file), expectedMagic, file.toString());
    }
}
