package dev.digits.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.artifact.ModelCard;
import dev.digits.core.model.ModelSpec;
import dev.digits.core.recognition.DigitCheck;
import dev.digits.serve.registry.EmbeddedModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * "Not a digit" through the server: a model whose card carries a {@link DigitCheck} answers {@code found: false} with
 * reason {@code not-a-digit}, the score and the probabilities for what the check rejects — exactly the images core's
 * rule rejects for the probabilities the server computed — and {@code empty} for a blank image.
 */
class NotADigitApiTest {
    /** A strict check, so that this model rejects some of both digits and scribbles and the rule is seen deciding. */
    private static final DigitCheck CHECK = new DigitCheck(2.0, 0.9);

    private static DigitsServer server;
    private static Http http;

    @BeforeAll
    static void start(@TempDir Path tmp) throws Exception {
        TestModels.ensureEmbeddedModel();
        Path version = tmp.resolve("models/cnn/versions/1");
        Files.createDirectories(version);
        EmbeddedModel.copyTo(version);
        Path cardFile = version.resolve(ModelArtifact.CARD_FILE);
        ModelSpec spec = ModelSpec.read(version.resolve(ModelArtifact.SPEC_FILE));
        ModelCard.read(cardFile, spec).toBuilder().digitCheck(CHECK).build().write(cardFile);
        server = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).models(tmp.resolve("models"))
                .build());
        http = new Http(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    /** MNIST test digits and things that are not digits: scribbles, a letter, a grid. */
    private static Map<String, byte[]> images() {
        Map<String, byte[]> images = new LinkedHashMap<>();
        for (int i = 0; i < 30; i++) images.put("mnist " + i, TestModels.mnistPng(i));
        Random random = new Random(13);
        for (int s = 0; s < 15; s++) {
            BufferedImage img = canvas();
            Graphics2D g = pen(img, 6 + random.nextInt(20));
            int x = 40 + random.nextInt(200);
            int y = 40 + random.nextInt(200);
            for (int k = 0; k < 12; k++) {
                int nx = 20 + random.nextInt(240);
                int ny = 20 + random.nextInt(240);
                g.drawLine(x, y, nx, ny);
                x = nx;
                y = ny;
            }
            g.dispose();
            images.put("scribble " + s, TestModels.encode(img, "png"));
        }
        for (String letter : List.of("A", "K", "M", "W", "X", "#")) {
            BufferedImage img = canvas();
            Graphics2D g = pen(img, 1);
            g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 200));
            g.drawString(letter, 60, 220);
            g.dispose();
            images.put("letter " + letter, TestModels.encode(img, "png"));
        }
        return images;
    }

    private static BufferedImage canvas() {
        BufferedImage img = new BufferedImage(280, 280, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.BLACK);
        g.fillRect(0, 0, 280, 280);
        g.dispose();
        return img;
    }

    private static Graphics2D pen(BufferedImage img, float width) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.setStroke(new BasicStroke(width, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
        return g;
    }

    private static float[] probabilities(JsonNode a) {
        JsonNode p = a.get("probabilities");
        float[] out = new float[p.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) p.get(i).asDouble();
        return out;
    }

    @Test
    void theServerRejectsExactlyWhatTheCardsCheckRejects() {
        int accepted = 0;
        List<String> rejected = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : images().entrySet()) {
            Http.Response r = http.post("/api/v1/predict", "image/png", e.getValue());
            assertEquals(200, r.status, e.getKey() + ": " + r.text());
            JsonNode a = r.json();
            float[] p = probabilities(a);
            assertEquals(10, p.length, e.getKey() + ": the probabilities are given either way");
            double score = CHECK.score(p);
            assertEquals(score, a.get("score").asDouble(), 1e-5, e.getKey());
            if (a.get("found").asBoolean()) {
                assertTrue(CHECK.isDigit(p), e.getKey() + " passes the check: " + a);
                assertFalse(a.has("reason"), e.getKey());
                accepted++;
            } else {
                assertFalse(CHECK.isDigit(p), e.getKey() + " fails the check: " + a);
                assertEquals("not-a-digit", a.get("reason").asText());
                assertEquals(CHECK.threshold(), a.get("threshold").asDouble());
                assertEquals("this does not look like a digit", a.get("message").asText());
                assertTrue(a.get("digit").isNull() && a.get("label").isNull() && a.get("probability").isNull());
                rejected.add(e.getKey());
            }
        }
        assertTrue(accepted >= 20, accepted + " images accepted");
        assertTrue(rejected.stream().anyMatch(k -> !k.startsWith("mnist")), "rejected: " + rejected);
    }

    @Test
    void aBlankImageIsEmptyNotNotADigit() {
        JsonNode a = http.post("/api/v1/predict", "image/png", TestModels.blankPng(64)).json();
        assertFalse(a.get("found").asBoolean());
        assertEquals("empty", a.get("reason").asText());
        assertEquals("no digit found", a.get("message").asText());
        assertTrue(a.get("probabilities").isNull());
    }

    @Test
    void theFlaskRouteKeepsItsShapeAndSaysWhy() {
        for (Map.Entry<String, byte[]> e : images().entrySet()) {
            JsonNode judged = http.post("/api/v1/predict", "image/png", e.getValue()).json();
            JsonNode flask = http.postMultipart("/mnist", new Http.Multipart().file("mnist_image", "digit.png",
                    "image/png", e.getValue())).json();
            assertEquals(10, flask.get("pred_label").get(0).size(), e.getKey());
            if (judged.get("found").asBoolean()) {
                assertEquals(judged.get("digit").asInt(), flask.get("pred_number").asInt(), e.getKey());
            } else {
                assertTrue(flask.get("pred_number").isNull(), e.getKey());
                assertEquals("this does not look like a digit", flask.get("message").asText());
                return;
            }
        }
        throw new AssertionError("no image was rejected");
    }

    @Test
    void theModelListTellsOnDeviceClientsTheRule() {
        JsonNode v = http.get("/api/v1/models/cnn/versions/1").json();
        JsonNode check = v.get("digitCheck");
        assertEquals(DigitCheck.METHOD, check.get("method").asText());
        assertEquals(2.0, check.get("temperature").asDouble());
        assertEquals(0.9, check.get("threshold").asDouble());
    }
}
