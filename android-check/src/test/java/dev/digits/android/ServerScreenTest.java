package dev.digits.android;

import android.app.Activity;
import android.net.Uri;
import android.widget.EditText;
import android.widget.RadioButton;

import dev.digits.convert.tflite.TfliteRuntime;

import org.junit.AfterClass;
import org.junit.Before;
import org.junit.BeforeClass;
import org.junit.Test;
import org.junit.runner.RunWith;
import org.robolectric.Robolectric;
import org.robolectric.android.controller.ActivityController;
import org.robolectric.annotation.Config;
import org.robolectric.annotation.GraphicsMode;

import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

/**
 * The main screen with a server: Server mode answered by a real Digits server (started by the test on loopback, on
 * the host side of the sandbox) and the model updates it offers, including the ones that must not replace the model
 * in use.
 */
@RunWith(ScreenTestRunner.class)
@Config(sdk = 35)
@GraphicsMode(GraphicsMode.Mode.NATIVE)
public class ServerScreenTest {
    private static Path work;
    private static DigitsServerFixture server;
    /** The embedded default model: what the server serves as version 1, and what the app bundles. */
    private static Path defaultModel;
    /** Another cnn, trained by the test: a model with other weights for the server to offer. */
    private static Path retrained;

    @BeforeClass
    public static void startServer() throws IOException {
        TfliteRuntime.load();
        work = Files.createTempDirectory("digits-screens");
        defaultModel = BuildInputs.property("digits.android.default.models").getParent();
        server = DigitsServerFixture.start(work.resolve("models"), defaultModel);
        // DJL finds its engines through the thread's context class loader, which here is the sandbox's.
        Thread thread = Thread.currentThread();
        ClassLoader sandbox = thread.getContextClassLoader();
        thread.setContextClassLoader(ExportedModels.class.getClassLoader());
        try {
            retrained = ExportedModels.trainedExportedDirectory();
        } finally {
            thread.setContextClassLoader(sandbox);
        }
    }

    @AfterClass
    public static void stopServer() {
        if (server != null) server.close();
    }

    @Before
    public void noServerYet() {
        Screens.settings().setServerUrl(Screens.closedServerUrl());
        Screens.settings().setMode(AppSettings.Mode.ON_DEVICE);
    }

    private static String model(Activity app) {
        return Screens.textOf(app, MainActivity.TAG_MODEL);
    }

    /**
     * Waits for the end of an update check: its last message has the model in use on one line and the check's outcome
     * on the next (or says updates are off), unlike the model-loading messages posted on the way.
     */
    private static void updateChecked(Activity app) {
        Screens.waitFor("the update check", () -> model(app).contains("\n")
                || model(app).startsWith("Model updates off"));
    }

    /** Types the server's address into the URL field and presses Save & update, as a user does. */
    private static void useServer(MainActivity app, String url) {
        EditText field = (EditText) Screens.text(app, MainActivity.TAG_SERVER_URL);
        field.setText(url);
        Screens.text(app, MainActivity.TAG_MODEL).setText("");
        Screens.press(app, "Save & update");
        updateChecked(app);
    }

    private static void choose(MainActivity app, String mode) {
        Screens.find(app, RadioButton.class, b -> mode.contentEquals(b.getText())).performClick();
    }

    @Test
    public void serverModeShowsTheServersAnswerForADrawing() {
        try (ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup()) {
            MainActivity app = c.get();
            useServer(app, server.url());
            choose(app, "Server");
            assertEquals(AppSettings.Mode.SERVER, Screens.settings().mode());
            Screens.draw(Screens.find(app, DrawView.class, v -> true), ClassifierTest.drawnDigits().get(4));
            String details = Screens.detect(app);
            assertTrue(details, details.matches("(?s)probability \\d+\\.\\d%.*server cnn v\\d+ · round trip \\d+ ms"));
            assertEquals("4", Screens.textOf(app, MainActivity.TAG_DIGIT));
            // Back to On device: the same drawing, answered by the phone.
            choose(app, "On device");
            assertTrue(Screens.detect(app).contains("on device"));
            assertEquals("4", Screens.textOf(app, MainActivity.TAG_DIGIT));
        }
    }

    @Test
    public void serverModeSendsAPickedPhotoToTheServer() {
        try (ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup()) {
            MainActivity app = c.get();
            useServer(app, server.url());
            choose(app, "Server");
            byte[] jpeg = PhonePhotos.digitOnPaper(ClassifierTest.drawnDigits().get(0), 1600, 1200);
            Screens.pickFromGallery(app, Uri.parse("content://media/external/images/media/12"), jpeg);
            String details = Screens.awaitDetails(app);
            assertTrue(details, details.matches("(?s).*server cnn v\\d+ .*"));
            assertEquals("0", Screens.textOf(app, MainActivity.TAG_DIGIT));
        }
    }

