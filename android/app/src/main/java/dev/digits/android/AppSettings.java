package dev.digits.android;

import android.content.Context;
import android.content.SharedPreferences;

/** The app's settings, kept in SharedPreferences so they survive restarts. */
final class AppSettings {
    /** Where a digit is classified. */
    enum Mode {
        /** With TFLite on this phone: works offline. */
        ON_DEVICE,
        /** By a Digits server ({@code POST /api/v1/predict}). */
        SERVER
    }

    /**
     * The address at which an Android emulator reaches a server running on the computer hosting it; a phone needs
     * the computer's address on the local network instead.
     */
    static final String EMULATOR_HOST_SERVER = "http://10.0.2.2:8080";

    private static final String FILE = "digits";
    private static final String MODE = "mode";
    private static final String SERVER_URL = "serverUrl";
    private static final String THREADS = "threads";
    private static final String ACCELERATOR = "accelerator";

    private final SharedPreferences prefs;

    AppSettings(Context context) {
        this.prefs = context.getSharedPreferences(FILE, Context.MODE_PRIVATE);
    }

    Mode mode() {
        try {
            return Mode.valueOf(prefs.getString(MODE, Mode.ON_DEVICE.name()));
        } catch (IllegalArgumentException e) {
            return Mode.ON_DEVICE;
        }
    }

    void setMode(Mode mode) {
        prefs.edit().putString(MODE, mode.name()).apply();
    }

    String serverUrl() {
        return prefs.getString(SERVER_URL, EMULATOR_HOST_SERVER);
    }

    void setServerUrl(String url) {
        prefs.edit().putString(SERVER_URL, url.trim()).apply();
    }

    /** CPU threads for the interpreter: by default the number of cores, at most 4 (more rarely helps a small CNN). */
    int threads() {
        int fallback = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
        return Math.max(1, prefs.getInt(THREADS, fallback));
    }

    void setThreads(int threads) {
        prefs.edit().putInt(THREADS, threads).apply();
    }

    Classifier.Accelerator accelerator() {
        try {
            return Classifier.Accelerator.valueOf(prefs.getString(ACCELERATOR, Classifier.Accelerator.CPU.name()));
        } catch (IllegalArgumentException e) {
            return Classifier.Accelerator.CPU;
        }
    }

    void setAccelerator(Classifier.Accelerator accelerator) {
        prefs.edit().putString(ACCELERATOR, accelerator.name()).apply();
    }
}
