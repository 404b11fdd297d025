package dev.digits.cli;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server distribution that serve's build leaves in {@code serve/target/} ({@code digits-server.jar} and its
 * {@code lib/}) runs on its own, in a JVM of its own: it serves the embedded model and maps no training or TFLite
 * library, and its jars hold nothing of train or convert.
 */
class ServerDistributionTest {
    private static final Path TARGET = Path.of("").toAbsolutePath().getParent().resolve("serve/target");

    @Test
    void theServerJarAndItsLibServeTheEmbeddedModelWithoutTheTrainingStack() throws Exception {
        Path jar = TARGET.resolve("digits-server.jar");
        assertTrue(Files.isRegularFile(jar), jar + " is built by serve's package phase");
        List<String> libs;
        try (Stream<Path> s = Files.list(TARGET.resolve("lib"))) {
            libs = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertTrue(libs.stream().anyMatch(l -> l.startsWith("onnxruntime-")), libs.toString());
        for (String forbidden : List.of("pytorch", "djl", "tflite", "xchart", "digits-train", "digits-convert", "progressbar")) {
            assertFalse(libs.stream().anyMatch(l -> l.contains(forbidden)), forbidden + " in " + libs);
        }

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-jar", jar.toString(), "--port", "0", "--host", "127.0.0.1")
                .redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            Pattern serving = Pattern.compile("serving on http://127\\.0\\.0\\.1:(\\d+)/");
            int port = -1;
            StringBuilder seen = new StringBuilder();
            for (String line; port < 0 && (line = out.readLine()) != null; ) {
                seen.append(line).append('\n');
                Matcher m = serving.matcher(line);
                if (m.find()) port = Integer.parseInt(m.group(1));
            }
            assertTrue(port > 0, "the server did not say where it serves:\n" + seen);
            HttpResponse<String> health = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, health.statusCode(), health.body());
            assertTrue(health.body().contains("cnn.onnx"), health.body());
            String maps = Files.readString(Path.of("/proc/" + p.pid() + "/maps"));
            assertFalse(maps.contains("libtorch") || maps.contains("tensorflowlite"), "the server mapped a training or TFLite library");
            assertTrue(maps.contains("onnxruntime"), "ONNX Runtime is what serves");
        } finally {
            p.destroy();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the server stops on SIGTERM");
        }
        // 143 is the JVM's own code for a SIGTERM it shut down on; a crash (134) or an error exit is a failure.
        assertTrue(p.exitValue() == 0 || p.exitValue() == 143, "exit code after SIGTERM: " + p.exitValue());
    }
}
