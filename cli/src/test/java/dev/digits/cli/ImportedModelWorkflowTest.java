package dev.digits.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.digits.convert.importer.TorchModels;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.data.ImageSet;
import dev.digits.core.recognition.DigitCheck;
import dev.digits.serve.DigitsServer;
import dev.digits.serve.ServerConfig;
import dev.digits.train.TestData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static dev.digits.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A model trained elsewhere through every stage, as a user runs them: {@code digits import} of an ONNX file
 * PyTorch wrote, {@code digits evaluate}, {@code digits export} to the three formats, and the server answering
 * with it; and the one-line errors of a file Digits cannot import.
 */
class ImportedModelWorkflowTest {
    @TempDir
    Path dir;

    private static String data() {
        return System.getProperty("digits.data");
    }

    @Test
    void importEvaluateExportAndServeAModelPyTorchWrote() throws Exception {
        Path onnx = TorchModels.dir().resolve("torch-example-normalized.onnx");
        Path models = dir.resolve("models");
        Path model = models.resolve("torch-cnn");
        CliTest.Run imported = run("import", onnx.toString(), "--output", model.toString(), "--data", data());
        assertEquals(0, imported.code(), imported.err() + imported.out());
        assertTrue(imported.out().contains("→ (x/255 − 0.1307)/0.3081, light ink on dark"), imported.out());
        assertTrue(imported.out().contains("Checked against torch-example-normalized.onnx in ONNX Runtime on 10000"), imported.out());
        // A digit check fitted on training digits, as training fits one: the imported model can answer "not a digit".
        DigitCheck check = ModelArtifact.open(model).card().digitCheck();
        assertTrue(check.rejects() && check.temperature() > 0, check.toString());
        java.util.regex.Matcher rejected = java.util.regex.Pattern
                .compile("Digit check: T = .* rejecting 1\\.0% of 5,000 MNIST training digits.*; it rejects ([0-9.]+)% of the MNIST test digits")
                .matcher(imported.out());
        assertTrue(rejected.find(), imported.out());
        double testRejected = Double.parseDouble(rejected.group(1));
        assertTrue(testRejected > 0 && testRejected < 10, "share of test digits the fitted check rejects: " + testRejected);
        assertTrue(ModelArtifact.open(model).card().training().get("digitCheckFit").toString().contains("5,000"));

        CliTest.Run evaluate = run("evaluate", model.toString(), "--data", data());
        assertEquals(0, evaluate.code(), evaluate.err());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("Accuracy ([0-9.]+)%").matcher(evaluate.out());
        assertTrue(m.find(), evaluate.out());
        assertEquals(100 * TorchModels.accuracy("torch-example-normalized.onnx"), Double.parseDouble(m.group(1)), 0.5,
                "DJL's accuracy of the imported model against PyTorch's of the original");
        assertTrue(evaluate.out().contains(String.format(java.util.Locale.ROOT, "(%.2f%%) answered \"not a digit\"", testRejected)),
                evaluate.out());

        // TF.js runs from the source tree's runtime package, wherever the convert module's classes were resolved from.
        System.setProperty("digits.tfjs.runtime", Path.of("../convert/tfjs-runtime").toAbsolutePath().normalize().toString());
        CliTest.Run export = run("export", model.toString(), "--data", data(), "--format", "onnx,tflite,tfjs");
        assertEquals(0, export.code(), export.err() + export.out());
        ModelArtifact artifact = ModelArtifact.open(model);
        assertEquals(3, artifact.manifest().orElseThrow().entries().size());
        assertTrue(artifact.card().source().isPresent());
        // Every exported file says where the model came from and what the original expected.
        Path exports = model.resolve("export");
        String tfjs = Files.readString(exports.resolve("tfjs").resolve("model.json"));
        assertTrue(tfjs.contains("\"source\"") && tfjs.contains("(x/255 − 0.1307)/0.3081, light ink on dark"), tfjs);
        assertTrue(tfjs.contains("\"digitCheck\""), "the check travels with the browser's file: " + tfjs);
        for (String file : new String[] {"torch-cnn.onnx", "torch-cnn.tflite"}) {
            String bytes = new String(Files.readAllBytes(exports.resolve(file)), java.nio.charset.StandardCharsets.UTF_8);
            assertTrue(bytes.contains("torch-example-normalized.onnx") && bytes.contains("(x/255 − 0.1307)/0.3081"), file);
        }

        ImageSet test = TestData.mnist().test();
        try (DigitsServer server = DigitsServer.start(ServerConfig.builder().host("127.0.0.1").port(0).accessLog(false)
                .models(models).build())) {
            HttpClient http = HttpClient.newHttpClient();
            // Devices read the check from the catalogue, as they read the embedded model's.
            JsonNode catalogue = new ObjectMapper().readTree(http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + server.port() + "/api/v1/models/torch-cnn")).build(), HttpResponse.BodyHandlers.ofString()).body());
            assertEquals(check.threshold(), catalogue.findValue("digitCheck").get("threshold").asDouble(), 1e-9, catalogue.toString());
            int right = 0;
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                                + "/api/v1/predict?model=torch-cnn")).header("Content-Type", "image/png")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(png(test, i))).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, answer.statusCode(), answer.body());
                JsonNode a = new ObjectMapper().readTree(answer.body());
                if (a.get("digit").asInt() == test.label(i)) right++;
            }
            assertTrue(right >= 17, right + " of 20 test digits answered right through the server");
            // Pictures with ink and no digit: the one the fitted check scores lowest is answered "not a digit"; every
            // answer, digit or not, carries the score the card's threshold decided on.
            double lowest = Double.MAX_VALUE;
            JsonNode lowestAnswer = null;
            for (ImageSet picture : notDigits(test)) {
                HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
                                + "/api/v1/predict?model=torch-cnn")).header("Content-Type", "image/png")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(png(picture, 0))).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, answer.statusCode(), answer.body());
                JsonNode a = new ObjectMapper().readTree(answer.body());
                double score = a.get("score").asDouble();
                assertEquals(score >= check.threshold(), a.get("found").asBoolean(), answer.body());
                if (score < lowest) {
                    lowest = score;
                    lowestAnswer = a;
                }
            }
            assertEquals("not-a-digit", lowestAnswer.get("reason").asText(), lowestAnswer.toString());
        }

        // Transfer learning starts from the imported network, its input scaling included.
        Path images = dev.digits.train.transfer.ImageFolders.writeDigits(dir.resolve("shapes"), java.util.Map.of("circle", 0, "stick", 1), 20);
        Path retrained = dir.resolve("retrained");
        CliTest.Run retrain = run("retrain", "--base", model.toString(), "--data", images.toString(), "--epochs", "2",
                "--learning-rate", "0.01", "--output", retrained.toString());
        assertEquals(0, retrain.code(), retrain.err() + retrain.out());
        dev.digits.core.model.LayerSpec first = ModelArtifact.open(retrained).spec().layers().get(0);
        assertEquals(artifact.spec().layers().get(0).toJson(), first.toJson());
    }

    @Test
    void noDigitCheckLeavesTheCardWithout() throws Exception {
        Path model = dir.resolve("mlp");
        CliTest.Run imported = run("import", TorchModels.dir().resolve("torch-mlp-255.onnx").toString(), "--output",
                model.toString(), "--no-digit-check", "--data", data());
        assertEquals(0, imported.code(), imported.err() + imported.out());
        assertFalse(imported.out().contains("Digit check"), imported.out());
        assertFalse(ModelArtifact.open(model).card().digitCheck().rejects());
        assertFalse(ModelArtifact.open(model).card().training().containsKey("digitCheckFit"));
    }

    @Test
    void filesDigitsCannotImportAreOneLineWithExitCodeThreeAndWriteNothing() throws Exception {
        Path models = TorchModels.dir();
        Path out = dir.resolve("leaky");
        CliTest.Run leaky = run("import", models.resolve("torch-leaky-relu.onnx").toString(), "--output", out.toString(), "--data", data());
        assertEquals(3, leaky.code(), leaky.out() + leaky.err());
        assertTrue(leaky.err().contains("LeakyRelu") && leaky.err().strip().lines().count() == 1, leaky.err());
        assertFalse(leaky.err().contains("\tat "), "no stack trace: " + leaky.err());
        assertFalse(Files.exists(out));

        Path cut = dir.resolve("cut.onnx");
        byte[] bytes = Files.readAllBytes(models.resolve("torch-mlp-255.onnx"));
        Files.write(cut, Arrays.copyOf(bytes, bytes.length / 3));
        CliTest.Run truncated = run("import", cut.toString(), "--output", dir.resolve("cut").toString(), "--data", data());
        assertEquals(3, truncated.code(), truncated.out() + truncated.err());
        assertTrue(truncated.err().contains("cut short"), truncated.err());

        Path text = dir.resolve("notes.txt");
        Files.writeString(text, "not a model");
        CliTest.Run unknown = run("import", text.toString(), "--data", data());
        assertEquals(3, unknown.code());
        assertTrue(unknown.err().contains("not a model file Digits can import"), unknown.err());

        Path taken = dir.resolve("taken");
        Files.createDirectories(taken);
        Files.writeString(taken.resolve("mine.txt"), "keep");
        CliTest.Run exists = run("import", models.resolve("torch-mlp-255.onnx").toString(), "--output", taken.toString(), "--data", data());
        assertEquals(3, exists.code());
        assertTrue(exists.err().contains("--force"), exists.err());
        assertEquals("keep", Files.readString(taken.resolve("mine.txt")));
    }

    /**
     * Pictures that hold ink but no digit, as 28×28 grey images: the mean of every test digit (a blur no one draws), a
     * filled square, a checkerboard and noise.
     */
    private static java.util.List<ImageSet> notDigits(ImageSet test) {
        int h = test.height();
        int w = test.width();
        java.util.Random random = new java.util.Random(7);
        java.util.List<ImageSet> pictures = new java.util.ArrayList<>();
        for (int kind = 0; kind < 4; kind++) {
            byte[] pixels = new byte[h * w];
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int v;
                    if (kind == 0) {
                        long sum = 0;
                        for (int i = 0; i < test.size(); i++) sum += test.pixel(i, y, x);
                        v = (int) Math.min(255, 2 * sum / test.size());
                    } else if (kind == 1) {
                        v = x >= 6 && x < 22 && y >= 6 && y < 22 ? 255 : 0;
                    } else if (kind == 2) {
                        v = x >= 4 && x < 24 && y >= 4 && y < 24 && ((x / 4 + y / 4) & 1) == 0 ? 255 : 0;
                    } else {
                        v = x >= 4 && x < 24 && y >= 4 && y < 24 ? random.nextInt(256) : 0;
                    }
                    pixels[y * w + x] = (byte) v;
                }
            }
            pictures.add(new ImageSet(h, w, pixels, new int[] {0}, ImageSet.digitClasses()));
        }
        return pictures;
    }

    private static byte[] png(ImageSet set, int i) throws Exception {
        BufferedImage img = new BufferedImage(set.width(), set.height(), BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < set.height(); y++) {
            for (int x = 0; x < set.width(); x++) {
                int v = set.pixel(i, y, x);
                img.setRGB(x, y, 0xff000000 | v << 16 | v << 8 | v);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        return out.toByteArray();
    }
}
