package dev.digits.convert.onnx;

import dev.digits.convert.Sources;
import dev.digits.convert.ExportOptions;
import dev.digits.convert.ExportOptions.InputLayout;
import dev.digits.convert.ExportOptions.InputType;
import dev.digits.convert.LoadedModel;
import dev.digits.convert.UnsupportedModelException;
import dev.digits.core.model.ModelSpec;
import dev.digits.train.TrainedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each layer type, exported to ONNX and run in ONNX Runtime, against the DJL network it was trained as, on random
 * weights and random images.
 */
class OnnxOperatorTest {
    private static final float TOLERANCE = 1e-5f;
    private static final int IMAGES = 16;

    @TempDir
    Path dir;

    private static ModelSpec spec(String layers) {
        return spec("[28, 28, 1]", layers);
    }

    private static ModelSpec spec(String input, String layers) {
        return ModelSpec.parse("{\"name\": \"t\", \"input\": " + input + ", \"layers\": [" + layers
                + ", {\"type\": \"dense\", \"units\": 10, \"activation\": \"softmax\"}]}");
    }

    /** Exports, loads in ONNX Runtime, and returns the largest probability difference from DJL. */
    private float difference(ModelSpec spec, ExportOptions options) throws IOException {
        Path file = dir.resolve("model.onnx");
        OnnxExporter exporter = new OnnxExporter();
        try (TrainedModel model = TestNetworks.model(spec, 7)) {
            exporter.export(Sources.of(model), options, file);
            float[] x = TestNetworks.images(IMAGES, model.inputSize(), 11);
            float[][] expected = model.predictBatch(x, IMAGES);
            assertInformative(expected);
            try (LoadedModel onnx = exporter.load(file, options)) {
                return TestNetworks.maxDifference(expected, onnx.predict(x, IMAGES));
            }
        }
    }

    private float difference(ModelSpec spec) throws IOException {
        return difference(spec, ExportOptions.builder().build());
    }

    /** A comparison of saturated softmax outputs (all 0 and 1) would hide almost any error. */
    private static void assertInformative(float[][] probabilities) {
        int unsure = 0;
        for (float[] p : probabilities) {
            float max = 0;
            for (float v : p) max = Math.max(max, v);
            if (max < 0.99f) unsure++;
        }
        assertTrue(unsure >= IMAGES / 4, "the reference probabilities are saturated; the comparison would prove little");
    }

    @Test
    void validConvolutionWithReluMatches() throws IOException {
        assertTrue(difference(spec("{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3, \"activation\": \"relu\"}, {\"type\": \"flatten\"}")) < TOLERANCE);
    }

    @Test
    void sameConvolutionWithStrideTwoPadsSymmetricallyAsPyTorch() throws IOException {
        assertTrue(difference(spec("{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3, \"stride\": 2, \"padding\": \"same\", \"activation\": \"tanh\"},"
                + " {\"type\": \"flatten\"}")) < TOLERANCE);
    }

    @Test
    void sameFiveByFiveConvolutionWithSigmoidMatches() throws IOException {
        assertTrue(difference(spec("{\"type\": \"conv2d\", \"filters\": 3, \"kernel\": 5, \"padding\": \"same\", \"activation\": \"sigmoid\"},"
                + " {\"type\": \"flatten\"}")) < TOLERANCE);
    }

    @Test
    void maxAndAveragePoolingMatch() throws IOException {
        assertTrue(difference(spec("{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3, \"activation\": \"relu\"},"
                + " {\"type\": \"maxpool2d\", \"pool\": 2}, {\"type\": \"avgpool2d\", \"pool\": 3, \"stride\": 2}, {\"type\": \"flatten\"}")) < TOLERANCE);
    }

    @Test
    void flattenThenDenseLayersMatch() throws IOException {
        assertTrue(difference(spec("{\"type\": \"flatten\"}, {\"type\": \"dense\", \"units\": 32, \"activation\": \"relu\"},"
                + " {\"type\": \"dropout\", \"rate\": 0.5}, {\"type\": \"dense\", \"units\": 16, \"activation\": \"tanh\"}")) < TOLERANCE);
    }

    @Test
    void batchNormFoldedIntoAConvolutionMatches() throws IOException {
        assertTrue(difference(spec("{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3, \"activation\": \"linear\"}, {\"type\": \"batchnorm\"},"
                + " {\"type\": \"activation\", \"activation\": \"relu\"}, {\"type\": \"flatten\"}")) < TOLERANCE);
    }

    @Test
    void batchNormAfterAnActivationMatchesAsItsOwnOperator() throws IOException {
        assertTrue(difference(spec("{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3, \"activation\": \"relu\"}, {\"type\": \"batchnorm\"},"
                + " {\"type\": \"flatten\"}, {\"type\": \"dense\", \"units\": 16, \"activation\": \"relu\"}, {\"type\": \"batchnorm\"}")) < TOLERANCE);
    }

