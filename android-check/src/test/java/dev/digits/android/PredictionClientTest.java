package dev.digits.android;

import dev.digits.convert.Quantization;
import dev.digits.core.client.PredictionClient;
import dev.digits.core.client.ServerException;
import dev.digits.core.client.ServerPrediction;
import dev.digits.core.preprocess.DigitPreprocessor;
import dev.digits.core.preprocess.PreprocessedDigit;
import dev.digits.train.TestData;
import dev.digits.train.TrainedModel;
import dev.digits.core.data.ImageSet;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Server mode: the app's requests ({@link PredictionClient} from core) answered by a real Digits server. */
class PredictionClientTest {
    private static DigitsServerFixture server;
    private static TrainedModel reference;
    private static PredictionClient client;

    @BeforeAll
    static void startServer() throws IOException {
        reference = ExportedModels.trained();
        server = DigitsServerFixture.start(Files.createTempDirectory("digits-predict").resolve("models"),
                ExportedModels.trainedExportedDirectory());
        client = PredictionClient.builder().server(server.url() + "/").build();
    }

    @AfterAll
    static void stopServer() {
        if (server != null) server.close();
    }

    private static byte[] png(int[] argb, int width, int height) throws IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_ARGB);
        image.setRGB(0, 0, width, height, argb, 0, width);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    @Test
    void preprocessedPixelsGetTheServerModelsAnswer() throws IOException {
        ImageSet test = TestData.mnist().test();
        for (int i = 0; i < 20; i++) {
            ServerPrediction p = client.predictPixels(PreprocessedDigit.fromMnist(test.rawImage(i)));
            float[] expected = reference.predict(test.image(i));
            float[] actual = p.recognition().probabilities();
            for (int k = 0; k < 10; k++) assertEquals(expected[k], actual[k], 1e-4, "image " + i + " class " + k);
            assertEquals("cnn", p.modelName());
            assertEquals("1", p.modelVersion());
            // The timings are the server's (rounded to 0.001 ms; the client reads a missing one as 0). Running the
            // CNN takes far longer than that, and everything the server timed lies inside the client's round trip.
            double inference = p.recognition().inferenceMillis();
            double preprocess = p.recognition().preprocessMillis();
            assertTrue(Double.isFinite(inference) && inference > 0, "image " + i + ": inferenceMillis " + inference);
            assertTrue(Double.isFinite(preprocess) && preprocess >= 0, "image " + i + ": preprocessMillis " + preprocess);
            assertTrue(inference + preprocess <= p.roundTripMillis(), "image " + i + ": server timings " + preprocess
                    + " + " + inference + " ms exceed the round trip of " + p.roundTripMillis() + " ms");
        }
    }

    @Test
    void aDrawingSentAsPngIsPreprocessedOnTheServerAsOnThePhone() throws IOException {
        int size = DrawView.PAD_SIZE;
        int[] seven = ClassifierTest.drawnDigits().get(7).whiteOnBlack();
        ServerPrediction p = client.predictImage(png(seven, size, size), "image/png");
        assertTrue(p.found());
        assertEquals(7, p.digit(), p.toString());
        // The phone's own pipeline on the same drawing: core's preprocessing, then the exported model in TFLite.
        PreprocessedDigit local = DigitPreprocessor.defaults().process(seven, size, size);
        try (Classifier classifier = Classifier.open(ExportedModels.tflite(Quantization.FLOAT32).toFile(), 1)) {
            float[] onPhone = classifier.classify(local, 0).probabilities();
            float[] onServer = p.recognition().probabilities();
            for (int k = 0; k < 10; k++) assertEquals(onPhone[k], onServer[k], 1e-4, "class " + k);
        }
    }

    @Test
    void aBlankPictureIsAnsweredWithNoDigitRatherThanAGuess() throws IOException {
        int[] white = new int[64 * 64];
        java.util.Arrays.fill(white, 0xFFFFFFFF);
        ServerPrediction p = client.predictImage(png(white, 64, 64), "image/png");
        assertFalse(p.found());
        assertEquals(-1, p.digit());
    }

    @Test
    void anUnknownModelNameBringsBackTheServersExplanation() {
        PredictionClient other = PredictionClient.builder().server(server.url()).model("resnet99").build();
        ServerException e = assertThrows(ServerException.class,
                () -> other.predictPixels(TestData.mnist().test().image(0)));
        assertEquals(ServerException.Reason.HTTP_ERROR, e.reason());
        assertEquals(404, e.status());
        assertTrue(e.getMessage().contains("resnet99"), e.getMessage());
    }

    @Test
    void aStoppedServerIsOneClearMessage() throws IOException {
        DigitsServerFixture shortLived = DigitsServerFixture.start(
                Files.createTempDirectory("digits-stopped").resolve("models"), ExportedModels.trainedExportedDirectory());
        String url = shortLived.url();
        PredictionClient c = PredictionClient.builder().server(url).build();
        assertTrue(c.predictPixels(TestData.mnist().test().image(1)).found());
        shortLived.close();
        ServerException e = assertThrows(ServerException.class, () -> c.predictPixels(TestData.mnist().test().image(1)));
        assertEquals(ServerException.Reason.UNREACHABLE, e.reason());
        assertTrue(e.getMessage().startsWith("Cannot reach the Digits server at " + url + " ("),
                e.getMessage());
        assertTrue(e.getMessage().contains("check the server URL"), e.getMessage());
    }
}
