package dev.digits.convert.tflite;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Appends files to a model as the TFLite Support library's metadata populator does: an uncompressed (stored) zip
 * archive after the flatbuffer, with offsets counted from the start of the model file. The interpreter ignores the
 * trailing bytes; {@code MetadataExtractor} (which reads stored entries only) and any unzip tool see the files.
 */
final class AssociatedFilesZip {
    private static final int LOCAL_HEADER = 0x04034b50;
    private static final int CENTRAL_HEADER = 0x02014b50;
    private static final int END_OF_CENTRAL_DIRECTORY = 0x06054b50;
    /** Zip 2.0, the version that introduced the features used here. */
    private static final short VERSION = 20;
    /** 1980-01-01 00:00 in MS-DOS format: a fixed stamp keeps exports byte-for-byte reproducible. */
    private static final short DOS_DATE = (short) ((0 << 9) | (1 << 5) | 1);

    private AssociatedFilesZip() {
    }

    /** {@code model} followed by a zip archive of {@code files} (name → content), in map order. */
    static byte[] append(byte[] model, Map<String, byte[]> files) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(model.length + 1024);
        out.writeBytes(model);
        ByteArrayOutputStream central = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            byte[] name = f.getKey().getBytes(StandardCharsets.UTF_8);
            byte[] data = f.getValue();
            CRC32 crc = new CRC32();
            crc.update(data);
            int offset = out.size();
            ByteBuffer local = le(30 + name.length);
            local.putInt(LOCAL_HEADER).putShort(VERSION).putShort((short) 0).putShort((short) 0)
                    .putShort((short) 0).putShort(DOS_DATE)
                    .putInt((int) crc.getValue()).putInt(data.length).putInt(data.length)
                    .putShort((short) name.length).putShort((short) 0).put(name);
            out.writeBytes(local.array());
            out.writeBytes(data);
            ByteBuffer entry = le(46 + name.length);
            entry.putInt(CENTRAL_HEADER).putShort(VERSION).putShort(VERSION).putShort((short) 0).putShort((short) 0)
                    .putShort((short) 0).putShort(DOS_DATE)
                    .putInt((int) crc.getValue()).putInt(data.length).putInt(data.length)
                    .putShort((short) name.length).putShort((short) 0).putShort((short) 0)
                    .putShort((short) 0).putShort((short) 0).putInt(0).putInt(offset).put(name);
            central.writeBytes(entry.array());
        }
        int centralOffset = out.size();
        out.writeBytes(central.toByteArray());
        ByteBuffer end = le(22);
        end.putInt(END_OF_CENTRAL_DIRECTORY).putShort((short) 0).putShort((short) 0)
                .putShort((short) files.size()).putShort((short) files.size())
                .putInt(central.size()).putInt(centralOffset).putShort((short) 0);
        out.writeBytes(end.array());
        return out.toByteArray();
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
