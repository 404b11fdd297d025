package dev.digits.convert.importer;

import dev.digits.convert.ExportOptions;
import dev.digits.convert.ExportSource;
import dev.digits.convert.Quantization;
import dev.digits.convert.tflite.TfliteExporter;
import dev.digits.core.artifact.InputContract.Polarity;
import dev.digits.core.data.ImageSet;
import dev.digits.core.error.InvalidInputException;
import dev.digits.train.TestData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.lite.schema.ModelT;
import org.tensorflow.lite.schema.OperatorCodeT;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Imports TFLite files and checks them against the files in LiteRT. No TensorFlow converter runs
 * here, so the files are Digits' own TFLite exports of a network PyTorch trained (the channels-last residual
 * network of torch_models.py, dark ink on light): channels-last convolutions with SAME padding, fused ReLUs,
 * residual ADDs, MEAN, float16 weights behind DEQUANTIZE and int8 weights with per-channel scales.
 */
class TfliteImportTest {
    @TempDir
    static Path dir;
    private static ImageSet test;
    private static double torchAccuracy;
    private static final List<String> LOG = new ArrayList<>();

    @BeforeAll
    static void exports() throws Exception {
        test = TestData.mnist().test();
        Path onnx = TorchModels.dir().resolve("torch-resnet-nhwc.onnx");
        torchAccuracy = TorchModels.accuracy("torch-resnet-nhwc.onnx");
        // The network as PyTorch trained it, before the import puts its contract in: the TFLite files expect dark ink on
        // light, as the ONNX file does.
        NetworkBuilder.Network raw = OnnxGraphReader.read(onnx, OnnxGraphReader.parse(onnx), "resnet").network();
        ExportSource source = ExportSource.of(raw.spec(), raw.weights(), ImageSet.digitClasses());
        for (Quantization q : new Quantization[] {Quantization.FLOAT32, Quantization.FLOAT16, Quantization.DYNAMIC_INT8, Quantization.FULL_INT8}) {
            ExportOptions o = ExportOptions.builder().quantization(q).representative(TestData.mnist().train().head(200)).build();
            new TfliteExporter().export(source, o, dir.resolve("resnet-" + q.id() + ".tflite"));
        }
    }

    @Test
    void floatFilesImportExactlyAndFindTheirContract() throws Exception {
        for (String q : new String[] {"float32", "float16"}) {
            ModelImporter.Analysis a = ModelImporter.analyse(dir.resolve("resnet-" + q + ".tflite"), "t", null, test, LOG::add);
            assertEquals(ContractSearch.contract(0f, 1f, 0f, 1f, Polarity.DARK_ON_LIGHT), a.source().input(), q);
            double diff = ((Number) a.source().verification().get("maxProbabilityDifference")).doubleValue();
            assertTrue(diff <= ModelImporter.TOLERANCE, q + ": " + diff);
            // Checked where exports are: in LiteRT, which the build installs beside the tests.
            assertTrue(a.source().verification().get("runtime").toString().startsWith("LiteRT.js "), a.source().verification().toString());
            assertEquals(torchAccuracy, a.accuracy(), 0.005, q);
            assertEquals("tflite", a.source().format());
        }
    }

    @Test
    void int8WeightsAreDequantizedAndCheckedByAgreementWithTheHybridKernels() throws Exception {
        // 2,000 test digits are enough to see the dequantized weights agree with the file's dynamic-range kernels.
        ImageSet some = test.head(2000);
        ModelImporter.Analysis a = ModelImporter.analyse(dir.resolve("resnet-int8-dynamic.tflite"), "t", null, some, LOG::add);
        assertEquals(ContractSearch.contract(0f, 1f, 0f, 1f, Polarity.DARK_ON_LIGHT), a.source().input());
        double agreement = ((Number) a.source().verification().get("agreement")).doubleValue();
        System.out.printf("int8-dynamic file: the same digit as in %s on %.2f%% of %d images%n",
                a.source().verification().get("runtime"), 100 * agreement, some.size());
        assertTrue(agreement >= ModelImporter.MIN_AGREEMENT, "agreement " + agreement);
        assertEquals(2000, a.source().verification().get("images"));
    }

    @Test
    void operatorVersionsNewerThanTheRuntimeStillImportCheckedByAccuracy() throws Exception {
        ModelT m = ModelT.deserializeFromBinary(Files.readAllBytes(dir.resolve("resnet-float32.tflite")));
        for (OperatorCodeT c : m.getOperatorCodes()) c.setVersion(c.getVersion() + 40);
        Path newer = dir.resolve("newer.tflite");
        Files.write(newer, m.serializeToBinary());
        ModelImporter.Analysis a = ModelImporter.analyse(newer, "t", null, test, LOG::add);
        assertEquals("none", a.source().verification().get("runtime"), "TFLite 2.6 cannot run version 41 operators");
        assertTrue(a.source().producer().contains("CONV_2D v41"), a.source().producer());
        assertEquals(torchAccuracy, a.accuracy(), 0.005);
    }

    @Test
    void aFullIntegerModelIsRefusedWithWhatToDoInstead() {
        ImportException e = assertThrows(ImportException.class,
                () -> ModelImporter.analyse(dir.resolve("resnet-int8.tflite"), "t", null, test, LOG::add));
        assertTrue(e.getMessage().contains("full-integer") && e.getMessage().contains("--quantize"), e.getMessage());
    }

    @Test
    void aMistypedTfliteRuntimeIsRefusedAsInAnExport() {
        String property = dev.digits.convert.tflite.TfliteExporter.RUNTIME_PROPERTY;
        String before = System.getProperty(property);
        System.setProperty(property, "gpu");
        try {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> ModelImporter.analyse(dir.resolve("resnet-float32.tflite"), "t", null, test, LOG::add));
            assertTrue(e.getMessage().contains(property + "=gpu") && e.getMessage().contains("litert, interpreter or auto"),
                    e.getMessage());
        } finally {
            if (before == null) System.clearProperty(property);
            else System.setProperty(property, before);
        }
    }

    @Test
    void aTruncatedFileIsRefusedAsUnreadable() throws Exception {
        byte[] bytes = Files.readAllBytes(dir.resolve("resnet-float32.tflite"));
        Path cut = dir.resolve("cut.tflite");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ModelImporter.analyse(cut, "t", null, test, LOG::add));
        assertTrue(e.getMessage().contains("cut.tflite"), e.getMessage());
    }
}
