package dev.digits.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.digits.core.artifact.InputContract;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.preprocess.Deskew;
import dev.digits.core.preprocess.InputPreprocessor;
import dev.digits.core.preprocess.ResizePreprocessor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server prepares a picture as the model's card declares: handwriting is found and centred for {@code digit}
 * models, and straightened too for {@code digit-deskewed} ones; the whole picture is resized for {@code resize} ones
 * (retrained on photos of things, not on handwriting).
 */
class DeclaredPreprocessingTest {
    @TempDir
    Path root;

    /** A 7 drawn small in the top-left corner of a large white picture: centring and resizing see different things. */
    private static BufferedImage cornerSeven() {
        return onPaper(6, g -> {
            g.drawLine(10, 10, 50, 10);
            g.drawLine(50, 10, 25, 60);
        });
    }

    /** A 140×140 white picture with black strokes {@code width} px wide drawn by {@code strokes}. */
    private static BufferedImage onPaper(float width, java.util.function.Consumer<Graphics2D> strokes) {
        BufferedImage img = new BufferedImage(140, 140, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, 140, 140);
        g.setColor(Color.BLACK);
        g.setStroke(new java.awt.BasicStroke(width));
        strokes.accept(g);
        g.dispose();
        return img;
    }

    @Test
    void aResizeModelGetsThePictureResizedAndADigitModelGetsItCentred() throws Exception {
        Path digit = root.resolve("digit");
        TestModels.copyModel(TestModels.embeddedModel(), digit);
        Path resize = root.resolve("resize");
        TestModels.copyModel(TestModels.embeddedModel(), resize);
        ModelArtifact a = ModelArtifact.open(resize);
        a.card().toBuilder().input(a.input().withPreprocessing(InputContract.Preprocessing.RESIZE)).build()
                .write(resize.resolve(ModelArtifact.CARD_FILE));

        BufferedImage picture = cornerSeven();
        byte[] png = TestModels.encode(picture, "png");
        int[] argb = picture.getRGB(0, 0, 140, 140, null, 0, 140);
        byte[] resized = new ResizePreprocessor(28, 28).resize(argb, 140, 140);
        List<Float> pixels = new ArrayList<>();
        for (byte b : resized) pixels.add((b & 0xFF) / 255f);

        try (DigitsServer server = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).models(root).build())) {
            Http http = new Http(server);
            JsonNode catalogue = http.get("/api/v1/models").json();
            assertEquals("resize", version(catalogue, "resize").get("input").get("preprocessing").asText());
            assertEquals("digit", version(catalogue, "digit").get("input").get("preprocessing").asText());

            JsonNode asResized = http.post("/api/v1/predict?model=resize", "image/png", png).json();
            JsonNode sameAsPixels = http.postJson("/api/v1/predict?model=resize", Map.of("pixels", pixels)).json();
            assertEquals(sameAsPixels.get("probabilities").toString(), asResized.get("probabilities").toString(),
                    "the server resized the picture exactly as core's ResizePreprocessor does");

            JsonNode centred = http.post("/api/v1/predict?model=digit", "image/png", png).json();
            assertEquals(7, centred.get("digit").asInt(), centred.toString());
            assertNotEquals(centred.get("probabilities").toString(), asResized.get("probabilities").toString());
        }
    }

    @Test
    void aDeskewedModelGetsThePictureCentredThenStraightened() throws Exception {
        Path deskewed = root.resolve("deskewed");
        TestModels.copyModel(TestModels.embeddedModel(), deskewed);
        ModelArtifact a = ModelArtifact.open(deskewed);
        InputContract contract = a.input().withPreprocessing(InputContract.Preprocessing.DIGIT_DESKEWED);
        a.card().toBuilder().input(contract).build().write(deskewed.resolve(ModelArtifact.CARD_FILE));
        Path digit = root.resolve("digit");
        TestModels.copyModel(TestModels.embeddedModel(), digit);

        // A 1 leaning right, dark on paper: centring alone keeps the lean, deskewing removes it.
        BufferedImage picture = onPaper(9, g -> g.drawLine(95, 15, 45, 125));
        byte[] png = TestModels.encode(picture, "png");
        float[] straight = InputPreprocessor.of(contract).process(picture.getRGB(0, 0, 140, 140, null, 0, 140), 140, 140).pixels();
        assertTrue(Math.abs(Deskew.slant(straight, 0)) < 0.05, "core's deskewing stands the 1 upright");
        List<Float> pixels = new ArrayList<>();
        for (float v : straight) pixels.add(v);

        try (DigitsServer server = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).models(root).build())) {
            Http http = new Http(server);
            JsonNode catalogue = http.get("/api/v1/models").json();
            assertEquals("digit-deskewed", version(catalogue, "deskewed").get("input").get("preprocessing").asText());
            JsonNode asUploaded = http.post("/api/v1/predict?model=deskewed", "image/png", png).json();
            JsonNode asPixels = http.postJson("/api/v1/predict?model=deskewed", Map.of("pixels", pixels)).json();
            assertEquals(asPixels.get("probabilities").toString(), asUploaded.get("probabilities").toString(),
                    "the server deskewed the upload exactly as core does");
            JsonNode centredOnly = http.post("/api/v1/predict?model=digit", "image/png", png).json();
            assertNotEquals(centredOnly.get("probabilities").toString(), asUploaded.get("probabilities").toString());
        }
    }

    private static JsonNode version(JsonNode catalogue, String model) {
        for (JsonNode m : catalogue.get("models")) if (m.get("name").asText().equals(model)) return m.get("versions").get(0);
        throw new AssertionError("no model " + model + " in " + catalogue);
    }
}
