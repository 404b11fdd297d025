package dev.digits.core.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AtomicFilesTest {
    @TempDir
    Path dir;

    @Test
    void aWrittenFileIsCompleteAndReadableByOthers() throws IOException {
        Path f = dir.resolve("sub/model.bin");
        AtomicFiles.write(f, new byte[] {1, 2, 3});
        assertEquals(3, Files.size(f));
        assertTrue(Files.getPosixFilePermissions(f).contains(PosixFilePermission.OTHERS_READ));
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporaryFile() throws IOException {
        Path f = dir.resolve("card.json");
        AtomicFiles.writeString(f, "old");
        assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> {
            out.write(new byte[10]);
            throw new IOException("disk full");
        }));
        assertEquals("old", Files.readString(f));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(f), files.toList());
        }
    }
}
