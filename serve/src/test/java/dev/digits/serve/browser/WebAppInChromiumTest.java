package dev.digits.serve.browser;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Request;
import dev.digits.core.data.ImageSet;
import dev.digits.serve.DigitsServer;
import dev.digits.serve.ServerConfig;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.serve.TestModels;
import dev.digits.serve.registry.EmbeddedModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The web app in Debian's Chromium against the real server: a digit drawn with pointer events is recognised in
 * Server mode and in On-device mode, on-device inference never calls the prediction API, and it keeps answering —
 * even across a page reload — once the server is gone.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(Chromium.Required.class)
class WebAppInChromiumTest {
    private static final String PREDICT = "/api/v1/predict";

    private Path models;
    private ImageSet mnistTest;
    private DigitsServer server;

    @BeforeAll
    void serveTheEmbeddedModel(@TempDir Path dir) throws IOException {
        Chromium.assumeInstalled();
        TestModels.ensureEmbeddedModel();
        models = dir.resolve("models");
        // The embedded cnn with its verified export: the page downloads one of its TF.js files, the server runs
        // export/cnn.onnx.
        Files.createDirectories(models.resolve("cnn"));
        EmbeddedModel.copyTo(models.resolve("cnn"));
        mnistTest = TestModels.mnistTest();
        server = startServer();
    }

    @AfterAll
    void stopServer() {
        if (server != null) server.close();
    }

    private DigitsServer startServer() throws IOException {
        return DigitsServer.start(ServerConfig.builder().host("127.0.0.1").port(0).models(models).build());
    }

    @Test
    void serverModeRecognisesADigitDrawnWithThePointer(@TempDir Path profile) throws Exception {
        int seven = firstTestImageOf(7);
        try (Chromium chromium = Chromium.start(profile)) {
            AtomicInteger predictRequests = count(chromium.context(), r -> r.url().endsWith(PREDICT));
            long before = predictionsServed(server);
            DigitsPage app = DigitsPage.open(chromium.context(), server.uri().toString());

            app.draw(PenStrokes.tracing(mnistTest.rawImage(seven)));

            assertEquals("7", app.detect(), "the digit shown for MNIST test image " + seven);
            assertEquals("server", app.ranOn());
            assertEquals(1, predictRequests.get(), "predict requests the page sent");
            assertEquals(before + 1, predictionsServed(server), "predictions the server counted");
            assertTrue(app.inferenceText().matches("[0-9.]+ ms"), "inference time shown: " + app.inferenceText());
        }
    }

    /** A model whose card names its classes in words: both modes show the model's own labels, not digits. */
    @Test
    void theModelsOwnLabelsAreShownInBothModes(@TempDir Path dir) throws Exception {
        Path words = dir.resolve("models").resolve("words");
        Files.createDirectories(words);
        EmbeddedModel.copyTo(words);
        ModelArtifact a = ModelArtifact.open(words);
        a.card().toBuilder().name("words").labels(List.of("zero", "one", "two", "three", "four", "five", "six", "seven",
                "eight", "nine")).build().write(words.resolve(ModelArtifact.CARD_FILE));
        int seven = firstTestImageOf(7);
        try (DigitsServer own = DigitsServer.start(ServerConfig.builder().host("127.0.0.1").port(0).accessLog(false)
                .models(dir.resolve("models")).build());
             Chromium chromium = Chromium.start(dir.resolve("profile"))) {
            DigitsPage app = DigitsPage.open(chromium.context(), own.uri().toString());
            app.draw(PenStrokes.tracing(mnistTest.rawImage(seven)));
            assertEquals("seven", app.detect(), "server mode shows the label of the model's card");
            app.useOnDevice();
            assertEquals("seven", app.detect(), "on-device mode shows the label the catalogue lists");
            assertEquals("device", app.ranOn());
        }
    }

    @Test
    void onDeviceModeRecognisesTheDigitWithoutCallingThePredictionApi(@TempDir Path profile) throws Exception {
        int two = firstTestImageOf(2);
        try (Chromium chromium = Chromium.start(profile)) {
            AtomicInteger predictRequests = count(chromium.context(), r -> r.url().endsWith(PREDICT));
            AtomicInteger modelDownloads = count(chromium.context(), r -> r.url().endsWith("/model.json"));
            long before = predictionsServed(server);
            DigitsPage app = DigitsPage.open(chromium.context(), server.uri().toString());
            app.useOnDevice();

            app.draw(PenStrokes.tracing(mnistTest.rawImage(two)));
            assertEquals("2", app.detect(), "the digit shown for MNIST test image " + two);
            assertEquals("device", app.ranOn());
            app.clear();
            app.draw(PenStrokes.line(140, 40, 140, 240));
            assertEquals("1", app.detect(), "a vertical line");

            assertEquals(0, predictRequests.get(), "predict requests the page sent in On-device mode");
            assertEquals(before, predictionsServed(server), "predictions the server counted");
            assertEquals(1, modelDownloads.get(), "downloads of the TF.js model");

            // The same drawing in Server mode: TensorFlow.js in the page and the server agree on the numbers, within
            // what the export's verification measured for the file the page runs.
            List<Double> onDevice = app.probabilities();
            double allowed = app.deviceModelMaxDifference() + 1e-4;
            app.useServer();
            assertEquals("1", app.detect());
            assertEquals("server", app.ranOn());
            List<Double> onServer = app.probabilities();
            assertEquals(10, onDevice.size());
            for (int d = 0; d < 10; d++) {
                assertEquals(onServer.get(d), onDevice.get(d), allowed, "probability of " + d);
            }
        }
    }

