package dev.digits.convert.onnx;

import dev.digits.convert.Sources;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import dev.digits.convert.ExportOptions;
import dev.digits.convert.ExportOptions.InputType;
import dev.digits.convert.LoadedModel;
import dev.digits.convert.Quantization;
import dev.digits.core.model.ModelSpec;
import dev.digits.train.Evaluation;
import dev.digits.train.QuickModels;
import dev.digits.train.TestData;
import dev.digits.train.TrainedModel;
import dev.digits.core.data.ImageSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Float16 and int8 ONNX files of a trained CNN: smaller, stored as they claim, and still agreeing with it. */
class OnnxQuantizationTest {
    @TempDir
    static Path dir;

    private static TrainedModel cnn;
    private static ImageSet test;
    private static ImageSet calibration;
    private static float[][] reference;
    private static long float32Size;
    private final OnnxExporter exporter = new OnnxExporter();

    @BeforeAll
    static void train() throws IOException {
        cnn = QuickModels.train("cnn", 2000, dir.resolve("cnn"));
        test = TestData.mnist().test().head(1000);
        calibration = TestData.mnist().train().head(2000);
        reference = cnn.predictAll(test, 500);
        Path f = dir.resolve("cnn.onnx");
        new OnnxExporter().export(Sources.of(cnn), ExportOptions.builder().build(), f);
        float32Size = Files.size(f);
    }

    @AfterAll
    static void close() {
        cnn.close();
    }

    private Path export(Quantization q, InputType type) throws IOException {
        Path f = dir.resolve("cnn-" + q.id() + "-" + type + ".onnx");
        exporter.export(Sources.of(cnn), ExportOptions.builder().quantization(q).inputType(type).representative(calibration).build(), f);
        return f;
    }

    private float[][] run(Path file) throws IOException {
        try (LoadedModel m = exporter.load(file, ExportOptions.builder().build())) {
            return m.predict(TestNetworks.pixels(test), test.size());
        }
    }

    private static double agreement(float[][] a, float[][] b) {
        int same = 0;
        for (int i = 0; i < a.length; i++) if (Evaluation.argmax(a[i]) == Evaluation.argmax(b[i])) same++;
        return same / (double) a.length;
    }

    /** Data types of the initializers holding convolution and dense weights (two or more dimensions). */
    private static java.util.Set<Integer> weightTypes(Path file) throws IOException {
        java.util.Set<Integer> types = new java.util.HashSet<>();
        for (TensorProto t : ModelProto.parseFrom(Files.readAllBytes(file)).getGraph().getInitializerList()) {
            if (t.getDimsCount() >= 2) types.add(t.getDataType());
        }
        return types;
    }

    @Test
    void float16FilesAreHalfTheSizeAndAgreeToAThousandth() throws IOException {
        Path f = export(Quantization.FLOAT16, InputType.FLOAT32);
        double ratio = Files.size(f) / (double) float32Size;
        assertTrue(ratio > 0.45 && ratio < 0.55, "size ratio " + ratio);
        assertEquals(java.util.Set.of(TensorProto.DataType.FLOAT16_VALUE), weightTypes(f));
        float[][] p = run(f);
        assertTrue(TestNetworks.maxDifference(reference, p) < 2e-3f, "difference " + TestNetworks.maxDifference(reference, p));
        assertTrue(agreement(reference, p) >= 0.999);
    }

    @Test
    void dynamicInt8FilesStoreInt8WeightsInAQuarterOfTheSpace() throws IOException {
        Path f = export(Quantization.DYNAMIC_INT8, InputType.FLOAT32);
        double ratio = Files.size(f) / (double) float32Size;
        assertTrue(ratio < 0.3, "size ratio " + ratio);
        assertEquals(java.util.Set.of(TensorProto.DataType.INT8_VALUE), weightTypes(f));
        assertTrue(agreement(reference, run(f)) >= 0.99);
    }

    @Test
    void fullInt8FilesQuantizeEveryActivationAndKeepTheAccuracy() throws IOException {
        Path f = export(Quantization.FULL_INT8, InputType.FLOAT32);
        // uint8 weights and activations: the operand types whose integer kernels add exactly on every CPU.
        assertEquals(java.util.Set.of(TensorProto.DataType.UINT8_VALUE), weightTypes(f));
        long quantizers = 0;
        for (NodeProto n : ModelProto.parseFrom(Files.readAllBytes(f)).getGraph().getNodeList()) {
            if (n.getOpType().equals("QuantizeLinear")) quantizers++;
        }
        // The input and the output of each of the cnn's eight layers but the last.
        assertEquals(8, quantizers);
        float[][] p = run(f);
        assertTrue(agreement(reference, p) >= 0.98, "agreement " + agreement(reference, p));
        assertEquals(Evaluation.of(test, reference).accuracy(), Evaluation.of(test, p).accuracy(), 0.01);
    }

