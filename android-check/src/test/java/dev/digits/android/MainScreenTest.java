package dev.digits.android;

import android.app.Activity;
import android.content.Intent;
import android.content.res.Configuration;
import android.graphics.Bitmap;
import android.graphics.BitmapFactory;
import android.graphics.drawable.BitmapDrawable;
import android.net.Uri;
import android.provider.MediaStore;
import android.widget.ImageView;

import dev.digits.convert.tflite.TfliteRuntime;

import org.junit.Before;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.robolectric.Robolectric;
import org.robolectric.RuntimeEnvironment;
import org.robolectric.android.controller.ActivityController;
import org.robolectric.annotation.Config;
import org.robolectric.annotation.GraphicsMode;
import org.robolectric.shadows.ShadowActivity;

import java.util.Map;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;
import static org.robolectric.Shadows.shadowOf;

/**
 * The main screen On device, on Android's framework code (Robolectric, API 35, native graphics: strokes are really
 * rasterised, pictures really decoded), with the bundled model in the real TFLite runtime.
 */
@RunWith(ScreenTestRunner.class)
@Config(sdk = 35)
@GraphicsMode(GraphicsMode.Mode.NATIVE)
public class MainScreenTest {
    /** An on-device answer: the digit's probability, the timings and the bundled model that gave it. */
    private static final String ON_DEVICE_ANSWER = "(?s)probability \\d+\\.\\d%.*inference \\d+\\.\\d\\d ms"
            + " · preprocessing \\d+\\.\\d ms.*on device · bundled mnist\\.tflite.*";

    @Before
    public void setUp() {
        // On a phone TFLite loads its own library; on the JVM it is loaded by path, inside the sandbox running the app.
        TfliteRuntime.load();
        // No server: the update check at start fails at once instead of waiting for the emulator's host address.
        Screens.settings().setServerUrl(Screens.closedServerUrl());
    }

    private static MainActivity open(ActivityController<MainActivity> c) {
        MainActivity app = c.get();
        Screens.waitFor("the bundled model", () -> Screens.textOf(app, MainActivity.TAG_MODEL)
                .startsWith("Model: bundled mnist.tflite"));
        return app;
    }

    private static DrawView pad(Activity app) {
        return Screens.find(app, DrawView.class, v -> true);
    }

    @Test
    public void drawingADigitAndPressingDetectShowsTheDigitItsProbabilityAndTheTime() {
        try (ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup()) {
            MainActivity app = open(c);
            StringBuilder wrong = new StringBuilder();
            for (Map.Entry<Integer, StrokePad> e : ClassifierTest.drawnDigits().entrySet()) {
                Screens.press(app, "Clear");
                Screens.draw(pad(app), e.getValue());
                String details = Screens.detect(app);
                assertTrue(details, details.matches(ON_DEVICE_ANSWER));
                String digit = Screens.textOf(app, MainActivity.TAG_DIGIT);
                if (!digit.equals(String.valueOf(e.getKey()))) {
                    wrong.append("drew ").append(e.getKey()).append(", shown ").append(digit).append('\n');
                }
                ImageView seen = Screens.find(app, ImageView.class, v -> v.getContentDescription() != null
                        && v.getContentDescription().toString().contains("28 by 28"));
                Bitmap preview = ((BitmapDrawable) seen.getDrawable()).getBitmap();
                assertEquals(28, preview.getWidth());
            }
            assertEquals("", wrong.toString());
        }
    }

    @Test
    public void detectOnAnEmptyPadAsksForADigitInsteadOfGuessing() {
        try (ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup()) {
            MainActivity app = open(c);
            assertEquals("Draw a digit first.", Screens.detect(app));
            assertEquals("–", Screens.textOf(app, MainActivity.TAG_DIGIT));
        }
    }

    @Test
    public void clearErasesTheDrawingAndTheAnswer() {
        try (ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup()) {
            MainActivity app = open(c);
            DrawView pad = pad(app);
            Screens.draw(pad, ClassifierTest.drawnDigits().get(4));
            Screens.detect(app);
            assertEquals("4", Screens.textOf(app, MainActivity.TAG_DIGIT));
            Screens.press(app, "Clear");
            assertTrue(pad.isEmpty());
            int[] pixels = pad.padPixels();
            for (int p : pixels) assertEquals(0xFF000000, p);
            assertEquals("", Screens.textOf(app, MainActivity.TAG_DIGIT));
            assertEquals("", Screens.textOf(app, MainActivity.TAG_DETAILS));
            assertEquals("Draw a digit first.", Screens.detect(app));
        }
    }

