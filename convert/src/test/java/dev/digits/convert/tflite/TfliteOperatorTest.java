package dev.digits.convert.tflite;

import dev.digits.convert.Sources;
import dev.digits.convert.ExportOptions;
import dev.digits.convert.ExportOptions.InputLayout;
import dev.digits.convert.ExportOptions.InputType;
import dev.digits.convert.LoadedModel;
import dev.digits.core.model.ModelSpec;
import dev.digits.train.TrainedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Each layer type on its own, exported to float32 TFLite with random weights and run in the TFLite interpreter on
 * random inputs, against the DJL (PyTorch) reference.
 */
class TfliteOperatorTest {
    private static final double TOLERANCE = 1e-5;
    private static final int BATCH = 8;

    @TempDir
    Path dir;

    static Stream<Arguments> specs() {
        return Stream.of(
                spec("conv valid then flatten into dense, whose columns are permuted from CHW to HWC", "[10,10,1]",
                        "{'type':'conv2d','filters':4,'kernel':3,'activation':'relu'},{'type':'flatten'},"
                                + "{'type':'dense','units':6,'activation':'softmax'}"),
                spec("conv same with stride 1 uses TFLite SAME padding", "[9,9,2]",
                        "{'type':'conv2d','filters':3,'kernel':3,'padding':'same','activation':'relu'},"
                                + "{'type':'conv2d','filters':2,'kernel':5,'padding':'same','activation':'linear'},"
                                + "{'type':'flatten'},{'type':'dense','units':4,'activation':'softmax'}"),
                spec("conv same with stride 2 on an even size pads explicitly", "[10,10,1]",
                        "{'type':'conv2d','filters':3,'kernel':3,'stride':2,'padding':'same','activation':'relu'},"
                                + "{'type':'flatten'},{'type':'dense','units':5,'activation':'softmax'}"),
                spec("conv same with stride 2 on an odd size", "[9,9,1]",
                        "{'type':'conv2d','filters':3,'kernel':3,'stride':2,'padding':'same','activation':'tanh'},"
                                + "{'type':'conv2d','filters':2,'kernel':5,'stride':3,'padding':'same','activation':'sigmoid'},"
                                + "{'type':'flatten'},{'type':'dense','units':5,'activation':'softmax'}"),
                spec("max and average pooling, with and without overlapping windows", "[12,12,1]",
                        "{'type':'conv2d','filters':3,'kernel':3,'activation':'relu'},{'type':'maxpool2d','pool':2},"
                                + "{'type':'avgpool2d','pool':3,'stride':2},{'type':'maxpool2d','pool':2,'stride':1},"
                                + "{'type':'flatten'},{'type':'dense','units':4,'activation':'softmax'}"),
                spec("batchnorm after a linear conv is folded into it", "[8,8,1]",
                        "{'type':'conv2d','filters':4,'kernel':3,'activation':'linear'},{'type':'batchnorm'},"
                                + "{'type':'activation','activation':'relu'},{'type':'flatten'},"
                                + "{'type':'dense','units':3,'activation':'softmax'}"),
                spec("batchnorm after a relu, after a dense layer and after a flatten", "[6,6,1]",
                        "{'type':'conv2d','filters':3,'kernel':3,'activation':'relu'},{'type':'batchnorm'},"
                                + "{'type':'flatten'},{'type':'batchnorm'},{'type':'dropout','rate':0.3},"
                                + "{'type':'dense','units':7,'activation':'linear'},{'type':'batchnorm'},"
                                + "{'type':'activation','activation':'tanh'},{'type':'dense','units':3,'activation':'softmax'}"),
                spec("residual blocks with identity and projection shortcuts", "[8,8,1]",
                        "{'type':'conv2d','filters':4,'kernel':3,'padding':'same','activation':'relu'},"
                                + "{'type':'residual','activation':'relu','layers':[{'type':'batchnorm'},"
                                + "{'type':'activation','activation':'relu'},"
                                + "{'type':'conv2d','filters':4,'kernel':3,'padding':'same','activation':'linear'}]},"
                                + "{'type':'residual','activation':'relu','layers':["
                                + "{'type':'conv2d','filters':6,'kernel':3,'stride':2,'padding':'same','activation':'linear'},"
                                + "{'type':'batchnorm'},{'type':'activation','activation':'relu'},"
                                + "{'type':'conv2d','filters':6,'kernel':3,'padding':'same','activation':'linear'},"
                                + "{'type':'batchnorm'}]},"
                                + "{'type':'residual','activation':'sigmoid','layers':[{'type':'dropout','rate':0.1}]},"
                                + "{'type':'global_avgpool'},{'type':'dense','units':5,'activation':'softmax'}"),
                spec("zero padding and global average pooling", "[6,6,1]",
                        "{'type':'zeropad2d','padding':2},{'type':'conv2d','filters':3,'kernel':3,'activation':'relu'},"
                                + "{'type':'zeropad2d','padding':1},{'type':'global_avgpool'},"
                                + "{'type':'dense','units':4,'activation':'softmax'}"),
                spec("input rescaling before a padded convolution and between flatten and dense", "[6,6,1]",
                        "{'type':'rescale','scale':-255,'offset':255},"
                                + "{'type':'conv2d','filters':3,'kernel':3,'padding':'same','activation':'relu'},"
                                + "{'type':'flatten'},{'type':'rescale','scale':0.01,'offset':-0.2},"
                                + "{'type':'dense','units':4,'activation':'softmax'}"),
                spec("a flatten read by the softmax itself keeps PyTorch's order", "[1,5,2]",
                        "{'type':'flatten'},{'type':'activation','activation':'softmax'}"),
                spec("dense layers and a residual block on a flat input", "[12]",
                        "{'type':'dense','units':8,'activation':'relu'},"
                                + "{'type':'residual','activation':'linear','layers':[{'type':'dense','units':8,'activation':'relu'},"
                                + "{'type':'dense','units':8,'activation':'linear'}]},"
                                + "{'type':'dense','units':3,'activation':'softmax'}"));
    }