    @Test
    public void anUnreachableServerIsReportedInsteadOfAnAnswer() {
        Screens.settings().setMode(AppSettings.Mode.SERVER);
        String down = Screens.closedServerUrl();
        Screens.settings().setServerUrl(down);
        try (ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup()) {
            MainActivity app = c.get();
            updateChecked(app);
            assertTrue(model(app), model(app).contains("Model update:"));
            assertTrue(model(app), model(app).startsWith("Model: bundled mnist.tflite"));
            Screens.draw(Screens.find(app, DrawView.class, v -> true), ClassifierTest.drawnDigits().get(1));
            String details = Screens.detect(app);
            assertTrue(details, details.startsWith("Cannot reach the Digits server at " + down + " ("));
            assertTrue(details, details.endsWith("check the server URL, that the server is running, and that this"
                    + " device is on a network that reaches it."));
            assertEquals("–", Screens.textOf(app, MainActivity.TAG_DIGIT));
        }
    }

    @Test
    public void aMalformedServerUrlIsExplainedAndOnDeviceKeepsWorking() {
        try (ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup()) {
            MainActivity app = c.get();
            useServer(app, "192.168.1.20 port 8080");
            assertTrue(model(app), model(app).startsWith("Model updates off: "));
            Screens.draw(Screens.find(app, DrawView.class, v -> true), ClassifierTest.drawnDigits().get(7));
            assertTrue(Screens.detect(app).contains("on device · bundled mnist.tflite"));
            assertEquals("7", Screens.textOf(app, MainActivity.TAG_DIGIT));
        }
    }

    @Test
    public void newVersionsOnTheServerAreFollowedAndTheNewModelAnswersOnTheDevice() throws IOException {
        Screens.settings().setServerUrl(server.url());
        try (ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup()) {
            MainActivity app = c.get();
            // At start the app finds the server's version and installs it.
            updateChecked(app);
            assertTrue(model(app), model(app).startsWith("Model: downloaded cnn v1 (float32)"));
            // The only test that publishes. First an operator uploads the same model again: version 2, same file.
            long downloads = server.fileRequests(200);
            server.publish(defaultModel);
            useServer(app, server.url());
            assertTrue(model(app), model(app).startsWith("Model: downloaded cnn v2 (float32)"));
            assertEquals("the file it holds is not downloaded again", downloads, server.fileRequests(200));
            // Then a model trained differently: version 3, downloaded, verified, and used for the next answer.
            server.publish(retrained);
            useServer(app, server.url());
            assertTrue(model(app), model(app).startsWith("Model: downloaded cnn v3 (float32)"));
            assertEquals(downloads + 1, server.fileRequests(200));
            Screens.draw(Screens.find(app, DrawView.class, v -> true), ClassifierTest.drawnDigits().get(2));
            assertTrue(Screens.detect(app).contains("on device · downloaded cnn v3"));
            assertEquals("2", Screens.textOf(app, MainActivity.TAG_DIGIT));
            // Nothing newer: the app says so and keeps the model.
            useServer(app, server.url());
            assertTrue(model(app), model(app).startsWith("Model: downloaded cnn v3"));
            assertTrue(model(app), model(app).contains("up to date"));
        }
    }

    @Test
    public void aCorruptDownloadIsRefusedAndTheBundledModelKeepsAnswering() throws IOException {
        byte[] real = Files.readAllBytes(defaultModel.resolve("export/cnn.tflite"));
        byte[] corrupt = real.clone();
        corrupt[corrupt.length / 2] ^= 0x40;
        String sha = DigitsServerFixture.sha256(defaultModel.resolve("export/cnn.tflite"));
        try (ModelUpdateTest.LyingServer liar = new ModelUpdateTest.LyingServer(sha, corrupt.length, corrupt);
             ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup()) {
            MainActivity app = c.get();
            useServer(app, liar.url());
            assertTrue(model(app), model(app).startsWith("Model: bundled mnist.tflite"));
            assertTrue(model(app), model(app).contains("Model update: ") && model(app).contains("SHA-256"));
            Screens.draw(Screens.find(app, DrawView.class, v -> true), ClassifierTest.drawnDigits().get(8));
            assertTrue(Screens.detect(app).contains("on device · bundled mnist.tflite"));
            assertEquals("8", Screens.textOf(app, MainActivity.TAG_DIGIT));
        }
    }

    @Test
    public void aDownloadedModelDamagedOnThePhoneIsNotUsed() throws IOException {
        Screens.settings().setServerUrl(server.url());
        File installed;
        try (ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup()) {
            MainActivity app = c.get();
            updateChecked(app);
            assertTrue(model(app), model(app).startsWith("Model: downloaded cnn"));
            installed = ModelFiles.updater(app, null).modelFile();
        }
        // Storage that lost a block: the file is still there, its bytes are not the ones verified.
        try (RandomAccessFile f = new RandomAccessFile(installed, "rw")) {
            f.seek(f.length() / 2);
            f.write(new byte[64]);
        }
        Screens.settings().setServerUrl(Screens.closedServerUrl());
        try (ActivityController<MainActivity> c = Robolectric.buildActivity(MainActivity.class).setup()) {
            MainActivity app = c.get();
            updateChecked(app);
            assertTrue(model(app), model(app).contains("Model update:"));
            assertTrue(model(app), model(app).startsWith("Model: bundled mnist.tflite"));
            Screens.draw(Screens.find(app, DrawView.class, v -> true), ClassifierTest.drawnDigits().get(3));
            assertTrue(Screens.detect(app).contains("on device · bundled mnist.tflite"));
            assertEquals("3", Screens.textOf(app, MainActivity.TAG_DIGIT));
        }
    }
}
