package dev.digits.android;

import android.app.Activity;
import android.content.ActivityNotFoundException;
import android.content.Intent;
import android.graphics.Bitmap;
import android.graphics.Color;
import android.graphics.Typeface;
import android.graphics.drawable.BitmapDrawable;
import android.net.Uri;
import android.os.Bundle;
import android.os.Handler;
import android.os.Looper;
import android.provider.MediaStore;
import android.text.InputType;
import android.view.Gravity;
import android.view.View;
import android.view.ViewGroup;
import android.widget.AdapterView;
import android.widget.ArrayAdapter;
import android.widget.Button;
import android.widget.EditText;
import android.widget.ImageView;
import android.widget.LinearLayout;
import android.widget.RadioButton;
import android.widget.RadioGroup;
import android.widget.ScrollView;
import android.widget.Spinner;
import android.widget.TextView;

import dev.digits.core.client.InstalledModel;
import dev.digits.core.client.PredictionClient;
import dev.digits.core.client.ServerException;
import dev.digits.core.client.ServerPrediction;
import dev.digits.core.client.UpdateResult;
import dev.digits.core.client.UpdateStatus;
import dev.digits.core.artifact.InputContract;
import dev.digits.core.model.Shape;
import dev.digits.core.preprocess.DigitPreprocessor;
import dev.digits.core.preprocess.InputPreprocessor;
import dev.digits.core.preprocess.PreprocessedDigit;
import dev.digits.core.recognition.DigitCheck;
import dev.digits.core.recognition.Recognition;

import java.io.IOException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Draw a digit (or pick or take a picture of one), press Detect, see the digit, every class's probability as bars and
 * how long it took, classified on the phone with TFLite or by a Digits server.
 *
 * <p>The views are built in code, so the app has no generated resource class to depend on. Everything slow (model
 * loading, inference, network, model updates) runs on one background thread, in order; results come back to the
 * main thread through a {@link Handler}.
 */
public final class MainActivity extends Activity {
    private static final int PICK_PICTURE = 1;
    private static final int TAKE_PHOTO = 2;

    /** Intent extra for the benchmark: the last classified digit, as 784 floats. */
    static final String EXTRA_PIXELS = "dev.digits.android.PIXELS";

    // View tags: how tests (and tools such as UI Automator) find the result views without resource ids.
    static final String TAG_DIGIT = "digit";
    static final String TAG_DETAILS = "details";
    static final String TAG_MODEL = "model";
    static final String TAG_SERVER_URL = "server-url";

    private static final String STATE_DRAWING = "drawing";

    static final String NO_DIGIT = "No digit found — try drawing larger, or a picture with one digit in dark ink on"
            + " light paper (or light on dark).";
    static final String NOT_A_DIGIT = "This doesn't look like a digit — draw one digit, 0 to 9, large and in the"
            + " middle.";

    private final ExecutorService worker = Executors.newSingleThreadExecutor();
    private final Handler main = new Handler(Looper.getMainLooper());
    // As the model in use declares it (its card, or the server's listing of the downloaded version).
    private volatile InputPreprocessor preprocessor = DigitPreprocessor.defaults();

    private AppSettings settings;
    private DrawView pad;
    private TextView digitView;
    private TextView detailView;
    private TextView modelView;
    private ImageView preview;
    private ProbabilityBars bars;
    private EditText serverUrl;

    // Touched only on the worker thread.
    private Classifier classifier;
    private String classifierSource = "no model";
    /** The download the classifier runs, or null when it runs the bundled model. */
    private InstalledModel classifierDownload;
    /** The "not a digit" rule of the model the classifier runs, from its card (as the server applies it). */
    private DigitCheck classifierCheck = DigitCheck.NONE;
    private float[] lastPixels;

    @Override
    protected void onCreate(Bundle state) {
        super.onCreate(state);
        settings = new AppSettings(this);
        setContentView(buildViews());
        if (state != null) pad.restoreDrawing(state.getBundle(STATE_DRAWING));
        worker.execute(this::loadClassifier);
        worker.execute(this::updateModel);
    }

    @Override
    protected void onSaveInstanceState(Bundle state) {
        super.onSaveInstanceState(state);
        // Rotation does not recreate the activity (configChanges in the manifest), but a change of theme, language
        // or a process restart does: the drawing comes back with it.
        state.putBundle(STATE_DRAWING, pad.saveDrawing());
    }