    @Test
    public void rotatingThePhoneKeepsTheDrawing() {
        try (ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup()) {
            MainActivity app = open(c);
            Screens.draw(pad(app), ClassifierTest.drawnDigits().get(2));
            int[] before = pad(app).padPixels();
            RuntimeEnvironment.setQualifiers("+land");
            Configuration landscape = new Configuration(app.getResources().getConfiguration());
            c.configurationChange(landscape);
            assertSame("the manifest's configChanges keep the activity", app, c.get());
            assertEquals(Configuration.ORIENTATION_LANDSCAPE, app.getResources().getConfiguration().orientation);
            assertArrayEquals(before, pad(app).padPixels());
            Screens.detect(app);
            assertEquals("2", Screens.textOf(app, MainActivity.TAG_DIGIT));
        }
    }

    @Test
    public void theDrawingSurvivesTheActivityBeingRecreated() {
        try (ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup()) {
            MainActivity first = open(c);
            Screens.draw(pad(first), ClassifierTest.drawnDigits().get(8));
            int[] before = pad(first).padPixels();
            // What a theme or language change, or Android reclaiming the app in the background, does.
            c.recreate();
            MainActivity again = open(c);
            assertFalse(again == first);
            assertFalse(pad(again).isEmpty());
            assertArrayEquals(before, pad(again).padPixels());
            Screens.detect(again);
            assertEquals("8", Screens.textOf(again, MainActivity.TAG_DIGIT));
        }
    }

    @Test
    public void aPhotoOfADigitOnPaperPickedFromTheGalleryIsClassified() {
        try (ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup()) {
            MainActivity app = open(c);
            byte[] jpeg = PhonePhotos.digitOnPaper(ClassifierTest.drawnDigits().get(7), 1600, 1200);
            Intent chooser = Screens.pickFromGallery(app, Uri.parse("content://media/external/images/media/7"), jpeg);
            assertEquals(Intent.ACTION_CHOOSER, chooser.getAction());
            Intent pick = chooser.getParcelableExtra(Intent.EXTRA_INTENT, Intent.class);
            assertEquals(Intent.ACTION_GET_CONTENT, pick.getAction());
            assertEquals("image/*", pick.getType());
            String details = Screens.awaitDetails(app);
            assertTrue(details, details.matches(ON_DEVICE_ANSWER));
            assertEquals("7", Screens.textOf(app, MainActivity.TAG_DIGIT));
        }
    }

    @Test
    public void aFileThatIsNotAPictureIsReportedNotClassified() {
        try (ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup()) {
            MainActivity app = open(c);
            byte[] text = "shopping list: milk, eggs".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            Screens.pickFromGallery(app, Uri.parse("content://downloads/my_downloads/3"), text);
            assertEquals("Cannot read the picture: the chosen file is not a picture Android can decode (PNG, JPEG,"
                    + " GIF, BMP, WebP)", Screens.awaitDetails(app));
        }
    }

    @Test
    public void aCameraPhotoIsClassified() {
        try (ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup()) {
            MainActivity app = open(c);
            Screens.press(app, "Camera");
            ShadowActivity.IntentForResult camera = shadowOf(app).getNextStartedActivityForResult();
            assertEquals(MediaStore.ACTION_IMAGE_CAPTURE, camera.intent.getAction());
            // Without EXTRA_OUTPUT a camera app returns a small preview bitmap in the "data" extra.
            byte[] jpeg = PhonePhotos.digitOnPaper(ClassifierTest.drawnDigits().get(3), 320, 240);
            Bitmap preview = BitmapFactory.decodeByteArray(jpeg, 0, jpeg.length);
            assertNotNull(preview);
            Screens.text(app, MainActivity.TAG_DETAILS).setText("");
            shadowOf(app).receiveResult(camera.intent, Activity.RESULT_OK, new Intent().putExtra("data", preview));
            String details = Screens.awaitDetails(app);
            assertTrue(details, details.matches(ON_DEVICE_ANSWER));
            assertEquals("3", Screens.textOf(app, MainActivity.TAG_DIGIT));
        }
    }

    @Test
    public void aCancelledPickLeavesTheScreenAsItWas() {
        try (ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup()) {
            MainActivity app = open(c);
            Screens.press(app, "Camera");
            ShadowActivity.IntentForResult camera = shadowOf(app).getNextStartedActivityForResult();
            shadowOf(app).receiveResult(camera.intent, Activity.RESULT_CANCELED, null);
            Screens.waitFor("the worker", () -> true);
            assertEquals("", Screens.textOf(app, MainActivity.TAG_DETAILS));
            assertNull(shadowOf(app).getNextStartedActivityForResult());
        }
    }
}
