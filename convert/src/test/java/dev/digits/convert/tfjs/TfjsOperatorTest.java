package dev.digits.convert.tfjs;

import dev.digits.convert.Sources;
import dev.digits.convert.ExportOptions;
import dev.digits.convert.ExportOptions.InputLayout;
import dev.digits.convert.ExportOptions.InputType;
import dev.digits.convert.UnsupportedModelException;
import dev.digits.convert.tfjs.TfjsRuntime.Backend;
import dev.digits.train.TrainedModel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static dev.digits.convert.tfjs.ReferenceCheck.images;
import static dev.digits.convert.tfjs.ReferenceCheck.maxDifference;
import static dev.digits.convert.tfjs.ReferenceCheck.randomModel;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each layer type, exported alone or in a small network with random weights, run by {@code tf.loadLayersModel} in
 * TF.js under node on both node-capable backends, against the DJL reference on random images.
 */
class TfjsOperatorTest {
    private static final int IMAGES = 64;
    private static final float TOLERANCE = 1e-5f;

    private static TfjsRuntime runtime;

    @TempDir
    Path dir;

    @BeforeAll
    static void findRuntime() {
        runtime = TfjsRuntime.locate();
    }

    /** Exports {@code json} with random weights and checks TF.js (wasm and cpu) against DJL on random images. */
    private void assertAgrees(String json, ExportOptions options) throws IOException {
        try (TrainedModel model = randomModel(json, 42)) {
            float[] x = images(IMAGES, model.inputSize(), 7);
            float[][] expected = model.predictBatch(x, IMAGES);
            assertTrue(informative(expected), "the random network is saturated, so agreement would prove little");
            Path file = dir.resolve("model.json");
            new TfjsExporter().export(Sources.of(model), options, file);
            for (Backend b : Backend.values()) {
                try (TfjsLoadedModel tfjs = runtime.withBackend(b).load(file)) {
                    float diff = maxDifference(expected, tfjs.predict(x, IMAGES));
                    assertTrue(diff <= TOLERANCE, "TF.js " + b.id() + ": largest probability difference " + diff);
                }
            }
        }
    }

    private void assertAgrees(String json) throws IOException {
        assertAgrees(json, ExportOptions.builder().build());
    }

    /** Whether the probabilities vary enough that a wrong weight layout would show. */
    private static boolean informative(float[][] p) {
        int soft = 0;
        for (float[] row : p) for (float v : row) if (v > 0.02f && v < 0.98f) soft++;
        return soft >= p.length;
    }

    private String modelJson() throws IOException {
        return Files.readString(dir.resolve("model.json"), StandardCharsets.UTF_8);
    }

    @Test
    void aValidConvolutionReadByADenseLayerThroughFlattenKeepsPyTorchsChannelFirstOrder() throws IOException {
        assertAgrees("{\"name\": \"t\", \"input\": [9, 9, 1], \"layers\": ["
                + "{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3, \"activation\": \"relu\"},"
                + "{\"type\": \"flatten\"},"
                + "{\"type\": \"dense\", \"units\": 10, \"activation\": \"softmax\"}]}");
        assertFalse(modelJson().contains("Permute"), "the dense rows are permuted instead of the activations");
    }

    @Test
    void sameConvolutionsWithStrideOneUseKerasSamePadding() throws IOException {
        assertAgrees("{\"name\": \"t\", \"input\": [8, 8, 1], \"layers\": ["
                + "{\"type\": \"conv2d\", \"filters\": 3, \"kernel\": 3, \"padding\": \"same\", \"activation\": \"tanh\"},"
                + "{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 5, \"padding\": \"same\", \"activation\": \"sigmoid\"},"
                + "{\"type\": \"flatten\"},"
                + "{\"type\": \"dense\", \"units\": 10, \"activation\": \"softmax\"}]}");
        assertTrue(modelJson().contains("\"padding\":\"same\""));
    }

    @Test
    void stridedSameConvolutionsPadSymmetricallyAsPyTorchDoesOnEvenAndOddSizes() throws IOException {
        assertAgrees("{\"name\": \"t\", \"input\": [10, 10, 1], \"layers\": ["
                + "{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3, \"stride\": 2, \"padding\": \"same\", \"activation\": \"relu\"},"
                + "{\"type\": \"conv2d\", \"filters\": 5, \"kernel\": 3, \"stride\": 2, \"padding\": \"same\", \"activation\": \"relu\"},"
                + "{\"type\": \"flatten\"},"
                + "{\"type\": \"dense\", \"units\": 10, \"activation\": \"softmax\"}]}");
        assertTrue(modelJson().contains("ZeroPadding2D"));
        assertFalse(modelJson().contains("\"padding\":\"same\""), "Keras SAME pads asymmetrically when the stride is 2");
    }