    private static Arguments spec(String what, String input, String layers) {
        String json = ("{'name':'op','input':" + input + ",'layers':[" + layers + "]}").replace('\'', '"');
        return Arguments.of(what, ModelSpec.parse(json));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void exportedLayersAgreeWithTheReference(String what, ModelSpec spec) throws Exception {
        try (TrainedModel model = RandomModels.of(spec, 42)) {
            float[] pixels = RandomModels.pixels(BATCH, model.inputSize(), 7);
            float[][] expected = model.predictBatch(pixels, BATCH);
            pixels = RandomModels.toHwc(pixels, BATCH, spec.inputShape());
            assertAgrees(model, ExportOptions.builder().build(), pixels, expected);

            // The Java evaluation used for calibration computes the same network.
            Graph g = SpecLowering.lower(spec, model.weights(), null);
            FloatGraphEvaluator evaluator = new FloatGraphEvaluator(g);
            float[][] inJava = new float[BATCH][];
            for (int i = 0; i < BATCH; i++) {
                float[] one = Arrays.copyOfRange(pixels, i * model.inputSize(), (i + 1) * model.inputSize());
                inJava[i] = evaluator.run(one).get(g.output());
            }
            assertTrue(Predictions.maxDifference(inJava, expected) < TOLERANCE, "Java evaluation differs by "
                    + Predictions.maxDifference(inJava, expected));
        }
    }

    @Test
    void everyInputLayoutAndTypeGivesTheSameAnswers() throws Exception {
        ModelSpec spec = (ModelSpec) specs().toArray(Arguments[]::new)[0].get()[1];
        try (TrainedModel model = RandomModels.of(spec, 3)) {
            // Pixels k/255, as images have, so that the uint8 input loses nothing.
            float[] pixels = RandomModels.pixels(BATCH, model.inputSize(), 11);
            for (int i = 0; i < pixels.length; i++) pixels[i] = Math.round(pixels[i] * 255) / 255f;
            float[][] expected = model.predictBatch(pixels, BATCH);
            for (InputLayout layout : InputLayout.values()) {
                for (InputType type : EnumSet.of(InputType.FLOAT32, InputType.UINT8)) {
                    assertAgrees(model, ExportOptions.builder().layout(layout).inputType(type).build(), pixels, expected);
                }
            }
        }
    }

    private void assertAgrees(TrainedModel model, ExportOptions options, float[] pixels, float[][] expected) throws Exception {
        TfliteExporter exporter = new TfliteExporter();
        Path file = dir.resolve("model.tflite");
        exporter.export(Sources.of(model), options, file);
        try (LoadedModel loaded = exporter.load(file, options)) {
            float[][] actual = loaded.predict(pixels, BATCH);
            assertEquals(BATCH, actual.length);
            double diff = Predictions.maxDifference(actual, expected);
            assertTrue(diff < TOLERANCE, options.layout() + " " + options.inputType() + ": TFLite differs by " + diff);
            float[][] single = loaded.predict(Arrays.copyOf(pixels, model.inputSize()), 1);
            assertTrue(Predictions.maxDifference(single, new float[][] {expected[0]}) < TOLERANCE, "batch of one");
        }
    }
}
