package dev.digits.cli;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The arrows between modules run one way: core imports nothing of ours; train, convert and serve import only core;
 * the command line wires them together. Checked on every main source file's imports, so a stray dependency fails the
 * build instead of coupling the server to the training stack again.
 */
class ModuleBoundariesTest {
    /** Module → the Digits packages its main code may import besides its own. */
    private static final Map<String, List<String>> ALLOWED = Map.of(
            "core", List.of(),
            "train", List.of("dev.digits.core"),
            "convert", List.of("dev.digits.core"),
            "serve", List.of("dev.digits.core"));

    /** Third-party packages a module must not use: the server runs without the training or conversion stacks. */
    private static final Map<String, List<String>> FORBIDDEN = Map.of(
            "core", List.of("ai.djl", "ai.onnxruntime", "org.tensorflow", "org.knowm", "io.javalin", "com.fasterxml"),
            "convert", List.of("ai.djl.ndarray", "ai.djl.pytorch", "ai.djl.training", "org.knowm"),
            "serve", List.of("ai.djl", "org.tensorflow", "org.knowm", "me.tongfei", "ai.onnx.proto"));

    private static final Pattern IMPORT = Pattern.compile("^import\\s+(?:static\\s+)?([\\w.]+)", Pattern.MULTILINE);
    private static final Pattern QUALIFIED = Pattern.compile("\\bdev\\.digits\\.(\\w+)\\.");

    private static Path root() {
        Path here = Path.of("").toAbsolutePath();
        return Files.isDirectory(here.resolve("core")) ? here : here.getParent();
    }

    private static List<Path> sources(String module) throws IOException {
        Path dir = root().resolve(module).resolve("src/main/java");
        assertTrue(Files.isDirectory(dir), "no sources at " + dir);
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(p -> p.toString().endsWith(".java")).toList();
        }
    }

    @Test
    void everyModuleImportsOnlyWhatItsPlaceAllows() throws IOException {
        List<String> violations = new ArrayList<>();
        int files = 0;
        for (Map.Entry<String, List<String>> m : ALLOWED.entrySet()) {
            String module = m.getKey();
            String own = "dev.digits." + module;
            for (Path f : sources(module)) {
                files++;
                String text = Files.readString(f, StandardCharsets.UTF_8);
                List<String> used = new ArrayList<>();
                Matcher imp = IMPORT.matcher(text);
                while (imp.find()) used.add(imp.group(1));
                // Fully qualified names in code count too (dev.digits.train.X without an import).
                Matcher q = QUALIFIED.matcher(text);
                while (q.find()) used.add("dev.digits." + q.group(1) + ".");
                for (String name : used) {
                    if (name.startsWith("dev.digits.") && !name.startsWith(own + ".")
                            && m.getValue().stream().noneMatch(a -> name.startsWith(a + "."))) {
                        violations.add(module + ": " + root().relativize(f) + " uses " + name);
                    }
                    for (String banned : FORBIDDEN.getOrDefault(module, List.of())) {
                        if (name.startsWith(banned + ".")) violations.add(module + ": " + root().relativize(f) + " uses " + name);
                    }
                }
            }
        }
        assertTrue(files > 100, "only " + files + " source files found: the check would prove nothing");
        assertEquals(List.of(), violations);
    }
}
