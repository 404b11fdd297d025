package dev.digits.android;

import android.app.Activity;
import android.content.Intent;
import android.net.Uri;
import android.os.Looper;
import android.os.SystemClock;
import android.view.MotionEvent;
import android.view.View;
import android.view.ViewGroup;
import android.widget.Button;
import android.widget.TextView;

import org.robolectric.RuntimeEnvironment;
import org.robolectric.shadows.ShadowActivity;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import static org.junit.Assert.fail;
import static org.robolectric.Shadows.shadowOf;

/** What a user does on the app's screens, and waiting for the app's background thread to answer. */
final class Screens {
    /** Model loading, TFLite inference and HTTP round trips on loopback all finish well within this. */
    private static final long TIMEOUT_MILLIS = 60_000;

    private Screens() {
    }

    /** The app's settings, as the screens read them at start. */
    static AppSettings settings() {
        return new AppSettings(RuntimeEnvironment.getApplication());
    }

    /** A loopback address nothing listens on: a server that is down. */
    static String closedServerUrl() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "http://127.0.0.1:" + s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Runs the main looper until {@code done} holds: the app's worker thread posts its results there, as on a phone.
     */
    static void waitFor(String what, BooleanSupplier done) {
        long deadline = System.currentTimeMillis() + TIMEOUT_MILLIS;
        while (true) {
            shadowOf(Looper.getMainLooper()).idle();
            if (done.getAsBoolean()) return;
            if (System.currentTimeMillis() > deadline) fail("timed out waiting for " + what);
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted waiting for " + what);
            }
        }
    }

    static TextView text(Activity activity, String tag) {
        View v = activity.getWindow().getDecorView().findViewWithTag(tag);
        if (!(v instanceof TextView)) fail("no text view tagged " + tag);
        return (TextView) v;
    }

    static String textOf(Activity activity, String tag) {
        return text(activity, tag).getText().toString();
    }

    static <T extends View> T find(Activity activity, Class<T> type, Predicate<T> which) {
        T found = find(activity.getWindow().getDecorView(), type, which);
        if (found == null) fail("no " + type.getSimpleName() + " matching on " + activity.getClass().getSimpleName());
        return found;
    }

    private static <T extends View> T find(View v, Class<T> type, Predicate<T> which) {
        if (type.isInstance(v) && which.test(type.cast(v))) return type.cast(v);
        if (v instanceof ViewGroup) {
            ViewGroup g = (ViewGroup) v;
            for (int i = 0; i < g.getChildCount(); i++) {
                T found = find(g.getChildAt(i), type, which);
                if (found != null) return found;
            }
        }
        return null;
    }

    /** Presses Detect on the main screen and waits for what it then says under the digit. */
    static String detect(MainActivity app) {
        text(app, MainActivity.TAG_DETAILS).setText("");
        press(app, "Detect");
        return awaitDetails(app);
    }

    /** Waits for the main screen's next answer or message (the details line is cleared first by the caller). */
    static String awaitDetails(MainActivity app) {
        waitFor("an answer", () -> !textOf(app, MainActivity.TAG_DETAILS).isEmpty());
        return textOf(app, MainActivity.TAG_DETAILS);
    }

    /**
     * Presses Gallery and answers the picker the app starts with {@code file} at {@code uri}, as the gallery app returns
     * a picture the user chose; returns the picker's intent and what the main screen then says.
     */
    static Intent pickFromGallery(MainActivity app, Uri uri, byte[] file) {
        shadowOf(app.getContentResolver()).registerInputStreamSupplier(uri, () -> new ByteArrayInputStream(file));
        press(app, "Gallery");
        ShadowActivity.IntentForResult chooser = shadowOf(app).getNextStartedActivityForResult();
        text(app, MainActivity.TAG_DETAILS).setText("");
        shadowOf(app).receiveResult(chooser.intent, Activity.RESULT_OK, new Intent().setData(uri));
        return chooser.intent;
    }

    /** Presses the button labelled {@code label}, as a tap does. */
    static void press(Activity activity, String label) {
        Button b = find(activity, Button.class, x -> label.contentEquals(x.getText()));
        if (!b.isEnabled()) fail(label + " is disabled");
        b.performClick();
        shadowOf(Looper.getMainLooper()).idle();
    }

    /**
     * Draws {@code digit} on the pad with touch events: for each stroke a finger goes down, moves through its points
     * and lifts, in the view's own coordinates (the pad's 280 pixels scaled to its size on screen).
     */
    static void draw(DrawView pad, StrokePad digit) {
        if (pad.getWidth() == 0) fail("the drawing pad has not been laid out");
        float scale = pad.getWidth() / (float) DrawView.PAD_SIZE;
        for (double[] xy : digit.strokes()) {
            long down = SystemClock.uptimeMillis();
            long t = down;
            pad.dispatchTouchEvent(event(down, t, MotionEvent.ACTION_DOWN, xy[0] * scale, xy[1] * scale));
            for (int i = 2; i < xy.length; i += 2) {
                t += 8;
                pad.dispatchTouchEvent(event(down, t, MotionEvent.ACTION_MOVE, xy[i] * scale, xy[i + 1] * scale));
            }
            pad.dispatchTouchEvent(event(down, t + 8, MotionEvent.ACTION_UP, xy[xy.length - 2] * scale,
                    xy[xy.length - 1] * scale));
        }
        shadowOf(Looper.getMainLooper()).idle();
    }

    private static MotionEvent event(long down, long time, int action, double x, double y) {
        return MotionEvent.obtain(down, time, action, (float) x, (float) y, 0);
    }
}