    @Test
    void validConvolutionsWithStrideTwoMatch() throws IOException {
        assertAgrees("{\"name\": \"t\", \"input\": [11, 11, 1], \"layers\": ["
                + "{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3, \"stride\": 2, \"activation\": \"relu\"},"
                + "{\"type\": \"flatten\"},"
                + "{\"type\": \"dense\", \"units\": 10, \"activation\": \"softmax\"}]}");
    }

    @Test
    void maxAndAveragePoolingWithOverlappingAndDefaultStridesMatch() throws IOException {
        assertAgrees("{\"name\": \"t\", \"input\": [16, 16, 1], \"layers\": ["
                + "{\"type\": \"conv2d\", \"filters\": 3, \"kernel\": 3, \"activation\": \"relu\"},"
                + "{\"type\": \"maxpool2d\", \"pool\": 2},"
                + "{\"type\": \"maxpool2d\", \"pool\": 2, \"stride\": 1},"
                + "{\"type\": \"avgpool2d\", \"pool\": 3, \"stride\": 2},"
                + "{\"type\": \"flatten\"},"
                + "{\"type\": \"dense\", \"units\": 10, \"activation\": \"softmax\"}]}");
    }

    @Test
    void batchNormalizationOnImagesAndOnFlattenedFeaturesUsesPyTorchsEpsilonAndOrder() throws IOException {
        assertAgrees("{\"name\": \"t\", \"input\": [8, 8, 1], \"layers\": ["
                + "{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3},"
                + "{\"type\": \"batchnorm\"},"
                + "{\"type\": \"activation\", \"activation\": \"relu\"},"
                + "{\"type\": \"flatten\"},"
                + "{\"type\": \"batchnorm\"},"
                + "{\"type\": \"dropout\", \"rate\": 0.5},"
                + "{\"type\": \"dense\", \"units\": 10, \"activation\": \"softmax\"}]}");
    }

    @Test
    void residualBlocksWithIdentityAndStridedProjectionShortcutsBecomeAFunctionalModel() throws IOException {
        assertAgrees("{\"name\": \"t\", \"input\": [8, 8, 1], \"layers\": ["
                + "{\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3, \"padding\": \"same\", \"activation\": \"relu\"},"
                + "{\"type\": \"residual\", \"activation\": \"relu\", \"layers\": ["
                + "  {\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3, \"padding\": \"same\"},"
                + "  {\"type\": \"batchnorm\"},"
                + "  {\"type\": \"activation\", \"activation\": \"relu\"},"
                + "  {\"type\": \"conv2d\", \"filters\": 4, \"kernel\": 3, \"padding\": \"same\"},"
                + "  {\"type\": \"batchnorm\"}]},"
                + "{\"type\": \"residual\", \"activation\": \"relu\", \"layers\": ["
                + "  {\"type\": \"conv2d\", \"filters\": 8, \"kernel\": 3, \"stride\": 2, \"padding\": \"same\"},"
                + "  {\"type\": \"batchnorm\"},"
                + "  {\"type\": \"activation\", \"activation\": \"relu\"},"
                + "  {\"type\": \"conv2d\", \"filters\": 8, \"kernel\": 3, \"padding\": \"same\"}]},"
                + "{\"type\": \"global_avgpool\"},"
                + "{\"type\": \"dense\", \"units\": 10, \"activation\": \"softmax\"}]}");
        String json = modelJson();
        assertTrue(json.contains("\"class_name\":\"Functional\"") && json.contains("inbound_nodes") && json.contains("\"Add\""));
    }

    @Test
    void zeroPaddingAndGlobalAveragePoolingMatch() throws IOException {
        assertAgrees("{\"name\": \"t\", \"input\": [6, 6, 1], \"layers\": ["
                + "{\"type\": \"zeropad2d\", \"padding\": 2},"
                + "{\"type\": \"conv2d\", \"filters\": 6, \"kernel\": 3, \"activation\": \"relu\"},"
                + "{\"type\": \"global_avgpool\"},"
                + "{\"type\": \"dense\", \"units\": 10, \"activation\": \"softmax\"}]}");
    }

