package dev.digits.android;

import android.widget.TextView;

import dev.digits.convert.tflite.TfliteRuntime;

import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.robolectric.Robolectric;
import org.robolectric.android.controller.ActivityController;
import org.robolectric.annotation.Config;
import org.robolectric.annotation.GraphicsMode;

import java.util.Map;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * The main screen on Android's framework code (Robolectric, API 35, native graphics: strokes are really rasterised),
 * with the bundled model in the real TFLite runtime.
 */
@RunWith(ScreenTestRunner.class)
@Config(sdk = 35)
@GraphicsMode(GraphicsMode.Mode.NATIVE)
public class MainScreenTest {
    @Before
    public void desktopTfliteLibrary() {
        // On a phone TFLite loads its own library; on the JVM it is loaded by path, inside the sandbox that runs the app.
        TfliteRuntime.load();
    }

    @Test
    public void drawingADigitAndPressingDetectShowsTheDigitItsProbabilityAndTheTime() {
        try (ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup()) {
            MainActivity app = c.get();
            Screens.waitFor("the bundled model", () -> Screens.textOf(app, MainActivity.TAG_MODEL).contains("bundled"));
            DrawView pad = Screens.find(app, DrawView.class, v -> true);
            StringBuilder wrong = new StringBuilder();
            for (Map.Entry<Integer, StrokePad> e : ClassifierTest.drawnDigits().entrySet()) {
                Screens.press(app, "Clear");
                Screens.draw(pad, e.getValue());
                Screens.press(app, "Detect");
                Screens.waitFor("an answer", () -> !Screens.textOf(app, MainActivity.TAG_DETAILS).isEmpty());
                String digit = Screens.textOf(app, MainActivity.TAG_DIGIT);
                String details = Screens.textOf(app, MainActivity.TAG_DETAILS);
                if (!digit.equals(String.valueOf(e.getKey()))) wrong.append("drew ").append(e.getKey()).append(", shown ").append(digit).append(": ").append(details).append('\n');
                assertTrue(details, details.matches("(?s)probability \\d+\\.\\d%.*inference \\d+\\.\\d\\d ms · preprocessing \\d+\\.\\d ms.*on device · bundled mnist\\.tflite.*"));
            }
            assertEquals("", wrong.toString());
        }
    }
}
