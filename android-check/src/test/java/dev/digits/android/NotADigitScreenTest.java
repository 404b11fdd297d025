package dev.digits.android;

import android.widget.RadioButton;

import dev.digits.convert.tflite.TfliteRuntime;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.artifact.ModelCard;
import dev.digits.core.model.ModelSpec;
import dev.digits.core.recognition.DigitCheck;

import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.robolectric.Robolectric;
import org.robolectric.android.controller.ActivityController;
import org.robolectric.annotation.Config;
import org.robolectric.annotation.GraphicsMode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * "Not a digit" on the phone: with a model whose card carries a digit check, a cross drawn on the pad is answered
 * "This doesn't look like a digit" instead of a number — on the device, with the rule that came with the downloaded
 * model, and in Server mode, with the server's decision — while a drawn 7 is still a 7. Both modes still show the
 * probability bars of the rejected answer, and they agree.
 */
@RunWith(ScreenTestRunner.class)
@Config(sdk = 35)
@GraphicsMode(GraphicsMode.Mode.NATIVE)
public class NotADigitScreenTest {
    private static final DigitCheck CHECK = new DigitCheck(2.0, 0.8);
    /** An X across the pad, which the embedded model spreads over several digits. */
    private static final StrokePad CROSS = new StrokePad().stroke(60, 60, 220, 220).stroke(220, 60, 60, 220);

    private static DigitsServerFixture server;

    @BeforeClass
    public static void startServer() throws IOException {
        TfliteRuntime.load();
        Path work = Files.createTempDirectory("digits-not-a-digit");
        Path model = work.resolve("cnn");
        Path embedded = BuildInputs.property("digits.android.default.models").getParent();
        try (Stream<Path> files = Files.walk(embedded)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path to = model.resolve(embedded.relativize(f).toString());
                if (Files.isDirectory(f)) Files.createDirectories(to);
                else Files.copy(f, to);
            }
        }
        Path card = model.resolve(ModelArtifact.CARD_FILE);
        ModelSpec spec = ModelSpec.read(model.resolve(ModelArtifact.SPEC_FILE));
        ModelCard.read(card, spec).toBuilder().digitCheck(CHECK).build().write(card);
        server = DigitsServerFixture.start(work.resolve("models"), model);
    }

    @AfterClass
    public static void stopServer() {
        if (server != null) server.close();
    }

    private static double sum(float[] p) {
        double s = 0;
        for (float v : p) s += v;
        return s;
    }

    private static int measuredHeight(android.view.View v) {
        v.measure(android.view.View.MeasureSpec.makeMeasureSpec(400, android.view.View.MeasureSpec.EXACTLY),
                android.view.View.MeasureSpec.makeMeasureSpec(0, android.view.View.MeasureSpec.UNSPECIFIED));
        return v.getMeasuredHeight();
    }

    @Test
    public void aCrossIsNotADigitOnTheDeviceAndOnTheServerAndASevenStillIs() {
        Screens.settings().setServerUrl(server.url());
        Screens.settings().setMode(AppSettings.Mode.ON_DEVICE);
        try (ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup()) {
            MainActivity app = c.get();
            Screens.waitFor("the download", () -> Screens.textOf(app, MainActivity.TAG_MODEL)
                    .startsWith("Model: downloaded cnn v1") && Screens.textOf(app, MainActivity.TAG_MODEL).contains("\n"));
            DrawView pad = Screens.find(app, DrawView.class, v -> true);
            ProbabilityBars bars = Screens.find(app, ProbabilityBars.class, v -> true);
            float[][] crossBars = new float[2][];
            String[] modes = {"On device", "Server"};
            for (int m = 0; m < modes.length; m++) {
                String mode = modes[m];
                Screens.find(app, RadioButton.class, b -> mode.contentEquals(b.getText())).performClick();
                Screens.press(app, "Clear");
                assertEquals(mode + ": Clear removes the bars", 0, bars.probabilities().length);
                int clearedHeight = measuredHeight(bars);
                assertTrue(mode + ": the cleared bars keep their room", clearedHeight > 0);
                Screens.draw(pad, CROSS);
                String details = Screens.detect(app);
                assertTrue(mode + ": " + details, details.startsWith(MainActivity.NOT_A_DIGIT));
                assertEquals("–", Screens.textOf(app, MainActivity.TAG_DIGIT));
                // The bars still show what the model made of the cross, with no digit highlighted.
                crossBars[m] = bars.probabilities();
                assertEquals(mode, 10, crossBars[m].length);
                assertEquals(mode, -1, bars.best());
                assertEquals(mode, 1.0, sum(crossBars[m]), 1e-3);
                assertEquals(mode + ": the screen does not move when the bars appear", clearedHeight, measuredHeight(bars));
                Screens.press(app, "Clear");
                Screens.draw(pad, ClassifierTest.drawnDigits().get(7));
                details = Screens.detect(app);
                assertEquals(mode, "7", Screens.textOf(app, MainActivity.TAG_DIGIT));
                assertEquals(mode, 7, bars.best());
                assertTrue(mode + ": " + details, details.startsWith(String.format(java.util.Locale.ROOT,
                        "probability %.1f%%", 100 * bars.probabilities()[7])));
            }
            // The phone's TFLite file and the server's ONNX file are exports of one model, fed by one preprocessing.
            for (int d = 0; d < 10; d++) {
                assertEquals("digit " + d, crossBars[0][d], crossBars[1][d], 0.05);
            }
        }
    }
}
