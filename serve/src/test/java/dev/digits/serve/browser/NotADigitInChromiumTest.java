package dev.digits.serve.browser;

import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.data.ImageSet;
import dev.digits.core.recognition.DigitCheck;
import dev.digits.serve.DigitsServer;
import dev.digits.serve.ServerConfig;
import dev.digits.serve.TestModels;
import dev.digits.serve.registry.EmbeddedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * "Not a digit" in the web app, in Debian's Chromium against the real server: with a model whose card carries a
 * digit check, a cross drawn on the pad is answered "this doesn't look like a digit" with its probability bars, in
 * Server mode (the server's decision) and in On-device mode (the page's, with the threshold from the catalogue), while
 * a digit is still a digit.
 */
@ExtendWith(Chromium.Required.class)
class NotADigitInChromiumTest {
    private static final DigitCheck CHECK = new DigitCheck(2.0, 0.8);

    /**
     * An X across the pad: the embedded model spreads it over 4, 7 and 8 (largest probability about 0.5), unlike a
     * hash sign or a triangle, which it answers as 4 or 0 with over 99% — shapes only a model trained with
     * non-digits can tell apart.
     */
    private static void drawCross(DigitsPage app) {
        app.draw(PenStrokes.line(60, 60, 220, 220));
        app.draw(PenStrokes.line(220, 60, 60, 220));
    }

    private static double score(List<Double> p) {
        float[] f = new float[p.size()];
        for (int i = 0; i < f.length; i++) f[i] = p.get(i).floatValue();
        return CHECK.score(f);
    }

    @Test
    void aCrossIsNotADigitInBothModesAndASevenStillIs(@TempDir Path dir) throws Exception {
        Chromium.assumeInstalled();
        TestModels.ensureEmbeddedModel();
        Path model = dir.resolve("models").resolve("cnn");
        Files.createDirectories(model);
        EmbeddedModel.copyTo(model);
        ModelArtifact a = ModelArtifact.open(model);
        a.card().toBuilder().digitCheck(CHECK).build().write(model.resolve(ModelArtifact.CARD_FILE));
        ImageSet mnist = TestModels.mnistTest();
        int seven = 0;
        while (mnist.label(seven) != 7) seven++;
        try (DigitsServer server = DigitsServer.start(ServerConfig.builder().host("127.0.0.1").port(0)
                .accessLog(false).models(dir.resolve("models")).build());
             Chromium chromium = Chromium.start(dir.resolve("profile"))) {
            DigitsPage app = DigitsPage.open(chromium.context(), server.uri().toString());
            app.awaitModels();
            for (String mode : List.of("server", "device")) {
                if (mode.equals("device")) app.useOnDevice();
                app.clear();
                drawCross(app);
                String shown = app.detect();
                List<Double> p = app.probabilities();
                assertEquals(10, p.size(), mode + ": the bars still show");
                assertEquals("?", shown, mode + ": score " + score(p) + " for " + p);
                assertEquals(mode, app.ranOn());
                assertTrue(app.status().startsWith("This doesn't look like a digit"), app.status());
                assertTrue(score(p) < CHECK.threshold(), mode + ": the rule rejects these probabilities");

                app.clear();
                app.draw(PenStrokes.tracing(mnist.rawImage(seven)));
                assertEquals("7", app.detect(), mode + ": score " + score(app.probabilities()));
            }
        }
    }
}
