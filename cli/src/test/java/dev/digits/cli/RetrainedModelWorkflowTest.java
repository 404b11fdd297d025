package dev.digits.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.digits.core.artifact.ExportManifest;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.serve.DigitsServer;
import dev.digits.serve.ServerConfig;
import dev.digits.train.QuickModels;
import dev.digits.train.transfer.ImageFolders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.digits.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A model with its own classes through every stage, as a user runs them: {@code digits retrain} on class folders,
 * {@code digits evaluate} and {@code digits export} on the held-out images of those folders, then the server
 * answering with the folder names.
 */
class RetrainedModelWorkflowTest {
    @TempDir
    Path dir;

    @Test
    void retrainEvaluateExportAndServeWorkForLabelsOtherThanDigits() throws Exception {
        Path base = dir.resolve("cnn");
        QuickModels.train("cnn", 3000, base).close();
        Path images = ImageFolders.writeDigits(dir.resolve("shapes"), Map.of("circle", 0, "stick", 1, "hook", 7), 30);
        Path models = dir.resolve("models");
        Path model = models.resolve("shapes");
        CliTest.Run retrain = run("retrain", "--base", base.toString(), "--data", images.toString(), "--epochs", "3",
                "--learning-rate", "0.01", "--output", model.toString());
        assertEquals(0, retrain.code(), retrain.err());

        CliTest.Run refused = run("evaluate", model.toString());
        assertEquals(3, refused.code(), "without its data: " + refused.out() + refused.err());
        assertTrue(refused.err().contains("--data"), refused.err());

        CliTest.Run evaluate = run("evaluate", model.toString(), "--data", images.toString());
        assertEquals(0, evaluate.code(), evaluate.err());
        assertTrue(evaluate.out().contains("held-out images of shapes") && evaluate.out().contains("hook"), evaluate.out());

        CliTest.Run export = run("export", model.toString(), "--data", images.toString(), "--format", "onnx,tflite,triton");
        assertEquals(0, export.code(), export.err() + export.out());
        assertTrue(export.out().contains("Triton / KServe model repository"), export.out());
        Path triton = model.resolve("triton").resolve(model.getFileName().toString());
        String config = Files.readString(triton.resolve("config.pbtxt"));
        assertTrue(config.contains("dims: [ 3 ]") && config.contains("platform: \"onnxruntime_onnx\""), config);
        assertEquals(Files.size(model.resolve("export").resolve(model.getFileName() + ".onnx")),
                Files.size(triton.resolve("1").resolve("model.onnx")));
        ModelArtifact artifact = ModelArtifact.open(model);
        ExportManifest manifest = artifact.manifest().orElseThrow();
        assertEquals(2, manifest.entries().size(), manifest.entries().toString());
        // Verified on the held-out images of the folders, split again as training split them, not on MNIST.
        int heldOut = ((Number) artifact.card().training().get("validationImages")).intValue();
        assertTrue(heldOut > 0 && heldOut < 90, "held out " + heldOut);
        assertEquals(heldOut, manifest.entries().get(0).verification().testImages());
        assertEquals(List.of("circle", "hook", "stick"), artifact.labels());

        try (DigitsServer server = DigitsServer.start(ServerConfig.builder().host("127.0.0.1").port(0).accessLog(false)
                .models(models).build())) {
            HttpClient http = HttpClient.newHttpClient();
            String url = "http://127.0.0.1:" + server.port();
            JsonNode catalogue = new ObjectMapper().readTree(http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/models"))
                    .build(), HttpResponse.BodyHandlers.ofString()).body());
            assertTrue(catalogue.toString().contains("\"circle\"") && catalogue.toString().contains("\"hook\""), catalogue.toString());
            Path hook;
            try (Stream<Path> files = Files.list(images.resolve("hook"))) {
                hook = files.filter(p -> p.toString().endsWith(".png")).sorted().findFirst().orElseThrow();
            }
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/predict?model=shapes"))
                    .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofFile(hook)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, answer.statusCode(), answer.body());
            JsonNode a = new ObjectMapper().readTree(answer.body());
            assertEquals(3, a.get("probabilities").size(), answer.body());
            assertTrue(List.of("circle", "hook", "stick").contains(a.get("label").asText()), answer.body());
        }
    }
}
