package dev.digits.serve;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.File;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server depends on core, ONNX Runtime and its HTTP stack only: it runs the ONNX file {@code digits export} wrote
 * and verified, so nothing of training or conversion — DJL, PyTorch, TFLite, plotting, Digits' train and convert
 * modules — may be used by it or be on its class path. Checked on the compiled classes (every class file's
 * references, not just its imports), on the sources, on the class path the tests run with (which holds the
 * runtime class path), and on the module's pom.
 */
class ModuleBoundaryTest {
    private static final List<String> FORBIDDEN_PACKAGES = List.of("dev/digits/train/", "dev/digits/convert/", "ai/djl/",
            "org/tensorflow/", "org/knowm/xchart/");

    private static Path mainClasses() throws URISyntaxException {
        return Path.of(DigitsServer.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    @Test
    void noServerClassRefersToTrainingConversionOrTheirEngines() throws Exception {
        Path classes = mainClasses();
        assertTrue(Files.isRegularFile(classes.resolve("dev/digits/serve/DigitsServer.class")), classes.toString());
        List<String> offenders = new ArrayList<>();
        int scanned = 0;
        try (Stream<Path> walk = Files.walk(classes)) {
            for (Path f : (Iterable<Path>) walk.filter(p -> p.toString().endsWith(".class"))::iterator) {
                scanned++;
                // Class names in the constant pool are (modified) UTF-8: an ASCII package name appears as it is.
                String text = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                for (String p : FORBIDDEN_PACKAGES) {
                    if (text.contains(p)) offenders.add(classes.relativize(f) + " -> " + p);
                }
            }
        }
        assertTrue(scanned > 20, "scanned " + scanned + " classes in " + classes);
        assertEquals(List.of(), offenders);
    }

    @Test
    void noServerSourceImportsTrainOrConvert() throws Exception {
        Path sources = Path.of("src", "main", "java");
        assertTrue(Files.isDirectory(sources), "run from the serve module: " + sources.toAbsolutePath());
        List<String> offenders;
        try (Stream<Path> walk = Files.walk(sources)) {
            offenders = walk.filter(p -> p.toString().endsWith(".java")).flatMap(f -> {
                try {
                    return Files.readAllLines(f).stream()
                            .filter(l -> l.contains("dev.digits.train") || l.contains("dev.digits.convert"))
                            .map(l -> sources.relativize(f) + ": " + l.trim());
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).collect(Collectors.toList());
        }
        assertEquals(List.of(), offenders);
    }

    @Test
    void trainingAndConversionEnginesAreNotOnTheClassPath() {
        for (String name : List.of("ai.djl.ndarray.NDManager", "ai.djl.pytorch.engine.PtEngine",
                "org.tensorflow.lite.Interpreter", "org.tensorflow.lite.support.metadata.MetadataExtractor",
                "org.knowm.xchart.XYChart", "dev.digits.train.TrainedModel", "dev.digits.convert.LoadedModel",
                "dev.digits.convert.onnx.OnnxExporter")) {
            assertThrows(ClassNotFoundException.class, () -> Class.forName(name, false, getClass().getClassLoader()),
                    name + " is on serve's class path");
        }
        assertDoesNotThrow(() -> Class.forName("ai.onnxruntime.OrtSession", false, getClass().getClassLoader()),
                "ONNX Runtime runs the served files");
    }

    @Test
    void theClassPathHoldsNoJarOfTrainingOrConversion() {
        List<String> offenders = new ArrayList<>();
        int entries = 0;
        for (String property : List.of("java.class.path", "surefire.test.class.path", "jdk.module.path")) {
            String value = System.getProperty(property);
            if (value == null) continue;
            for (String entry : value.split(File.pathSeparator)) {
                entries++;
                String e = entry.replace('\\', '/').toLowerCase(Locale.ROOT);
                for (String bad : List.of("/ai/djl/", "pytorch", "tflite", "tensorflow", "xchart", "digits-train",
                        "digits-convert", "/train/target/", "/convert/target/")) {
                    if (e.contains(bad)) offenders.add(property + ": " + entry);
                }
            }
        }
        assertTrue(entries > 0, "no class path property was set");
        assertEquals(List.of(), offenders);
    }

    @Test
    void thePomDeclaresNoDependencyOnTrainOrConvert() throws Exception {
        Path pom = Path.of("pom.xml");
        assertTrue(Files.isRegularFile(pom), "run from the serve module: " + pom.toAbsolutePath());
        var factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(false);
        var doc = factory.newDocumentBuilder().parse(pom.toFile());
        NodeList deps = doc.getElementsByTagName("dependency");
        assertTrue(deps.getLength() > 0);
        for (int i = 0; i < deps.getLength(); i++) {
            Element d = (Element) deps.item(i);
            String group = d.getElementsByTagName("groupId").item(0).getTextContent().trim();
            String artifact = d.getElementsByTagName("artifactId").item(0).getTextContent().trim();
            assertFalse(artifact.equals("digits-train") || artifact.equals("digits-convert") || group.startsWith("ai.djl")
                            || group.startsWith("org.tensorflow") || group.startsWith("org.knowm"),
                    "serve/pom.xml depends on " + group + ":" + artifact);
        }
    }
}
