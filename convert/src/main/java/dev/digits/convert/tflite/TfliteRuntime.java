package dev.digits.convert.tflite;

import org.tensorflow.lite.TensorFlowLite;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Loads the TensorFlow Lite native library (the JNI build in {@code tflite-native-cpu}) once per JVM. The TFLite
 * Java API does not find it by itself on a desktop JVM, so it is copied out of the class path and loaded by path
 * before the first {@code Interpreter}. Set {@value #LIBRARY_PROPERTY} to load another build instead (for a
 * platform the bundled Linux x86-64 library does not cover).
 */
public final class TfliteRuntime {
    /** System property naming a {@code libtensorflowlite_jni} file to load instead of the bundled one. */
    public static final String LIBRARY_PROPERTY = "digits.tflite.library";
    private static final String RESOURCE = "native/lib/libtensorflowlite_jni.so";
    private static String version;

    private TfliteRuntime() {
    }

    /** Loads the library if not done yet; returns the runtime's version (e.g. {@code 2.6.2}). */
    public static synchronized String load() {
        if (version != null) return version;
        String explicit = System.getProperty(LIBRARY_PROPERTY);
        try {
            if (explicit != null) {
                System.load(Path.of(explicit).toAbsolutePath().toString());
            } else {
                System.load(extract().toString());
            }
        } catch (IOException e) {
            throw new IllegalStateException("could not unpack the TensorFlow Lite runtime: " + e.getMessage(), e);
        }
        version = TensorFlowLite.runtimeVersion();
        return version;
    }

    private static Path extract() throws IOException {
        String os = System.getProperty("os.name") + " " + System.getProperty("os.arch");
        try (InputStream in = TfliteRuntime.class.getClassLoader().getResourceAsStream(RESOURCE)) {
            if (in == null || !os.startsWith("Linux") || !(os.endsWith("amd64") || os.endsWith("x86_64"))) {
                throw new IllegalStateException("no TensorFlow Lite runtime for " + os + " is bundled (only Linux x86-64);"
                        + " point -D" + LIBRARY_PROPERTY + "=FILE at a libtensorflowlite_jni build for this platform");
            }
            Path dir = Files.createTempDirectory("digits-tflite");
            Path lib = dir.resolve("libtensorflowlite_jni.so");
            Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
            // Once loaded the mapping stays valid, so the copy can go when the JVM exits. Files registered later are
            // deleted first: the library, then its directory.
            dir.toFile().deleteOnExit();
            lib.toFile().deleteOnExit();
            return lib;
        }
    }
}
