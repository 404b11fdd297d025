package dev.digits.serve.browser;

import com.fasterxml.jackson.databind.JsonNode;
import dev.digits.serve.DigitsServer;
import dev.digits.serve.Http;
import dev.digits.serve.ServerConfig;
import dev.digits.serve.TestModels;
import dev.digits.serve.registry.EmbeddedModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * On-device mode's cost and answers in Debian's Chromium against the real server on loopback: the bytes the browser
 * receives for a first use and for a repeat visit, counted on the wire by a relay in front of the server, and the
 * page's answers on MNIST test digits against the server's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(Chromium.Required.class)
class OnDeviceInChromiumTest {
    /** Issue 12's budget for everything a first use of On-device mode downloads, up to its first answer. */
    private static final long FIRST_USE_BUDGET = 1_000_000;
    /** And for a repeat visit that detects a digit again on the device. */
    private static final long REPEAT_VISIT_BUDGET = 100_000;
    /** Test digits the page and the server both classify. */
    private static final int PARITY_IMAGES = 300;

    private DigitsServer server;

    @BeforeAll
    void serveTheEmbeddedModel(@TempDir Path dir) throws IOException {
        Chromium.assumeInstalled();
        TestModels.ensureEmbeddedModel();
        Path models = dir.resolve("models");
        Files.createDirectories(models.resolve("cnn"));
        EmbeddedModel.copyTo(models.resolve("cnn"));
        server = DigitsServer.start(ServerConfig.builder().host("127.0.0.1").port(0).accessLog(false).models(models)
                .build());
    }

    @AfterAll
    void stopServer() {
        if (server != null) server.close();
    }

    /**
     * A first use — the page, TensorFlow.js and the model, up to the first answer and until the service worker holds
     * the app — stays under 1 MB; a repeat visit in the same profile (Chromium restarted) answers on the device after
     * under 100 kB, without asking the server for the runtime or the model at all.
     */
    @Test
    void aFirstUseWeighsUnderOneMegabyteAndARepeatVisitDownloadsNoRuntimeOrModel(@TempDir Path profile)
            throws Exception {
        int two = firstTestImageOf(2);
        try (WireCounter wire = new WireCounter(server.port())) {
            long toFirstAnswer;
            long firstVisit;
            List<String> firstRequests;
            try (Chromium chromium = Chromium.start(profile)) {
                DigitsPage app = DigitsPage.open(chromium.context(), wire.uri().toString());
                app.useOnDevice();
                app.draw(PenStrokes.tracing(TestModels.mnistTest().rawImage(two)));
                assertEquals("2", app.detect(), "the first on-device answer");
                assertEquals("device", app.ranOn());
                toFirstAnswer = wire.bytesToBrowser();
                app.awaitOfflineSupport();
                awaitRuntimeKept(app);
                firstVisit = wire.bytesToBrowser();
                firstRequests = wire.requests();
            }
            assertTrue(firstRequests.stream().anyMatch(r -> r.contains("/vendor/tfjs-") && r.endsWith(".wasm")),
                    "the first use fetched the WebAssembly backend: " + firstRequests);
            assertTrue(firstRequests.stream().anyMatch(r -> r.contains("/files/export/tfjs")),
                    "the first use fetched a TF.js model: " + firstRequests);

            wire.reset();
            long repeat;
            List<String> repeatRequests;
            try (Chromium chromium = Chromium.start(profile)) {
                DigitsPage app = DigitsPage.open(chromium.context(), wire.uri().toString());
                app.awaitDeviceModel(); // the mode chosen last time is kept
                app.draw(PenStrokes.line(140, 40, 140, 240));
                assertEquals("1", app.detect(), "the repeat visit's on-device answer");
                assertEquals("device", app.ranOn());
                assertTrue(app.status().contains("from cache"), "status: " + app.status());
                repeat = wire.bytesToBrowser();
                repeatRequests = wire.requests();
            }
            System.out.printf(Locale.ROOT, "On-device bytes on the wire: first answer %,d, first visit %,d (%d requests),"
                            + " repeat visit %,d (%d requests: %s)%n", toFirstAnswer, firstVisit, firstRequests.size(),
                    repeat, repeatRequests.size(), repeatRequests);
            assertTrue(toFirstAnswer <= FIRST_USE_BUDGET, toFirstAnswer + " bytes up to the first answer");
            assertTrue(firstVisit <= FIRST_USE_BUDGET, firstVisit + " bytes for the whole first visit");
            assertTrue(repeat <= REPEAT_VISIT_BUDGET, repeat + " bytes for the repeat visit: " + repeatRequests);
            for (String r : repeatRequests) {
                assertTrue(!r.contains("/vendor/") && !r.contains("/files/"), "the repeat visit asked for " + r);
            }
        }
    }

