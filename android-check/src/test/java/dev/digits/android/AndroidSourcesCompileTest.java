package dev.digits.android;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.ToolProvider;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Constructor;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The app is compiled by Maven against the desktop TFLite jar, whose API is TFLite 2.6's. The APK ships TFLite
 * 2.16.1 from its Android archives, so every app source is compiled here once more against exactly what
 * app/build.gradle declares: the Java classes inside the tensorflow-lite, tensorflow-lite-api and tensorflow-lite-gpu
 * 2.16.1 and tensorflow-lite-gpu-api 2.14.0 .aar files, plus the Android 14 framework jar and core. A method the app
 * calls that 2.16.1 no longer has fails here, not on a phone.
 */
class AndroidSourcesCompileTest {
    private static final List<String> ARCHIVES = Arrays.asList("tensorflow-lite-api", "tensorflow-lite",
            "tensorflow-lite-gpu", "tensorflow-lite-gpu-api");
    private static Path androidAll;
    private static Path sources;
    private static Path archives;

    @BeforeAll
    static void locateInputs() {
        androidAll = BuildInputs.property("digits.android.all");
        sources = BuildInputs.property("digits.android.sources");
        archives = BuildInputs.property("digits.tflite.android");
        assertTrue(Files.isRegularFile(androidAll), "Android framework jar at " + androidAll);
        assertTrue(Files.isDirectory(sources), "app sources at " + sources);
    }

    /** The classes.jar inside each TFLite .aar, extracted into {@code dir}. */
    private static List<File> tfliteClassJars(Path dir) throws IOException {
        List<File> jars = new ArrayList<>();
        for (String name : ARCHIVES) {
            Path aar = archives.resolve(name + ".aar");
            assertTrue(Files.isRegularFile(aar), "the build copies " + aar);
            try (ZipFile zip = new ZipFile(aar.toFile())) {
                ZipEntry classes = zip.getEntry("classes.jar");
                assertNotNull(classes, aar + " holds classes.jar");
                Path jar = dir.resolve(name + "-classes.jar");
                try (InputStream in = zip.getInputStream(classes)) {
                    Files.copy(in, jar, StandardCopyOption.REPLACE_EXISTING);
                }
                jars.add(jar.toFile());
            }
        }
        return jars;
    }

    @Test
    void everyAppSourceCompilesAgainstAndroid14AndTheTfliteVersionTheApkShips(@TempDir Path tmp) throws IOException {
        List<File> files;
        try (Stream<Path> walk = Files.walk(sources)) {
            files = walk.filter(p -> p.toString().endsWith(".java")).map(Path::toFile).collect(Collectors.toList());
        }
        assertTrue(files.size() >= 9, "app sources found: " + files);
        List<File> classPath = new ArrayList<>();
        classPath.add(androidAll.toFile());
        classPath.addAll(tfliteClassJars(tmp));
        classPath.add(BuildInputs.coreClasses());
        Path out = Files.createDirectories(tmp.resolve("classes"));

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager fm = javac.getStandardFileManager(diagnostics, null, null)) {
            List<String> options = Arrays.asList("--release", "17", "-proc:none", "-Xlint:-options",
                    "-classpath", classPath.stream().map(File::getPath).collect(Collectors.joining(File.pathSeparator)),
                    "-d", out.toString());
            boolean ok = javac.getTask(null, fm, diagnostics, options, null, fm.getJavaFileObjectsFromFiles(files))
                    .call();
            String errors = diagnostics.getDiagnostics().stream()
                    .filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
                    .map(d -> d.getSource().getName() + ":" + d.getLineNumber() + ": " + d.getMessage(null))
                    .collect(Collectors.joining("\n"));
            assertEquals("", errors);
            assertTrue(ok);
        }
        for (File f : files) {
            String name = f.getName().replace(".java", ".class");
            try (Stream<Path> walk = Files.walk(out)) {
                assertTrue(walk.anyMatch(p -> p.getFileName().toString().equals(name)), name + " was produced");
            }
        }
    }

    /**
     * The app creates the GPU delegate by name (the desktop jar Maven compiles against has none). Resolving its
     * constructor links every class it names, which is how the missing GpuDelegateFactory of the 2.16.1 GPU
     * archive showed up: without tensorflow-lite-gpu-api this fails with NoClassDefFoundError.
     */
    @Test
    void theGpuDelegateTheAppLoadsByNameLinksWithTheDeclaredArchives(@TempDir Path tmp) throws Exception {
        List<File> jars = tfliteClassJars(tmp);
        URL[] urls = new URL[jars.size()];
        for (int i = 0; i < urls.length; i++) urls[i] = jars.get(i).toURI().toURL();
        // Parent: the platform loader, so that the desktop TFLite on the test class path cannot stand in.
        try (URLClassLoader loader = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader())) {
            Class<?> gpu = Class.forName(Classifier.GPU_DELEGATE_CLASS, false, loader);
            Class<?> delegate = Class.forName("org.tensorflow.lite.Delegate", false, loader);
            assertTrue(delegate.isAssignableFrom(gpu), gpu + " is a TFLite Delegate");
            Constructor<?> constructor = gpu.getConstructor();
            assertTrue(Modifier.isPublic(constructor.getModifiers()));
        }
    }
}