    /**
     * What makes the int8 file's verdict the same on every CPU: ONNX Runtime's fused integer kernels compute what the
     * file's operators mean when run one by one in float (QuantizeLinear, DequantizeLinear, Conv). With int8 weights
     * they did not on CPUs without VNNI (u8×s8 pair sums saturating at 16 bits: 97.1% top-1 agreement, probabilities
     * off by 0.18); with uint8 weights the sums are exact and only requantization rounding may differ.
     */
    @Test
    void fullInt8KernelsComputeWhatTheFileMeansOnThisCpu() throws IOException {
        Path f = export(Quantization.FULL_INT8, InputType.FLOAT32);
        float[][] kernels = run(f);
        float[][] asWritten;
        try (OnnxRuntimeModel m = OnnxRuntimeModel.openAsWritten(f)) {
            asWritten = m.predict(TestNetworks.pixels(test), test.size());
        }
        String cpu = dev.digits.convert.CpuFeatures.ofThisMachine().toString();
        assertTrue(agreement(asWritten, kernels) >= dev.digits.convert.ExportPipeline.KERNEL_AGREEMENT,
                "agreement " + agreement(asWritten, kernels) + " on " + cpu);
        // One requantization step of the last hidden layer moves a probability by a few thousandths at most.
        assertTrue(TestNetworks.maxDifference(asWritten, kernels) < 0.03f,
                "difference " + TestNetworks.maxDifference(asWritten, kernels) + " on " + cpu);
    }

    @Test
    void fullInt8FilesCanTakeInt8Pixels() throws IOException {
        Path f = export(Quantization.FULL_INT8, InputType.INT8);
        try (OnnxRuntimeModel m = OnnxRuntimeModel.open(f)) {
            assertEquals(ai.onnxruntime.OnnxJavaType.INT8, m.inputType());
        }
        assertTrue(agreement(reference, run(f)) >= 0.98);
    }

    @Test
    void fullInt8ResidualNetworksWithBatchNormRunAndAgree() throws IOException {
        ModelSpec spec = ModelSpec.parse("{\"name\": \"r\", \"input\": [28, 28, 1], \"layers\": ["
                + "{\"type\": \"zeropad2d\", \"padding\": 2},"
                + "{\"type\": \"conv2d\", \"filters\": 8, \"kernel\": 3, \"stride\": 2, \"padding\": \"same\", \"activation\": \"linear\"},"
                + "{\"type\": \"batchnorm\"}, {\"type\": \"activation\", \"activation\": \"relu\"},"
                + "{\"type\": \"residual\", \"activation\": \"relu\", \"layers\": ["
                + "  {\"type\": \"conv2d\", \"filters\": 16, \"kernel\": 3, \"stride\": 2, \"padding\": \"same\", \"activation\": \"relu\"},"
                + "  {\"type\": \"conv2d\", \"filters\": 16, \"kernel\": 3, \"padding\": \"same\", \"activation\": \"linear\"}, {\"type\": \"batchnorm\"}]},"
                + "{\"type\": \"global_avgpool\"}, {\"type\": \"dense\", \"units\": 10, \"activation\": \"softmax\"}]}");
        ImageSet images = test.head(300);
        try (TrainedModel model = TestNetworks.model(spec, 3)) {
            Path f = dir.resolve("residual-int8.onnx");
            exporter.export(Sources.of(model), ExportOptions.builder().quantization(Quantization.FULL_INT8).representative(calibration).build(), f);
            float[][] expected = model.predictAll(images, 300);
            float[][] actual;
            try (LoadedModel m = exporter.load(f, ExportOptions.builder().build())) {
                actual = m.predict(TestNetworks.pixels(images), images.size());
            }
            assertTrue(TestNetworks.maxDifference(expected, actual) < 0.05f, "difference " + TestNetworks.maxDifference(expected, actual));
            assertTrue(agreement(expected, actual) >= 0.9, "agreement " + agreement(expected, actual));
        }
    }
}