    @Test
    void rescalingLayersMatchAsKerasRescaling() throws IOException {
        assertAgrees("{\"name\": \"t\", \"input\": [6, 6, 1], \"layers\": ["
                + "{\"type\": \"rescale\", \"scale\": 3.2457, \"offset\": -0.4242},"
                + "{\"type\": \"conv2d\", \"filters\": 3, \"kernel\": 3, \"padding\": \"same\", \"activation\": \"relu\"},"
                + "{\"type\": \"flatten\"},"
                + "{\"type\": \"rescale\", \"scale\": 0.5, \"offset\": 0.1},"
                + "{\"type\": \"dense\", \"units\": 10, \"activation\": \"softmax\"}]}");
        assertTrue(modelJson().contains("\"Rescaling\""));
    }

    @Test
    void aFlattenedImageReadByLayersOtherThanDenseIsPutInChannelFirstOrderFirst() throws IOException {
        assertAgrees("{\"name\": \"t\", \"input\": [4, 4, 1], \"layers\": ["
                + "{\"type\": \"conv2d\", \"filters\": 3, \"kernel\": 1, \"activation\": \"tanh\"},"
                + "{\"type\": \"flatten\"},"
                + "{\"type\": \"residual\", \"activation\": \"linear\", \"layers\": ["
                + "  {\"type\": \"dense\", \"units\": 48, \"activation\": \"relu\"},"
                + "  {\"type\": \"dense\", \"units\": 48}]},"
                + "{\"type\": \"activation\", \"activation\": \"softmax\"}]}");
        assertTrue(modelJson().contains("Permute"));
    }

    @Test
    void aFlatInputModelWithBatchNormalizationOnFeaturesMatches() throws IOException {
        String json = "{\"name\": \"t\", \"input\": [20], \"layers\": ["
                + "{\"type\": \"dense\", \"units\": 16, \"activation\": \"relu\"},"
                + "{\"type\": \"batchnorm\"},"
                + "{\"type\": \"dropout\", \"rate\": 0.2},"
                + "{\"type\": \"dense\", \"units\": 8, \"activation\": \"sigmoid\"},"
                + "{\"type\": \"dense\", \"units\": 5, \"activation\": \"softmax\"}]}";
        assertAgrees(json);
        try (TfjsLoadedModel tfjs = runtime.load(dir.resolve("model.json"))) {
            assertArrayEquals(new int[] {20}, tfjs.inputShape(), "a flat model keeps its flat input by default");
        }
    }

    @Test
    void flatAndChannelFirstInputLayoutsAndIntegerInputAgreeWithTheReference() throws IOException {
        String json = "{\"name\": \"t\", \"input\": [6, 6, 1], \"layers\": ["
                + "{\"type\": \"conv2d\", \"filters\": 3, \"kernel\": 3, \"activation\": \"relu\"},"
                + "{\"type\": \"flatten\"},"
                + "{\"type\": \"dense\", \"units\": 10, \"activation\": \"softmax\"}]}";
        int[][] shapes = {{36}, {1, 6, 6}, {6, 6, 1}};
        InputLayout[] layouts = {InputLayout.FLAT, InputLayout.NCHW, InputLayout.NHWC};
        for (int i = 0; i < layouts.length; i++) {
            assertAgrees(json, ExportOptions.builder().layout(layouts[i]).build());
            try (TfjsLoadedModel tfjs = runtime.load(dir.resolve("model.json"))) {
                assertArrayEquals(shapes[i], tfjs.inputShape(), layouts[i].name());
            }
        }
        assertAgrees(json, ExportOptions.builder().inputType(InputType.UINT8).build());
        assertTrue(modelJson().contains("\"dtype\":\"int32\"") && modelJson().contains("Rescaling"));
    }

    @Test
    void aSquareFlatInputCanBeGivenAsAnImageButOtherSizesAreRejectedByName() throws IOException {
        String square = "{\"name\": \"t\", \"input\": [16], \"layers\": [{\"type\": \"dense\", \"units\": 10, \"activation\": \"softmax\"}]}";
        assertAgrees(square, ExportOptions.builder().layout(InputLayout.NHWC).build());
        String oblong = "{\"name\": \"t\", \"input\": [20], \"layers\": [{\"type\": \"dense\", \"units\": 10, \"activation\": \"softmax\"}]}";
        try (TrainedModel model = randomModel(oblong, 1)) {
            UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> new TfjsExporter()
                    .export(Sources.of(model), ExportOptions.builder().layout(InputLayout.NHWC).build(), dir.resolve("oblong.json")));
            assertTrue(e.getMessage().contains("flat layout"), e.getMessage());
        }
    }
}
