package dev.digits.convert.importer;

import dev.digits.convert.LoadedModel;
import dev.digits.convert.onnx.OnnxRuntimeModel;
import dev.digits.convert.tflite.TfliteExporter;
import dev.digits.convert.tfjs.TfjsLoadedModel;
import dev.digits.convert.tfjs.TfjsRuntime;
import dev.digits.core.error.InvalidInputException;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The original file running in its own runtime, fed its own input values (already in its contract). */
interface SourceRuntime {
    /** The runtime's name, for the report and the card. */
    String name();

    /**
     * The file's outputs for {@code n} examples of 784 values each, row-major (for one channel every layout holds
     * the pixels in this order).
     */
    float[][] run(float[] values, int n) throws IOException;

    /**
     * A TFLite file in LiteRT (where it is installed, as exports are verified) or else the TFLite interpreter, or
     * null when neither loads it (operator versions newer than both know): such a file is still imported, checked
     * by its accuracy. A file LiteRT.js cannot run (a batch dimension other than 1, int8 input) is tried in the
     * interpreter.
     */
    static SourceRuntime tflite(Path file) {
        for (TfliteExporter runner : List.of(new TfliteExporter(), TfliteExporter.withInterpreter())) {
            String name;
            try (LoadedModel probe = runner.load(file, null)) {
                probe.predict(new float[784], 1);
                name = runner.runtime(file, null);
            } catch (InvalidInputException e) {
                // A mistyped -Ddigits.tflite.runtime is the user's to fix, as in an export, not a file to try elsewhere.
                throw e;
            } catch (IOException | RuntimeException e) {
                continue;
            }
            return named(name, (values, n) -> {
                try (LoadedModel m = runner.load(file, null)) {
                    return m.predict(values, n);
                }
            });
        }
        return null;
    }

    /** An ONNX file in ONNX Runtime, opened by path so that its external data is found. */
    static SourceRuntime onnx(Path file, SourceInput input) {
        return named("ONNX Runtime", (values, n) -> {
            try (OnnxRuntimeModel m = OnnxRuntimeModel.open(file)) {
                // A file whose batch dimension is fixed at 1 takes one image per run.
                if (input.dims()[0] != 1) return m.predict(values, n);
                float[][] out = new float[n][];
                int size = values.length / n;
                for (int i = 0; i < n; i++) {
                    out[i] = m.predict(java.util.Arrays.copyOfRange(values, i * size, (i + 1) * size), 1)[0];
                }
                return out;
            }
        });
    }

    /**
     * A TF.js model.json loaded by {@code tf.loadLayersModel} in TF.js under node ({@link TfjsRuntime}), fed the
     * values as they are.
     *
     * @param name the runtime as the report names it, e.g. {@code TensorFlow.js 4.22.0 (wasm)}
     */
    static SourceRuntime tfjs(Path modelJson, String name) {
        return named(name, (values, n) -> {
            try (TfjsLoadedModel m = TfjsRuntime.locate().load(modelJson)) {
                return m.predictValues(values, n);
            }
        });
    }

    /** What {@link #run} does, for {@link #named}. */
    interface Runner {
        float[][] run(float[] values, int n) throws IOException;
    }

    /** The runtime {@code name}, running the file with {@code runner}. */
    static SourceRuntime named(String name, Runner runner) {
        return new SourceRuntime() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public float[][] run(float[] values, int n) throws IOException {
                return runner.run(values, n);
            }
        };
    }
}