    @Test
    void aDigitDrawnWithAFingerIsRecognised(@TempDir Path profile) {
        int zero = firstTestImageOf(0);
        try (Chromium chromium = Chromium.start(profile)) {
            DigitsPage app = DigitsPage.open(chromium.context(), server.uri().toString());
            app.page().evaluate("() => { window.pointerTypes = [];"
                    + " document.getElementById('pad').addEventListener('pointerdown',"
                    + " (e) => window.pointerTypes.push(e.pointerType)); }");

            app.drawWithFinger(PenStrokes.tracing(mnistTest.rawImage(zero)));

            assertEquals(List.of("touch"), app.page().evaluate("() => [...new Set(window.pointerTypes)]"),
                    "pointer types that reached the pad");
            assertEquals("0", app.detect(), "the digit drawn by touch, MNIST test image " + zero);
        }
    }

    @Test
    void onDeviceModeKeepsAnsweringAfterTheServerStops(@TempDir Path profile) throws Exception {
        int four = firstTestImageOf(4);
        DigitsServer own = startServer();
        try (Chromium chromium = Chromium.start(profile)) {
            URI uri = own.uri();
            DigitsPage app = DigitsPage.open(chromium.context(), uri.toString());
            app.awaitOfflineSupport();
            app.useOnDevice();
            own.close();
            assertServerIsDown(uri);

            app.draw(PenStrokes.tracing(mnistTest.rawImage(four)));
            assertEquals("4", app.detect(), "the loaded model, server stopped");
            assertEquals("device", app.ranOn());

            // A reload with the server still gone: the page comes from the service worker, the model from the cache.
            app.page().reload();
            app.awaitModels();
            app.awaitDeviceModel();
            app.draw(PenStrokes.line(140, 40, 140, 240));
            assertEquals("1", app.detect(), "after a reload with the server stopped");
            assertEquals("device", app.ranOn());
            assertTrue(app.status().contains("from cache"), "status: " + app.status());
        } finally {
            own.close();
        }
    }

    @Test
    void anUploadedPhotoOfDarkInkOnPaperIsRecognisedAndTheKeyboardClearsThePad(@TempDir Path profile)
            throws Exception {
        int three = firstTestImageAnsweredAs(3);
        Path photo = profile.resolveSibling(profile.getFileName() + "-three.png");
        writePaperScan(mnistTest.rawImage(three), photo);
        try (Chromium chromium = Chromium.start(profile)) {
            DigitsPage app = DigitsPage.open(chromium.context(), server.uri().toString());

            app.upload(photo);
            assertEquals("3", app.digitShown(), "the uploaded dark-on-white " + photo.getFileName());
            assertEquals("server", app.ranOn());

            app.page().locator("#pad").focus();
            app.page().keyboard().press("Delete");
            assertEquals("–", app.digitShown(), "Delete on the pad clears the result");
            app.draw(PenStrokes.line(140, 40, 140, 240));
            assertEquals("1", app.detectWithKeyboard(), "Enter on the pad detects");
        } finally {
            Files.deleteIfExists(photo);
        }
    }

    /**
     * The first MNIST test image of {@code label} that the server, sent its pixels, answers as that digit: the
     * upload must give the answer the pixels give (the model's digit check rejects about 1% of MNIST's own digits,
     * the first 3 among them).
     */
    private int firstTestImageAnsweredAs(int label) {
        dev.digits.serve.Http http = new dev.digits.serve.Http(server);
        for (int i = 0; i < mnistTest.size(); i++) {
            if (mnistTest.label(i) != label) continue;
            com.fasterxml.jackson.databind.JsonNode a = http.postJson("/api/v1/predict",
                    java.util.Map.of("pixels", TestModels.mnistPixels(i))).json();
            if (a.get("found").asBoolean() && a.get("digit").asInt() == label) return i;
        }
        throw new IllegalStateException("no test image answered as " + label);
    }

    private int firstTestImageOf(int label) {
        for (int i = 0; i < mnistTest.size(); i++) if (mnistTest.label(i) == label) return i;
        throw new IllegalStateException("no test image of " + label);
    }

    /** Counts the requests the browser makes that match {@code which}, from now on. */
    private static AtomicInteger count(BrowserContext context, Predicate<Request> which) {
        AtomicInteger n = new AtomicInteger();
        context.onRequest(r -> {
            if (which.test(r)) n.incrementAndGet();
        });
        return n;
    }

    /** Prediction requests the server answered, from its Prometheus metrics. */
    private static long predictionsServed(DigitsServer server) throws IOException, InterruptedException {
        HttpResponse<String> metrics = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(server.uri().resolve("/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, metrics.statusCode(), "GET /metrics");
        double total = 0;
        for (String line : metrics.body().split("\n")) {
            if (line.startsWith("digits_http_requests_seconds_count{") && line.contains("route=\"" + PREDICT + "\"")) {
                total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return (long) total;
    }

    private static void assertServerIsDown(URI uri) throws InterruptedException {
        try {
            HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri.resolve("/health")).build(),
                    HttpResponse.BodyHandlers.discarding());
            throw new AssertionError("the server still answers at " + uri);
        } catch (IOException expected) {
            // Connection refused: the server is really gone.
        }
    }

    /** The MNIST digit as a scan of dark ink on white paper, four times larger, as a phone photo would give it. */
    private static void writePaperScan(byte[] mnist, Path png) throws IOException {
        int scale = 4;
        BufferedImage image = new BufferedImage(28 * scale, 28 * scale, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 28 * scale; y++) {
            for (int x = 0; x < 28 * scale; x++) {
                int ink = mnist[(y / scale) * 28 + x / scale] & 0xff;
                int paper = 255 - ink * 220 / 255; // dark grey ink, not pure black
                image.setRGB(x, y, paper << 16 | paper << 8 | paper);
            }
        }
        assertTrue(ImageIO.write(image, "png", png.toFile()), "a PNG writer");
    }
}
