package dev.digits.convert.onnx;

import dev.digits.convert.Sources;
import dev.digits.convert.ExportOptions;
import dev.digits.convert.LoadedModel;
import dev.digits.core.model.Architectures;
import dev.digits.train.Evaluation;
import dev.digits.train.QuickModels;
import dev.digits.train.TestData;
import dev.digits.train.TrainedModel;
import dev.digits.core.data.ImageSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every architecture of the zoo, briefly trained, exported to ONNX and checked in ONNX Runtime on real MNIST images. */
class OnnxZooTest {
    @TempDir
    Path dir;

    static List<String> architectures() {
        return Architectures.NAMES;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("architectures")
    void everyZooArchitectureExportsToFloat32OnnxThatAgreesWithTheTrainedModel(String architecture) throws IOException {
        ImageSet test = TestData.mnist().test().head(500);
        try (TrainedModel model = QuickModels.train(architecture, 200, dir.resolve(architecture))) {
            Path file = dir.resolve(architecture + ".onnx");
            OnnxExporter exporter = new OnnxExporter();
            ExportOptions options = ExportOptions.builder().build();
            exporter.export(Sources.of(model), options, file);
            float[][] expected = model.predictAll(test, 250);
            float[][] actual;
            try (LoadedModel onnx = exporter.load(file, options)) {
                actual = onnx.predict(TestNetworks.pixels(test), test.size());
            }
            float diff = TestNetworks.maxDifference(expected, actual);
            assertTrue(diff <= 1e-4f, architecture + ": largest probability difference " + diff);
            assertEquals(Evaluation.of(test, expected).accuracy(), Evaluation.of(test, actual).accuracy(), 1e-3, architecture);
        }
    }
}