    @Test
    void residualBlocksWithIdentityAndProjectionShortcutsMatch() throws IOException {
        String block = "{\"type\": \"conv2d\", \"filters\": %d, \"kernel\": 3, \"stride\": %d, \"padding\": \"same\", \"activation\": \"linear\"},"
                + " {\"type\": \"batchnorm\"}, {\"type\": \"activation\", \"activation\": \"relu\"},"
                + " {\"type\": \"conv2d\", \"filters\": %1$d, \"kernel\": 3, \"padding\": \"same\", \"activation\": \"linear\"}, {\"type\": \"batchnorm\"}";
        assertTrue(difference(spec("{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3, \"padding\": \"same\", \"activation\": \"relu\"},"
                + " {\"type\": \"residual\", \"activation\": \"relu\", \"layers\": [" + String.format(block, 4, 1) + "]},"
                + " {\"type\": \"residual\", \"activation\": \"relu\", \"layers\": [" + String.format(block, 8, 2) + "]},"
                + " {\"type\": \"flatten\"}")) < TOLERANCE);
    }

    @Test
    void zeroPaddingMatches() throws IOException {
        assertTrue(difference(spec("{\"type\": \"zeropad2d\", \"padding\": 2}, {\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 5, \"stride\": 2, \"activation\": \"relu\"},"
                + " {\"type\": \"flatten\"}")) < TOLERANCE);
    }

    @Test
    void rescalingTheInputBeforeAPaddedConvolutionMatches() throws IOException {
        // (x/255 − 0.1307)/0.3081 on 0–255 pixels: the offset must reach the image, not the zero padding.
        assertTrue(difference(spec("{\"type\": \"rescale\", \"scale\": 3.2457, \"offset\": -0.4242},"
                + " {\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3, \"padding\": \"same\", \"activation\": \"relu\"},"
                + " {\"type\": \"flatten\"}, {\"type\": \"rescale\", \"scale\": 0.5}")) < TOLERANCE);
    }

    @Test
    void globalAveragePoolingMatches() throws IOException {
        assertTrue(difference(spec("{\"type\": \"conv2d\", \"filters\": 8, \"kernel\": 3, \"activation\": \"relu\"}, {\"type\": \"global_avgpool\"}")) < TOLERANCE);
    }

    private static final String CNN = "{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3, \"activation\": \"relu\"},"
            + " {\"type\": \"maxpool2d\", \"pool\": 2}, {\"type\": \"flatten\"}";

    @Test
    void nhwcInputIsTransposedInsideTheGraph() throws IOException {
        ExportOptions nhwc = ExportOptions.builder().layout(InputLayout.NHWC).build();
        assertTrue(difference(spec(CNN), nhwc) < TOLERANCE);
        try (OnnxRuntimeModel m = OnnxRuntimeModel.open(dir.resolve("model.onnx"))) {
            assertArrayEquals(new long[] {-1, 28, 28, 1}, m.inputShape());
        }
    }

    @Test
    void flatInputIsReshapedInsideTheGraph() throws IOException {
        assertTrue(difference(spec(CNN), ExportOptions.builder().layout(InputLayout.FLAT).build()) < TOLERANCE);
        try (OnnxRuntimeModel m = OnnxRuntimeModel.open(dir.resolve("model.onnx"))) {
            assertArrayEquals(new long[] {-1, 784}, m.inputShape());
        }
    }

    @Test
    void nchwIsTheDefaultLayoutForImageModels() throws IOException {
        assertTrue(difference(spec(CNN)) < TOLERANCE);
        try (OnnxRuntimeModel m = OnnxRuntimeModel.open(dir.resolve("model.onnx"))) {
            assertArrayEquals(new long[] {-1, 1, 28, 28}, m.inputShape());
        }
    }

    @Test
    void uint8InputIsCastAndScaledInsideTheGraph() throws IOException {
        ExportOptions uint8 = ExportOptions.builder().inputType(InputType.UINT8).layout(InputLayout.NHWC).build();
        assertTrue(difference(spec(CNN), uint8) < TOLERANCE);
        try (OnnxRuntimeModel m = OnnxRuntimeModel.open(dir.resolve("model.onnx"))) {
            assertEquals(ai.onnxruntime.OnnxJavaType.UINT8, m.inputType());
        }
    }

    @Test
    void flatInputModelsTakeFlatInputByDefault() throws IOException {
        ModelSpec flat = spec("[784]", "{\"type\": \"dense\", \"units\": 32, \"activation\": \"sigmoid\"}");
        assertTrue(difference(flat) < TOLERANCE);
        try (OnnxRuntimeModel m = OnnxRuntimeModel.open(dir.resolve("model.onnx"))) {
            assertArrayEquals(new long[] {-1, 784}, m.inputShape());
        }
    }

    @Test
    void flatInputModelsRefuseAnImageLayoutNamingTheFix() {
        ModelSpec flat = spec("[784]", "{\"type\": \"dense\", \"units\": 32, \"activation\": \"relu\"}");
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                () -> difference(flat, ExportOptions.builder().layout(InputLayout.NHWC).build()));
        assertTrue(e.getMessage().contains("flat layout"), e.getMessage());
    }
}
