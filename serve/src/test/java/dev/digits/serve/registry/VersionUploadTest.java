package dev.digits.serve.registry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Unpacking uploads: paths stay inside the staging directory and sizes are bounded. */
class VersionUploadTest {
    private static byte[] zip(String... namesAndContents) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (int i = 0; i < namesAndContents.length; i += 2) {
                zip.putNextEntry(new ZipEntry(namesAndContents[i]));
                zip.write(namesAndContents[i + 1].getBytes(StandardCharsets.UTF_8));
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    @Test
    void filesAreWrittenAtTheirPathsInsideTheDirectory(@TempDir Path dir) throws Exception {
        new VersionUpload(dir, 1 << 20, 10).unzip(new ByteArrayInputStream(zip(
                "spec.json", "{}", "weights.safetensors", "w", "export/tfjs/model.json", "{}")));
        assertTrue(Files.isRegularFile(dir.resolve("export/tfjs/model.json")));
    }

    @Test
    void aParentDirectoryEntryIsRefused(@TempDir Path dir) {
        InvalidUploadException e = assertThrows(InvalidUploadException.class, () ->
                new VersionUpload(dir.resolve("staging"), 1 << 20, 10).unzip(new ByteArrayInputStream(zip("../evil.txt", "x"))));
        assertTrue(e.getMessage().contains("leaves"), e.getMessage());
        assertFalse(Files.exists(dir.resolve("evil.txt")));
    }

    @Test
    void anAbsolutePathIsRefused(@TempDir Path dir) {
        assertThrows(InvalidUploadException.class, () ->
                new VersionUpload(dir, 1 << 20, 10).add("/etc/cron.d/x", new ByteArrayInputStream(new byte[1])));
    }

    @Test
    void moreBytesThanTheLimitAreRefused(@TempDir Path dir) {
        InvalidUploadException e = assertThrows(InvalidUploadException.class, () ->
                new VersionUpload(dir, 1000, 10).unzip(new ByteArrayInputStream(zip("weights.safetensors", "0".repeat(5000)))));
        assertTrue(e.getMessage().contains("1000"), e.getMessage());
    }

    @Test
    void moreFilesThanTheLimitAreRefused(@TempDir Path dir) {
        assertThrows(InvalidUploadException.class, () ->
                new VersionUpload(dir, 1 << 20, 2).unzip(new ByteArrayInputStream(zip("a", "1", "b", "2", "c", "3"))));
    }

    @Test
    void aModelInsideOneFolderIsMovedToTheTop(@TempDir Path dir) throws Exception {
        VersionUpload u = new VersionUpload(dir, 1 << 20, 10);
        u.unzip(new ByteArrayInputStream(zip("cnn/spec.json", "{}", "cnn/weights.safetensors", "w")));
        u.finish();
        assertTrue(Files.isRegularFile(dir.resolve("spec.json")));
        assertFalse(Files.exists(dir.resolve("cnn")));
    }

    @Test
    void anUploadWithoutWeightsIsRefusedNamingThem(@TempDir Path dir) throws Exception {
        VersionUpload u = new VersionUpload(dir, 1 << 20, 10);
        u.unzip(new ByteArrayInputStream(zip("spec.json", "{}")));
        InvalidUploadException e = assertThrows(InvalidUploadException.class, u::finish);
        assertTrue(e.getMessage().contains("weights.safetensors"), e.getMessage());
    }
}
