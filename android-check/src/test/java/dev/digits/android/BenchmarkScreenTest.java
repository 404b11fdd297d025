package dev.digits.android;

import android.content.Intent;
import android.widget.EditText;
import android.widget.TextView;

import dev.digits.convert.tflite.TfliteRuntime;

import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.robolectric.Robolectric;
import org.robolectric.android.controller.ActivityController;
import org.robolectric.annotation.Config;
import org.robolectric.annotation.GraphicsMode;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;
import static org.robolectric.Shadows.shadowOf;

/**
 * The benchmark screen: opened from the main screen with the last drawn digit, it times every bundled variant in
 * TFLite and shows one row per model.
 */
@RunWith(ScreenTestRunner.class)
@Config(sdk = 35)
@GraphicsMode(GraphicsMode.Mode.NATIVE)
public class BenchmarkScreenTest {
    /** The variants app/build.gradle bundles beside mnist.tflite: every .tflite of the export it copies. */
    private static final String[] BUNDLED = {"cnn-float16.tflite", "cnn-int8-dynamic.tflite", "cnn-int8.tflite",
            "mnist.tflite"};

    @Before
    public void setUp() {
        TfliteRuntime.load();
        Screens.settings().setServerUrl(Screens.closedServerUrl());
    }

    private static TextView output(BenchmarkActivity screen) {
        return Screens.find(screen, TextView.class, v -> v.getTypeface() != null && v.isTextSelectable());
    }

    private static void run(BenchmarkActivity screen, String n) {
        Screens.find(screen, EditText.class, v -> true).setText(n);
        Screens.press(screen, "Run");
    }

    @Test
    public void timesEveryBundledVariantOnTheLastDrawnDigit() {
        Intent benchmark;
        try (ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup()) {
            MainActivity app = c.get();
            Screens.waitFor("the bundled model", () -> Screens.textOf(app, MainActivity.TAG_MODEL)
                    .startsWith("Model: bundled"));
            Screens.draw(Screens.find(app, DrawView.class, v -> true), ClassifierTest.drawnDigits().get(7));
            Screens.detect(app);
            assertEquals("7", Screens.textOf(app, MainActivity.TAG_DIGIT));
            Screens.press(app, "Benchmark");
            Screens.waitFor("the benchmark screen", () -> shadowOf(app).peekNextStartedActivity() != null);
            benchmark = shadowOf(app).getNextStartedActivity();
        }
        assertEquals(BenchmarkActivity.class.getName(), benchmark.getComponent().getClassName());
        assertNotNull("the drawn digit goes along", benchmark.getFloatArrayExtra(MainActivity.EXTRA_PIXELS));
        try (ActivityController<BenchmarkActivity> c = Robolectric.buildActivity(BenchmarkActivity.class, benchmark)
                .setup()) {
            BenchmarkActivity screen = c.get();
            run(screen, "25");
            Screens.waitFor("the table", () -> output(screen).getText().toString().contains("Done."));
            String table = output(screen).getText().toString();
            assertTrue(table, table.startsWith("Input: your last digit."));
            for (String model : BUNDLED) {
                Matcher row = Pattern.compile("bundled " + Pattern.quote(model) + "\\n  (\\d+) KB, input (.+)\\n"
                        + "  mean (\\d+\\.\\d{3}) ms  p90 (\\d+\\.\\d{3}) ms  \\(p50 \\d+\\.\\d{3}, max \\d+\\.\\d{3}\\)"
                        + "  answer (\\d) \\((\\d+\\.\\d)%\\)").matcher(table);
                assertTrue(model + " has a row in\n" + table, row.find());
                assertTrue(table, Double.parseDouble(row.group(3)) > 0);
                assertTrue(table, Double.parseDouble(row.group(4)) >= Double.parseDouble(row.group(3)) * 0.5);
                assertEquals(model + " reads the drawn 7", "7", row.group(5));
            }
            assertTrue("Run is enabled again", Screens.find(screen, android.widget.Button.class,
                    b -> "Run".contentEquals(b.getText())).isEnabled());
        }
    }

    @Test
    public void withoutADrawnDigitItTimesAStandInAndRefusesAnImpossibleN() {
        try (ActivityController<BenchmarkActivity> c = Robolectric.buildActivity(BenchmarkActivity.class).setup()) {
            BenchmarkActivity screen = c.get();
            run(screen, "0");
            assertEquals("N must be a whole number from 1 to 100000.", output(screen).getText().toString());
            run(screen, "5");
            Screens.waitFor("the table", () -> output(screen).getText().toString().contains("Done."));
            String table = output(screen).getText().toString();
            assertTrue(table, table.startsWith("Input: a drawn 1"));
            for (String model : BUNDLED) assertTrue(table, table.contains("bundled " + model + "\n"));
        }
    }
}
