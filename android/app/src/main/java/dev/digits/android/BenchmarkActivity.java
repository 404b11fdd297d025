package dev.digits.android;

import android.app.Activity;
import android.graphics.Typeface;
import android.os.Bundle;
import android.os.Handler;
import android.os.Looper;
import android.text.InputType;
import android.widget.Button;
import android.widget.EditText;
import android.widget.LinearLayout;
import android.widget.ScrollView;
import android.widget.TextView;

import dev.digits.core.preprocess.PreprocessedDigit;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Times every model variant the app has (each bundled .tflite asset and each download) on this phone: N classifications
 * after a warm-up, mean and 90th-percentile latency, with the thread count and accelerator chosen on the main screen.
 * Optimisations measured on a desktop do not always carry over to a phone; this screen checks them where they matter.
 */
public final class BenchmarkActivity extends Activity {
    private static final int WARMUP_RUNS = 20;
    private static final int DEFAULT_RUNS = 200;

    private final ExecutorService worker = Executors.newSingleThreadExecutor();
    private final Handler main = new Handler(Looper.getMainLooper());
    private TextView output;
    private Button run;

    @Override
    protected void onCreate(Bundle state) {
        super.onCreate(state);
        setTitle("Digits benchmark");
        AppSettings settings = new AppSettings(this);
        int pad = Math.round(8 * getResources().getDisplayMetrics().density);

        LinearLayout root = new LinearLayout(this);
        root.setOrientation(LinearLayout.VERTICAL);
        root.setPadding(pad, pad, pad, pad);
        TextView about = new TextView(this);
        about.setText(String.format(Locale.ROOT, "Each model: %d warm-up runs, then N timed runs of the interpreter"
                + " (%d thread(s), %s). Change threads and accelerator on the main screen.", WARMUP_RUNS,
                settings.threads(), settings.accelerator()));
        root.addView(about);

        LinearLayout controls = new LinearLayout(this);
        controls.setOrientation(LinearLayout.HORIZONTAL);
        TextView nLabel = new TextView(this);
        nLabel.setText("N = ");
        controls.addView(nLabel);
        EditText runs = new EditText(this);
        runs.setInputType(InputType.TYPE_CLASS_NUMBER);
        runs.setText(Integer.toString(DEFAULT_RUNS));
        runs.setMinEms(4);
        controls.addView(runs);
        run = new Button(this);
        run.setText("Run");
        controls.addView(run);
        root.addView(controls);

        output = new TextView(this);
        output.setTypeface(Typeface.MONOSPACE);
        output.setTextIsSelectable(true);
        root.addView(output);

        ScrollView scroll = new ScrollView(this);
        scroll.addView(root);
        setContentView(scroll);

        float[] drawn = getIntent().getFloatArrayExtra(MainActivity.EXTRA_PIXELS);
        float[] input = drawn != null && drawn.length == PreprocessedDigit.PIXELS ? drawn : ModelBenchmark.standInDigit();
        run.setOnClickListener(v -> {
            int n;
            try {
                n = Integer.parseInt(runs.getText().toString().trim());
            } catch (NumberFormatException e) {
                n = 0;
            }
            if (n < 1 || n > 100_000) {
                output.setText("N must be a whole number from 1 to 100000.");
                return;
            }
            int count = n;
            run.setEnabled(false);
            output.setText(drawn != null ? "Input: your last digit.\n" : "Input: a drawn 1 (detect a digit first to"
                    + " use yours).\n");
            worker.execute(() -> benchmark(input, count, settings.threads(), settings.accelerator()));
        });
    }

    @Override
    protected void onDestroy() {
        worker.shutdownNow();
        super.onDestroy();
    }

    private void benchmark(float[] input, int runs, int threads, Classifier.Accelerator accelerator) {
        List<ModelFiles.Source> sources;
        try {
            sources = ModelFiles.all(this);
        } catch (IOException e) {
            append("Cannot list the models: " + e.getMessage());
            done(null);
            return;
        }
        if (sources.isEmpty()) {
            append("No model to time: bundle mnist.tflite (see android/README.md) or download one from a server.");
        }
        ModelBenchmark benchmark = new ModelBenchmark(WARMUP_RUNS, runs);
        for (ModelFiles.Source source : sources) {
            if (Thread.currentThread().isInterrupted()) return;
            try (Classifier classifier = new Classifier(source.map(this), source.name, threads, accelerator)) {
                ModelBenchmark.Result r = benchmark.run(classifier, input);
                LatencyStats s = r.stats();
                append(String.format(Locale.ROOT, "%s%n  %.0f KB, input %s%n  mean %.3f ms  p90 %.3f ms  (p50 %.3f,"
                                + " max %.3f)  answer %s (%.1f%%)%n", source.name, source.size / 1024.0,
                        classifier.inputSignature(), s.meanMillis(), s.p90Millis(), s.p50Millis(), s.maxMillis(),
                        r.answer().label(), 100 * r.answer().probability()));
            } catch (IOException | IllegalArgumentException e) {
                append(source.name + "\n  cannot be timed: " + e.getMessage() + "\n");
            }
        }
        done("Done.");
    }

    private void append(String text) {
        main.post(() -> output.append(text + "\n"));
    }

    private void done(String text) {
        main.post(() -> {
            if (text != null) output.append(text + "\n");
            run.setEnabled(true);
        });
    }
}