    @Override
    protected void onDestroy() {
        worker.execute(this::closeClassifier);
        worker.shutdown();
        super.onDestroy();
    }

    // ---- views --------------------------------------------------------------------------------------------------

    private View buildViews() {
        int pad8 = dp(8);
        LinearLayout root = new LinearLayout(this);
        root.setOrientation(LinearLayout.VERTICAL);
        root.setPadding(pad8, pad8, pad8, pad8);

        RadioGroup mode = new RadioGroup(this);
        mode.setOrientation(RadioGroup.HORIZONTAL);
        RadioButton onDevice = radio("On device", View.generateViewId());
        RadioButton server = radio("Server", View.generateViewId());
        mode.addView(onDevice);
        mode.addView(server);
        (settings.mode() == AppSettings.Mode.SERVER ? server : onDevice).setChecked(true);
        mode.setOnCheckedChangeListener((group, id) -> settings.setMode(
                id == server.getId() ? AppSettings.Mode.SERVER : AppSettings.Mode.ON_DEVICE));
        root.addView(mode);

        LinearLayout urlRow = row();
        serverUrl = new EditText(this);
        serverUrl.setTag(TAG_SERVER_URL);
        serverUrl.setSingleLine(true);
        serverUrl.setInputType(InputType.TYPE_CLASS_TEXT | InputType.TYPE_TEXT_VARIATION_URI);
        serverUrl.setHint("Server URL, e.g. http://192.168.1.20:8080");
        serverUrl.setText(settings.serverUrl());
        urlRow.addView(serverUrl, new LinearLayout.LayoutParams(0, ViewGroup.LayoutParams.WRAP_CONTENT, 1f));
        urlRow.addView(button("Save & update", v -> {
            settings.setServerUrl(serverUrl.getText().toString());
            modelView.setText("Checking the server for a newer model…");
            worker.execute(this::updateModel);
        }));
        root.addView(urlRow);

        LinearLayout runtimeRow = row();
        runtimeRow.addView(label("Threads "));
        Spinner threads = spinner(new Integer[]{1, 2, 3, 4}, settings.threads() - 1);
        threads.setOnItemSelectedListener(onSelect(position -> {
            if (position + 1 != settings.threads()) {
                settings.setThreads(position + 1);
                worker.execute(this::loadClassifier);
            }
        }));
        runtimeRow.addView(threads);
        runtimeRow.addView(label("  Run on "));
        Spinner accelerator = spinner(Classifier.Accelerator.values(), settings.accelerator().ordinal());
        accelerator.setOnItemSelectedListener(onSelect(position -> {
            Classifier.Accelerator chosen = Classifier.Accelerator.values()[position];
            if (chosen != settings.accelerator()) {
                settings.setAccelerator(chosen);
                worker.execute(this::loadClassifier);
            }
        }));
        runtimeRow.addView(accelerator);
        root.addView(runtimeRow);

        pad = new DrawView(this);
        LinearLayout.LayoutParams padParams = new LinearLayout.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT,
                ViewGroup.LayoutParams.WRAP_CONTENT);
        padParams.gravity = Gravity.CENTER_HORIZONTAL;
        padParams.topMargin = pad8;
        root.addView(pad, padParams);

        LinearLayout actions = row();
        actions.addView(button("Detect", v -> detectDrawing()), weighted());
        actions.addView(button("Clear", v -> clear()), weighted());
        root.addView(actions);

        LinearLayout pictures = row();
        pictures.addView(button("Gallery", v -> pickPicture()), weighted());
        pictures.addView(button("Camera", v -> takePhoto()), weighted());
        pictures.addView(button("Benchmark", v -> openBenchmark()), weighted());
        root.addView(pictures);

