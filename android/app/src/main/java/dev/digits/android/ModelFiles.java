package dev.digits.android;

import android.content.Context;
import android.content.res.AssetFileDescriptor;

import dev.digits.core.client.InstalledModel;
import dev.digits.core.client.ModelUpdater;
import dev.digits.core.artifact.InputContract;
import dev.digits.core.json.Json;
import dev.digits.core.recognition.DigitCheck;

import java.io.File;
import java.io.FileInputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Where the app's models come from: the one bundled in the APK's assets ({@value #BUNDLED_MODEL}, the output of
 * {@code digits export}), other variants bundled beside it (for the benchmark), and the one downloaded from a Digits
 * server by {@link ModelUpdater}. Assets are memory-mapped straight out of the APK, which is why the build keeps
 * .tflite files uncompressed.
 */
final class ModelFiles {
    /** The bundled default model, in {@code app/src/main/assets}. */
    static final String BUNDLED_MODEL = "mnist.tflite";
    /** The bundled model's card (its {@code model-card.json}), which holds the model's "not a digit" rule. */
    static final String BUNDLED_CARD = "mnist.card.json";

    private ModelFiles() {
    }

    /** One model the app can load. */
    static final class Source {
        final String name;
        final String asset;
        final File file;
        final long size;

        private Source(String name, String asset, File file, long size) {
            this.name = name;
            this.asset = asset;
            this.file = file;
            this.size = size;
        }

        /** Maps the model into memory for {@link Classifier}. */
        ByteBuffer map(Context context) throws IOException {
            if (file != null) return Classifier.map(file);
            return mapAsset(context, asset);
        }
    }

    /** Directory for downloaded models, inside the app's private storage. */
    static File downloadDirectory(Context context) {
        return new File(context.getFilesDir(), "models");
    }

    /** The updater for the given server (null: only to read what is installed); see {@link ModelUpdates}. */
    static ModelUpdater updater(Context context, String serverUrl) {
        return ModelUpdates.updater(downloadDirectory(context), serverUrl);
    }

    /** The bundled default model. */
    static Source bundled(Context context) throws IOException {
        return new Source("bundled " + BUNDLED_MODEL, BUNDLED_MODEL, null, assetSize(context, BUNDLED_MODEL));
    }

    /** The bundled model's card, parsed once for everything the app reads from it; empty when the build bundled none. */
    static Map<String, Object> bundledCard(Context context) {
        try (InputStream in = context.getAssets().open(BUNDLED_CARD)) {
            return Json.parseObject(new String(readAll(in), StandardCharsets.UTF_8));
        } catch (IOException | IllegalArgumentException e) {
            return Collections.emptyMap();
        }
    }

    /**
     * The bundled model's "not a digit" rule from its card; {@link DigitCheck#NONE} when the build bundled no card or
     * the card has no rule, so the app answers as it did before the rule existed.
     */
    static DigitCheck bundledCheck(Map<String, Object> card) {
        Object check = card.get("digitCheck");
        try {
            return check == null ? DigitCheck.NONE : DigitCheck.fromJson(check);
        } catch (IllegalArgumentException e) {
            return DigitCheck.NONE;
        }
    }

    /**
     * How a picture becomes the bundled model's input, as its card declares ({@code input.preprocessing});
     * {@code digit} when the card says nothing.
     */
    static InputContract.Preprocessing bundledPreprocessing(Map<String, Object> card) {
        Object input = card.get("input");
        Object how = input instanceof Map ? ((Map<?, ?>) input).get("preprocessing") : null;
        return how == null ? InputContract.Preprocessing.DIGIT : InputContract.Preprocessing.of(String.valueOf(how));
    }

    private static byte[] readAll(InputStream in) throws IOException {
        // InputStream.readAllBytes needs API 33; minSdk is 24.
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        for (int n; (n = in.read(buffer)) > 0; ) out.write(buffer, 0, n);
        return out.toByteArray();
    }

    /** A verified download. */
    static Source downloaded(InstalledModel model) {
        return new Source("downloaded " + model.model() + " v" + model.version() + " (" + model.quantization() + ")",
                null, model.file(), model.size());
    }

    /** Every model the benchmark can time: each bundled .tflite asset, then each downloaded one. */
    static List<Source> all(Context context) throws IOException {
        List<Source> out = new ArrayList<>();
        String[] assets = context.getAssets().list("");
        if (assets != null) {
            Arrays.sort(assets);
            for (String a : assets) {
                if (a.endsWith(".tflite")) out.add(new Source("bundled " + a, a, null, assetSize(context, a)));
            }
        }
        File[] files = downloadDirectory(context).listFiles();
        if (files != null) {
            Arrays.sort(files);
            for (File f : files) {
                if (f.getName().endsWith(".tflite") && !f.getName().startsWith(".")) {
                    out.add(new Source("downloaded " + f.getName(), null, f, f.length()));
                }
            }
        }
        return out;
    }

    private static ByteBuffer mapAsset(Context context, String asset) throws IOException {
        try (AssetFileDescriptor fd = openAsset(context, asset);
             FileInputStream in = fd.createInputStream();
             FileChannel channel = in.getChannel()) {
            return Classifier.map(channel, fd.getStartOffset(), fd.getDeclaredLength());
        }
    }

    private static long assetSize(Context context, String asset) throws IOException {
        try (AssetFileDescriptor fd = openAsset(context, asset)) {
            return fd.getDeclaredLength();
        }
    }

    private static AssetFileDescriptor openAsset(Context context, String asset) throws IOException {
        try {
            return context.getAssets().openFd(asset);
        } catch (FileNotFoundException e) {
            if (BUNDLED_MODEL.equals(asset) && !Arrays.asList(context.getAssets().list("")).contains(asset)) {
                throw new FileNotFoundException(BUNDLED_MODEL + " is not bundled in this APK: run ./gradlew"
                        + " copyDigitsModel (or copy a model exported with 'digits export' to app/src/main/assets)"
                        + " and rebuild; see android/README.md");
            }
            // openFd also fails for a compressed asset: the build must keep .tflite files uncompressed.
            throw new FileNotFoundException(asset + " cannot be memory-mapped (" + e.getMessage() + "); the build"
                    + " must store .tflite assets uncompressed (androidResources.noCompress)");
        }
    }
}
