package dev.digits.android;

import org.codehaus.mojo.animal_sniffer.SignatureChecker;
import org.codehaus.mojo.animal_sniffer.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The app declares minSdk 24 (Android 7.0). Compiling against Android 14 does not show a call to an API added later,
 * which would crash on older phones; this test does: every class the app runs (its own and core's packages it
 * uses) is checked against the Android 7.0 API plus what the build's library desugaring adds, with the
 * animal-sniffer signature for API 24.
 */
class MinSdkApiTest {
    /** Core packages the app uses; the rest of core (model specs, safetensors) is never loaded on a phone. */
    private static final List<String> CORE_PACKAGES = Arrays.asList("dev/digits/core/preprocess/",
            "dev/digits/core/recognition/", "dev/digits/core/json/", "dev/digits/core/io/", "dev/digits/core/client/");

    /**
     * Resolved elsewhere: the app's and core's own classes (checked themselves), TFLite (in the APK), and
     * java.nio.file, which app/build.gradle's desugar_jdk_libs_nio provides below API 26.
     */
    private static final Set<String> PROVIDED = new HashSet<>(Arrays.asList("dev.digits.**", "org.tensorflow.lite.**",
            "java.nio.file.**"));

    @Test
    void everyClassTheAppRunsUsesOnlyApisAndroid7Has(@TempDir Path tmp) throws IOException {
        Path app = tmp.resolve("app");
        BuildInputs.copyClasses(BuildInputs.property("digits.android.classes").toFile(),
                name -> name.startsWith("dev/digits/android/"), app);
        BuildInputs.copyClasses(BuildInputs.coreClasses(),
                name -> CORE_PACKAGES.stream().anyMatch(name::startsWith), app);
        long classes;
        try (java.util.stream.Stream<Path> walk = Files.walk(app)) {
            classes = walk.filter(p -> p.toString().endsWith(".class")).count();
        }
        assertTrue(classes > 20, "classes to check: " + classes);

        List<String> violations = new ArrayList<>();
        Path signature = BuildInputs.property("digits.tflite.android").resolve("android-api-24.signature");
        try (InputStream in = Files.newInputStream(signature)) {
            SignatureChecker checker = new SignatureChecker(in, PROVIDED, new CollectingLogger(violations));
            checker.setCheckJars(false);
            // Lets violations name source lines; also required by the checker.
            checker.setSourcePath(Arrays.asList(BuildInputs.property("digits.android.sources").toFile()));
            checker.process(app.toFile());
        }
        assertEquals("", String.join("\n", violations));
    }

    private static final class CollectingLogger implements Logger {
        private final List<String> errors;

        CollectingLogger(List<String> errors) {
            this.errors = errors;
        }

        @Override
        public void info(String message) {
        }

        @Override
        public void info(String message, Throwable t) {
        }

        @Override
        public void debug(String message) {
        }

        @Override
        public void debug(String message, Throwable t) {
        }

        @Override
        public void warn(String message) {
            errors.add("warning: " + message);
        }

        @Override
        public void warn(String message, Throwable t) {
            errors.add("warning: " + message + " " + t);
        }

        @Override
        public void error(String message) {
            errors.add(message);
        }

        @Override
        public void error(String message, Throwable t) {
            errors.add(message + " " + t);
        }
    }
}