        LinearLayout result = row();
        result.setGravity(Gravity.CENTER_VERTICAL);
        digitView = new TextView(this);
        digitView.setTag(TAG_DIGIT);
        digitView.setTextSize(56);
        digitView.setTypeface(Typeface.DEFAULT_BOLD);
        digitView.setMinWidth(dp(64));
        digitView.setGravity(Gravity.CENTER);
        result.addView(digitView);
        preview = new ImageView(this);
        preview.setContentDescription("The 28 by 28 image the model receives");
        preview.setBackgroundColor(Color.BLACK);
        result.addView(preview, new LinearLayout.LayoutParams(dp(56), dp(56)));
        detailView = new TextView(this);
        detailView.setTag(TAG_DETAILS);
        detailView.setPadding(pad8, 0, 0, 0);
        result.addView(detailView, weighted());
        root.addView(result);

        bars = new ProbabilityBars(this);
        LinearLayout.LayoutParams barsParams = new LinearLayout.LayoutParams(ViewGroup.LayoutParams.MATCH_PARENT,
                ViewGroup.LayoutParams.WRAP_CONTENT);
        barsParams.topMargin = pad8;
        root.addView(bars, barsParams);

        modelView = new TextView(this);
        modelView.setTag(TAG_MODEL);
        modelView.setTextSize(12);
        modelView.setText("Loading the model…");
        root.addView(modelView);

