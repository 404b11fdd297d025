package dev.digits.core.artifact;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 of files and bytes, in lowercase hex: the identity of every file of an artifact. */
public final class Digests {
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private Digests() {
    }

    /** SHA-256 of {@code file}'s content. */
    public static String sha256(Path file) throws IOException {
        MessageDigest d = digest();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) d.update(buf, 0, n);
        }
        return hex(d.digest());
    }

    /**
     * Where the SHA-256 of a file comes from: {@link Digests#sha256(Path)}, or a record of digests already taken of
     * files that cannot change (a registry's committed versions), so that each file is read once.
     */
    @FunctionalInterface
    public interface FileDigest {
        /** SHA-256 of {@code file}'s content, in lowercase hex. */
        String sha256(Path file) throws IOException;
    }

    /** SHA-256 of {@code bytes}. */
    public static String sha256(byte[] bytes) {
        return hex(digest().digest(bytes));
    }

    /** A fresh SHA-256 digest, for data that arrives in pieces (a download); finish with {@link #hex}. */
    public static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this Java has no SHA-256", e);
        }
    }

    /** Lowercase hex of a digest. */
    public static String hex(byte[] b) {
        char[] out = new char[b.length * 2];
        for (int i = 0; i < b.length; i++) {
            out[2 * i] = HEX[(b[i] >> 4) & 0xf];
            out[2 * i + 1] = HEX[b[i] & 0xf];
        }
        return new String(out);
    }
}
