package dev.digits.serve.registry;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The embedded model is copied out of a jar as well as out of a class-path folder, sub-folders included. */
class EmbeddedModelCopyTest {
    private static final String[][] FILES = {
        {"spec.json", "{\"name\":\"cnn\"}"},
        {"weights.safetensors", "weights"},
        {"export/tfjs/model.json", "{}"},
        {"export/tfjs/group1-shard1of1.bin", "shard"},
    };

    @Test
    void theModelDirectoryIsCopiedOutOfAJar(@TempDir Path dir) throws Exception {
        Path jar = dir.resolve("digits.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            put(out, "dev/digits/other/spec.json", "not this one");
            for (String[] f : FILES) put(out, EmbeddedModel.RESOURCE_DIR.substring(1) + "/" + f[0], f[1]);
        }
        URL spec = new URL("jar:" + jar.toUri() + "!" + EmbeddedModel.RESOURCE_DIR + "/spec.json");
        Path target = Files.createDirectories(dir.resolve("copy"));
        EmbeddedModel.copyDirectoryOf(spec, target);
        assertCopied(target);
    }

    @Test
    void theModelDirectoryIsCopiedOutOfAClassPathFolder(@TempDir Path dir) throws Exception {
        Path folder = dir.resolve("classes" + EmbeddedModel.RESOURCE_DIR);
        for (String[] f : FILES) {
            Path p = folder.resolve(f[0]);
            Files.createDirectories(p.getParent());
            Files.writeString(p, f[1]);
        }
        Path target = Files.createDirectories(dir.resolve("copy"));
        EmbeddedModel.copyDirectoryOf(folder.resolve("spec.json").toUri().toURL(), target);
        assertCopied(target);
    }

    private static void assertCopied(Path target) throws Exception {
        for (String[] f : FILES) assertEquals(f[1], Files.readString(target.resolve(f[0])), f[0]);
        assertFalse(Files.exists(target.resolve("other")));
    }

    private static void put(JarOutputStream out, String name, String content) throws Exception {
        out.putNextEntry(new JarEntry(name));
        OutputStream o = out;
        o.write(content.getBytes(StandardCharsets.UTF_8));
        out.closeEntry();
    }
}