        ScrollView scroll = new ScrollView(this);
        scroll.addView(root);
        return scroll;
    }

    private interface PositionListener {
        void selected(int position);
    }

    private static AdapterView.OnItemSelectedListener onSelect(PositionListener listener) {
        return new AdapterView.OnItemSelectedListener() {
            @Override
            public void onItemSelected(AdapterView<?> parent, View view, int position, long id) {
                listener.selected(position);
            }

            @Override
            public void onNothingSelected(AdapterView<?> parent) {
                // Keep the current setting.
            }
        };
    }

    private <T> Spinner spinner(T[] items, int selected) {
        Spinner s = new Spinner(this);
        ArrayAdapter<T> adapter = new ArrayAdapter<>(this, android.R.layout.simple_spinner_item, items);
        adapter.setDropDownViewResource(android.R.layout.simple_spinner_dropdown_item);
        s.setAdapter(adapter);
        s.setSelection(Math.max(0, Math.min(items.length - 1, selected)), false);
        return s;
    }

    private RadioButton radio(String text, int id) {
        RadioButton b = new RadioButton(this);
        b.setText(text);
        b.setId(id);
        return b;
    }

    private Button button(String text, View.OnClickListener onClick) {
        Button b = new Button(this);
        b.setText(text);
        b.setOnClickListener(onClick);
        return b;
    }

    private TextView label(String text) {
        TextView t = new TextView(this);
        t.setText(text);
        return t;
    }

    private LinearLayout row() {
        LinearLayout r = new LinearLayout(this);
        r.setOrientation(LinearLayout.HORIZONTAL);
        return r;
    }

    private static LinearLayout.LayoutParams weighted() {
        return new LinearLayout.LayoutParams(0, ViewGroup.LayoutParams.WRAP_CONTENT, 1f);
    }

    private int dp(int value) {
        return Math.round(value * getResources().getDisplayMetrics().density);
    }

    // ---- actions (main thread) ----------------------------------------------------------------------------------

    private void clear() {
        pad.clear();
        digitView.setText("");
        detailView.setText("");
        preview.setImageDrawable(null);
        bars.clear();
    }

    private void detectDrawing() {
        if (pad.isEmpty()) {
            showMessage("Draw a digit first.");
            return;
        }
        int[] argb = pad.padPixels();
        AppSettings.Mode mode = settings.mode();
        String url = settings.serverUrl();
        worker.execute(() -> classify(argb, DrawView.PAD_SIZE, DrawView.PAD_SIZE, null, mode, url));
    }

    private void pickPicture() {
        Intent pick = new Intent(Intent.ACTION_GET_CONTENT).setType("image/*").addCategory(Intent.CATEGORY_OPENABLE);
        try {
            startActivityForResult(Intent.createChooser(pick, "Picture of a digit"), PICK_PICTURE);
        } catch (ActivityNotFoundException e) {
            showMessage("No app on this phone offers pictures to pick.");
        }
    }

    private void takePhoto() {
        // Without EXTRA_OUTPUT the camera app returns a small preview bitmap: plenty for one digit, and it needs
        // neither a storage permission nor a file provider.
        try {
            startActivityForResult(new Intent(MediaStore.ACTION_IMAGE_CAPTURE), TAKE_PHOTO);
        } catch (ActivityNotFoundException e) {
            showMessage("No camera app on this phone.");
        }
    }

    private void openBenchmark() {
        Intent intent = new Intent(this, BenchmarkActivity.class);
        worker.execute(() -> {
            float[] pixels = lastPixels;
            main.post(() -> {
                if (pixels != null) intent.putExtra(EXTRA_PIXELS, pixels);
                startActivity(intent);
            });
        });
    }

    @Override
    protected void onActivityResult(int requestCode, int resultCode, Intent data) {
        super.onActivityResult(requestCode, resultCode, data);
        if (resultCode != RESULT_OK || data == null) return;
        AppSettings.Mode mode = settings.mode();
        String url = settings.serverUrl();
        if (requestCode == PICK_PICTURE && data.getData() != null) {
            Uri uri = data.getData();
            worker.execute(() -> {
                try {
                    classifyPicture(Pictures.decode(getContentResolver(), uri), mode, url);
                } catch (IOException e) {
                    showMessage("Cannot read the picture: " + e.getMessage());
                }
            });
        } else if (requestCode == TAKE_PHOTO) {
            Bitmap photo = cameraPreview(data);
            if (photo != null) {
                worker.execute(() -> classifyPicture(photo, mode, url));
            } else {
                showMessage("The camera app returned no picture.");
            }
        }
    }

    // The typed getParcelableExtra(String, Class) needs API 33; minSdk 24 needs the untyped one.
    @SuppressWarnings("deprecation")
    private static Bitmap cameraPreview(Intent data) {
        Object photo = data.getParcelableExtra("data");
        return photo instanceof Bitmap ? (Bitmap) photo : null;
    }

    // ---- work (worker thread) -----------------------------------------------------------------------------------

    private void classifyPicture(Bitmap picture, AppSettings.Mode mode, String url) {
        int w = picture.getWidth();
        int h = picture.getHeight();
        int[] argb = Pictures.argb(picture);
        // In server mode the server decodes and preprocesses the file itself, with the same algorithm.
        byte[] png = mode == AppSettings.Mode.SERVER ? Pictures.png(picture) : null;
        classify(argb, w, h, png, mode, url);
    }

    private void classify(int[] argb, int width, int height, byte[] png, AppSettings.Mode mode, String url) {
        long start = System.nanoTime();
        PreprocessedDigit digit = preprocessor.process(argb, width, height);
        double preprocessMillis = (System.nanoTime() - start) / 1e6;
        if (!digit.found()) {
            showMessage(NO_DIGIT);
            return;
        }
        float[] pixels = digit.pixels();
        lastPixels = pixels;
        if (mode == AppSettings.Mode.SERVER) {
            try {
                PredictionClient client = PredictionClient.builder().server(url).build();
                ServerPrediction p = png != null ? client.predictImage(png, "image/png") : client.predictPixels(pixels);
                if (!p.found()) {
                    if (ServerPrediction.NOT_A_DIGIT.equals(p.reason())) showNotADigit(NOT_A_DIGIT, p.probabilities());
                    else showMessage(NO_DIGIT);
                    return;
                }
                Recognition r = p.recognition();
                showResult(r, pixels, String.format(Locale.ROOT, "server %s v%s · round trip %.0f ms",
                        p.modelName(), p.modelVersion(), p.roundTripMillis()));
            } catch (ServerException | IllegalArgumentException e) {
                showMessage(e.getMessage());
            }
            return;
        }
        if (classifier == null) {
            showMessage("No model is loaded: " + classifierSource);
            return;
        }
        Recognition r = classifier.classify(pixels, preprocessMillis);
        if (!classifierCheck.isDigit(r.probabilities())) {
            showNotADigit(String.format(Locale.ROOT, "%s%n(score %.2f below the model's %.2f · on device)", NOT_A_DIGIT,
                    classifierCheck.score(r.probabilities()), classifierCheck.threshold()), r.probabilities());
            return;
        }
        showResult(r, pixels, "on device · " + classifierSource);
    }

    /** The preprocessing a 28×28 digit model declaring {@code how} takes its input from. */
    private static InputPreprocessor preprocessorFor(InputContract.Preprocessing how) {
        return InputPreprocessor.of(InputContract.mnist(Shape.image(1, PreprocessedDigit.SIZE, PreprocessedDigit.SIZE))
                .withPreprocessing(how));
    }

    /** (Re)loads the model: the verified download when there is one, otherwise the bundled one. */
    private void loadClassifier() {
        closeClassifier();
        classifierDownload = null;
        classifierCheck = DigitCheck.NONE;
        int threads = settings.threads();
        Classifier.Accelerator accelerator = settings.accelerator();
        String note = "";
        InstalledModel installed = ModelFiles.updater(this, null).installed();
        if (installed != null) {
            ModelFiles.Source source = ModelFiles.downloaded(installed);
            try {
                classifier = new Classifier(source.map(this), source.name, threads, accelerator);
                classifierSource = source.name + ", " + threads + " thread(s), " + accelerator;
                classifierDownload = installed;
                classifierCheck = installed.digitCheck();
                preprocessor = preprocessorFor(installed.preprocessing());
                showModel("Model: " + classifierSource);
                return;
            } catch (IOException | IllegalArgumentException e) {
                note = " (the downloaded model could not be used: " + e.getMessage() + ")";
            }
        }
        try {
            ModelFiles.Source source = ModelFiles.bundled(this);
            classifier = new Classifier(source.map(this), source.name, threads, accelerator);
            classifierSource = source.name + ", " + threads + " thread(s), " + accelerator;
            Map<String, Object> card = ModelFiles.bundledCard(this);
            classifierCheck = ModelFiles.bundledCheck(card);
            preprocessor = preprocessorFor(ModelFiles.bundledPreprocessing(card));
            showModel("Model: " + classifierSource + note);
        } catch (IOException | IllegalArgumentException e) {
            classifierSource = e.getMessage();
            showModel("No on-device model: " + e.getMessage() + note);
        }
    }

    private void updateModel() {
        UpdateResult result;
        try {
            result = ModelFiles.updater(this, settings.serverUrl()).update();
        } catch (IllegalArgumentException badUrl) {
            showModel("Model updates off: " + badUrl.getMessage());
            return;
        }
        // A new version whose file is the one already installed is not downloaded again, but it is the version in
        // use from now on: the screen must not keep naming the old one.
        InstalledModel now = result.installed();
        if (result.status() == UpdateStatus.DOWNLOADED || (now != null && !sameVersion(now, classifierDownload))) {
            loadClassifier();
        }
        String prefix = result.status() == UpdateStatus.DOWNLOADED || result.status() == UpdateStatus.UP_TO_DATE
                ? "" : "Model update: ";
        showModel("Model: " + classifierSource + "\n" + prefix + result.message());
    }

    private static boolean sameVersion(InstalledModel a, InstalledModel b) {
        return b != null && a.version().equals(b.version()) && a.sha256().equals(b.sha256());
    }

    private void closeClassifier() {
        if (classifier != null) {
            classifier.close();
            classifier = null;
        }
    }

    // ---- results (any thread) -----------------------------------------------------------------------------------

    private void showResult(Recognition r, float[] pixels, String how) {
        String details = String.format(Locale.ROOT, "probability %.1f%%%ninference %.2f ms · preprocessing %.1f ms%n%s",
                100 * r.probability(), r.inferenceMillis(), r.preprocessMillis(), how);
        Bitmap seen = Pictures.mnistPreview(pixels);
        main.post(() -> {
            digitView.setText(r.label());
            detailView.setText(details);
            bars.show(r.probabilities(), r.index());
            BitmapDrawable drawable = new BitmapDrawable(getResources(), seen);
            // Nearest-neighbour scaling shows the 28x28 pixels as they are.
            drawable.setFilterBitmap(false);
            preview.setImageDrawable(drawable);
        });
    }

    private void showMessage(String message) {
        main.post(() -> {
            digitView.setText("–");
            detailView.setText(message);
            bars.clear();
        });
    }

    /** An answer the digit check rejected: no digit, but the bars show what the model saw (when it is known). */
    private void showNotADigit(String message, float[] probabilities) {
        main.post(() -> {
            digitView.setText("–");
            detailView.setText(message);
            if (probabilities != null) bars.show(probabilities, -1);
            else bars.clear();
        });
    }

    private void showModel(String text) {
        main.post(() -> modelView.setText(text));
    }
}
