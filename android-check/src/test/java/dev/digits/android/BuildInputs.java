package dev.digits.android;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Enumeration;
import java.util.function.Predicate;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertNotNull;

/** The files the build hands the checks: set as system properties by android-check/pom.xml or on the class path. */
final class BuildInputs {
    private BuildInputs() {
    }

    /** A path the build passes as {@code -Dname=...}. */
    static Path property(String name) {
        String v = System.getProperty(name);
        assertNotNull(v, "the build sets -D" + name);
        return Path.of(v);
    }

    /** Core's compiled classes, from this test's own class path: a directory in the reactor, else the jar. */
    static File coreClasses() {
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (entry.contains("digits-core") || entry.replace('\\', '/').endsWith("core/target/classes")) {
                return new File(entry);
            }
        }
        throw new AssertionError("core is not on the test class path");
    }

    /** Copies the .class files of {@code classes} (a directory or jar) whose path passes {@code keep} into {@code to}. */
    static void copyClasses(File classes, Predicate<String> keep, Path to) throws IOException {
        if (classes.isDirectory()) {
            Path root = classes.toPath();
            try (Stream<Path> walk = Files.walk(root)) {
                for (Path p : (Iterable<Path>) walk::iterator) {
                    String rel = root.relativize(p).toString().replace(File.separatorChar, '/');
                    if (rel.endsWith(".class") && keep.test(rel)) {
                        Path target = to.resolve(rel);
                        Files.createDirectories(target.getParent());
                        Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            return;
        }
        try (ZipFile jar = new ZipFile(classes)) {
            Enumeration<? extends ZipEntry> entries = jar.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                if (e.getName().endsWith(".class") && keep.test(e.getName())) {
                    Path target = to.resolve(e.getName());
                    Files.createDirectories(target.getParent());
                    try (InputStream in = jar.getInputStream(e)) {
                        Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        }
    }
}
