package dev.digits.serve.image;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/** PNG files built chunk by chunk, for tests that need exact (or deliberately wrong) content. */
final class TestPngs {
    private TestPngs() {
    }

    /** An 8-bit PNG of {@code colorType} whose image data are {@code rows} (filter byte + samples per row), deflated. */
    static byte[] fromRows(byte[] rows, int w, int h, int colorType) {
        Deflater deflater = new Deflater();
        deflater.setInput(rows);
        deflater.finish();
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (!deflater.finished()) idat.write(buf, 0, deflater.deflate(buf));
        deflater.end();
        return withImageData(w, h, colorType, idat.toByteArray());
    }

    /** An 8-bit PNG whose header says {@code w × h} and whose IDAT chunk holds exactly {@code idat}. */
    static byte[] withImageData(int w, int h, int colorType, byte[] idat) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.write(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
            ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(ihdr);
            d.writeInt(w);
            d.writeInt(h);
            d.write(new byte[]{8, (byte) colorType, 0, 0, 0});
            chunk(out, "IHDR", ihdr.toByteArray());
            chunk(out, "IDAT", idat);
            chunk(out, "IEND", new byte[0]);
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
        out.writeInt(data.length);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        out.write(t);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeInt((int) crc.getValue());
    }
}