    /**
     * The page's own code (the catalogue's choice of export, its download and TensorFlow.js on WebAssembly) gives the
     * server's digit for every one of the first MNIST test images, with probabilities within what the export's
     * verification measured against the float32 model on 10,000 images.
     */
    @Test
    void onDeviceAnswersAreTheServersOnMnistTestDigits(@TempDir Path profile) {
        List<List<Double>> images = new ArrayList<>();
        for (int i = 0; i < PARITY_IMAGES; i++) {
            List<Double> pixels = new ArrayList<>();
            for (float p : TestModels.mnistPixels(i)) pixels.add((double) p);
            images.add(pixels);
        }
        Http http = new Http(server);
        try (Chromium chromium = Chromium.start(profile)) {
            DigitsPage app = DigitsPage.open(chromium.context(), server.uri().toString());
            @SuppressWarnings("unchecked")
            Map<String, Object> got = (Map<String, Object>) app.page().evaluate("async (images) => {"
                    + " const { listModels } = await import('./server-api.js');"
                    + " const { OnDeviceModel } = await import('./on-device.js');"
                    + " const choice = (await listModels()).find((c) => c.isDefault && c.latest);"
                    + " const model = await OnDeviceModel.load(choice);"
                    + " const answers = [];"
                    + " for (const pixels of images) answers.push((await model.predict(Float32Array.from(pixels))).probabilities);"
                    + " return { answers, tfjs: choice.tfjs }; }", images);
            @SuppressWarnings("unchecked")
            Map<String, Object> tfjs = (Map<String, Object>) got.get("tfjs");
            @SuppressWarnings("unchecked")
            List<List<Number>> answers = (List<List<Number>>) got.get("answers");
            double allowed = ((Number) tfjs.get("maxDifference")).doubleValue() + 1e-4;
            assertEquals(PARITY_IMAGES, answers.size());
            double largest = 0;
            for (int i = 0; i < PARITY_IMAGES; i++) {
                JsonNode served = http.postJson("/api/v1/predict", Map.of("pixels", TestModels.mnistPixels(i))).json();
                List<Number> device = answers.get(i);
                // The class each side ranks first: the server states it even for an answer its digit check rejects.
                List<Number> servedProbabilities = new java.util.ArrayList<>();
                served.get("probabilities").forEach(v -> servedProbabilities.add(v.asDouble()));
                assertEquals(argmax(servedProbabilities), argmax(device), "the digit of MNIST test image " + i);
                for (int k = 0; k < 10; k++) {
                    double d = Math.abs(served.get("probabilities").get(k).asDouble() - device.get(k).doubleValue());
                    largest = Math.max(largest, d);
                    assertTrue(d <= allowed, "image " + i + ", class " + k + ": " + d + " apart, allowed " + allowed);
                }
            }
            System.out.printf(Locale.ROOT, "On device (%s, %s): same digit as the server on %d MNIST test images,"
                    + " largest probability difference %.2e (export verified at %.2e)%n", tfjs.get("quantization"),
                    tfjs.get("url"), PARITY_IMAGES, largest, allowed - 1e-4);
        }
    }

    /** Waits until the page has put the runtime it loaded into the cache the service worker answers from. */
    private static void awaitRuntimeKept(DigitsPage app) {
        app.page().waitForFunction("async () => {"
                + " const cache = await caches.open('digits-runtime-v1');"
                + " const kept = (await cache.keys()).map((r) => r.url);"
                + " const used = performance.getEntriesByType('resource').map((e) => e.name)"
                + "   .filter((n) => n.includes('/vendor/'));"
                + " return used.length > 0 && used.every((u) => kept.includes(u)); }");
    }

    private static int argmax(List<Number> p) {
        int best = 0;
        for (int i = 1; i < p.size(); i++) if (p.get(i).doubleValue() > p.get(best).doubleValue()) best = i;
        return best;
    }

    private static int firstTestImageOf(int label) {
        for (int i = 0; i < TestModels.mnistTest().size(); i++) if (TestModels.mnistLabel(i) == label) return i;
        throw new IllegalStateException("no test image of " + label);
    }
}
