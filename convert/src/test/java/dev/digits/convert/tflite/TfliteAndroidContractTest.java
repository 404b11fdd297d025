package dev.digits.convert.tflite;

import dev.digits.convert.Sources;
import dev.digits.convert.ExportOptions;
import dev.digits.convert.UnsupportedModelException;
import dev.digits.core.model.ModelSpec;
import dev.digits.train.TestData;
import dev.digits.train.TrainedModel;
import dev.digits.core.data.ImageSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.lite.DataType;
import org.tensorflow.lite.Interpreter;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The float32 cnn file used exactly as an Android app uses it: {@code new Interpreter(file)}, {@code run}. */
class TfliteAndroidContractTest {
    @TempDir
    Path dir;

    @Test
    void theCnnFileAnswersThroughTheInterpreterApiAsAnAndroidAppCallsIt() throws Exception {
        TrainedModel model = TrainedZoo.get("cnn");
        Path file = dir.resolve("cnn.tflite");
        new TfliteExporter().export(Sources.of(model), ExportOptions.builder().build(), file);
        ImageSet test = TestData.mnist().test().head(200);
        TfliteRuntime.load();
        try (Interpreter interpreter = new Interpreter(file.toFile())) {
            assertEquals(1, interpreter.getInputTensorCount());
            assertEquals(1, interpreter.getOutputTensorCount());
            assertArrayEquals(new int[] {1, 28, 28, 1}, interpreter.getInputTensor(0).shape());
            assertEquals(DataType.FLOAT32, interpreter.getInputTensor(0).dataType());
            assertEquals("image", interpreter.getInputTensor(0).name());
            assertArrayEquals(new int[] {1, 10}, interpreter.getOutputTensor(0).shape());
            assertEquals(DataType.FLOAT32, interpreter.getOutputTensor(0).dataType());
            assertEquals("probabilities", interpreter.getOutputTensor(0).name());
            int right = 0;
            for (int i = 0; i < test.size(); i++) {
                float[][][][] input = new float[1][28][28][1];
                for (int y = 0; y < 28; y++) for (int x = 0; x < 28; x++) input[0][y][x][0] = test.pixel(i, y, x) / 255f;
                float[][] output = new float[1][10];
                interpreter.run(input, output);
                float[] expected = model.predict(test.image(i));
                float sum = 0;
                for (int k = 0; k < 10; k++) {
                    assertEquals(expected[k], output[0][k], 1e-4, "image " + i + " class " + k);
                    sum += output[0][k];
                }
                assertEquals(1f, sum, 1e-4);
                if (Predictions.argmax(output[0]) == test.label(i)) right++;
            }
            assertTrue(right >= 0.8 * test.size(), right + " of " + test.size() + " right");
        }
    }

    @Test
    void aFlatInputThatIsNoImageCannotBeGivenAnImageLayout() {
        ModelSpec spec = ModelSpec.parse("{\"name\": \"tabular\", \"input\": [12], \"layers\": ["
                + "{\"type\": \"dense\", \"units\": 3, \"activation\": \"softmax\"}]}");
        try (TrainedModel model = RandomModels.of(spec, 1)) {
            UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> new TfliteExporter()
                    .export(Sources.of(model), ExportOptions.builder().layout(ExportOptions.InputLayout.NHWC).build(), dir.resolve("t.tflite")));
            assertTrue(e.getMessage().contains("'tabular'") && e.getMessage().contains("flat layout"), e.getMessage());
        }
    }
}
