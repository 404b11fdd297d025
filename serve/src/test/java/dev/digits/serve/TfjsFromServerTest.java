package dev.digits.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.digits.serve.registry.EmbeddedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * On-device use of a served TF.js model: TensorFlow.js (under node, with its real fetch over HTTP) loads the model
 * with {@code tf.loadLayersModel(url)} from the versioned URL, finds the weight shards beside it, and answers as the
 * server does. Without node or TF.js the test is skipped outside CI and fails under CI ({@link RequiredRuntime}).
 */
class TfjsFromServerTest {
    /** Loads the model from argv[3] over HTTP and prints its probabilities for the pixels read from stdin. */
    private static final String SCRIPT = String.join("\n",
            "import { createRequire } from 'node:module';",
            "console.log = console.error;",
            "console.warn = console.error;",
            "const require = createRequire(process.argv[2]);",
            "const tf = require('@tensorflow/tfjs');",
            "await tf.setBackend('cpu');",
            "const model = await tf.loadLayersModel(process.argv[3]);",
            "let input = '';",
            "for await (const chunk of process.stdin) input += chunk;",
            "const pixels = JSON.parse(input);",
            "const shape = [1, ...model.inputs[0].shape.slice(1)];",
            "const p = model.predict(tf.tensor(pixels, shape)).dataSync();",
            "process.stdout.write(JSON.stringify(Array.from(p)));",
            "");

    @Test
    void tfLoadLayersModelLoadsTheModelFromItsVersionedUrl(@TempDir Path root) throws Exception {
        Path runtime = Path.of("..", "convert", "tfjs-runtime").toAbsolutePath().normalize();
        RequiredRuntime.require(commandWorks("node", "--version"), "node is not installed (apt-get install -y nodejs)");
        RequiredRuntime.require(Files.isDirectory(runtime.resolve("node_modules/@tensorflow/tfjs")),
                "TF.js is not installed in " + runtime + " (run: npm ci --prefix " + runtime + ")");
        TestModels.ensureEmbeddedModel();
        Path v1 = root.resolve("cnn/versions/1");
        Files.createDirectories(v1);
        EmbeddedModel.copyTo(v1); // its export holds the TF.js float32 model digits export wrote and verified
        assertEquals(true, Files.isRegularFile(v1.resolve("export/tfjs/model.json")), "the embedded export has TF.js");
        Path script = Files.writeString(root.resolve("load.mjs"), SCRIPT);
        float[] pixels = TestModels.mnistPixels(0);
        try (DigitsServer server = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).models(root).build())) {
            String url = server.uri().resolve("/api/v1/models/cnn/versions/1/files/export/tfjs/model.json").toString();
            Process node = new ProcessBuilder("node", script.toString(), runtime.resolve("package.json").toString(), url)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
            node.getOutputStream().write(Http.JSON.writeValueAsBytes(pixels));
            node.getOutputStream().close();
            String out = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(true, node.waitFor(120, TimeUnit.SECONDS), "node finished");
            assertEquals(0, node.exitValue(), "node failed; output: " + out);
            JsonNode browser = Http.JSON.readTree(out);
            JsonNode served = new Http(server).postJson("/api/v1/predict", Map.of("pixels", pixels)).json().get("probabilities");
            assertEquals(10, browser.size());
            for (int k = 0; k < 10; k++) {
                assertEquals(served.get(k).asDouble(), browser.get(k).asDouble(), 1e-4, "class " + k);
            }
        }
    }

    private static boolean commandWorks(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
