package dev.digits.serve.image;

import javax.imageio.stream.ImageInputStreamImpl;

/**
 * An image input stream over bytes already in memory. ImageIO's own {@code MemoryCacheImageInputStream} copies its
 * source into freshly allocated 8 kB blocks, which for a small upload costs more than the image itself.
 */
final class ByteArrayImageInputStream extends ImageInputStreamImpl {
    private final byte[] bytes;

    ByteArrayImageInputStream(byte[] bytes) {
        this.bytes = bytes;
    }

    @Override
    public int read() {
        bitOffset = 0;
        return streamPos < bytes.length ? bytes[(int) streamPos++] & 0xFF : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (off < 0 || len < 0 || off + len > b.length) throw new IndexOutOfBoundsException();
        bitOffset = 0;
        if (len == 0) return 0;
        if (streamPos >= bytes.length) return -1;
        int n = (int) Math.min(len, bytes.length - streamPos);
        System.arraycopy(bytes, (int) streamPos, b, off, n);
        streamPos += n;
        return n;
    }

    @Override
    public long length() {
        return bytes.length;
    }
}
