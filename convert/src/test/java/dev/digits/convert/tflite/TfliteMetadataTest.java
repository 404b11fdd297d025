package dev.digits.convert.tflite;

import dev.digits.convert.Sources;
import dev.digits.convert.ExportOptions;
import dev.digits.convert.ExportOptions.InputLayout;
import dev.digits.convert.ExportOptions.InputType;
import dev.digits.core.model.Architectures;
import dev.digits.core.model.ModelSpec;
import dev.digits.train.TrainedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.lite.schema.TensorType;
import org.tensorflow.lite.support.metadata.MetadataExtractor;
import org.tensorflow.lite.support.metadata.schema.AssociatedFileType;
import org.tensorflow.lite.support.metadata.schema.ColorSpaceType;
import org.tensorflow.lite.support.metadata.schema.ContentProperties;
import org.tensorflow.lite.support.metadata.schema.ImageProperties;
import org.tensorflow.lite.support.metadata.schema.ModelMetadata;
import org.tensorflow.lite.support.metadata.schema.NormalizationOptions;
import org.tensorflow.lite.support.metadata.schema.ProcessUnitOptions;
import org.tensorflow.lite.support.metadata.schema.TensorMetadata;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The TFLite Metadata in exported files, read back with the TFLite Support library's own extractor. */
class TfliteMetadataTest {
    private static final List<String> LABELS = List.of("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine");

    @TempDir
    Path dir;

    private Path export(ExportOptions options) throws Exception {
        ModelSpec spec = Architectures.get("cnn");
        try (TrainedModel random = RandomModels.of(spec, 5);
             TrainedModel model = new TrainedModel(spec, random.weights(), LABELS)) {
            Path file = dir.resolve("cnn.tflite");
            new TfliteExporter().export(Sources.of(model), options, file);
            return file;
        }
    }

    @Test
    void theDescriptionStatesTheCardsDigitCheck() throws Exception {
        ModelSpec spec = Architectures.get("cnn");
        try (TrainedModel random = RandomModels.of(spec, 5)) {
            Path file = dir.resolve("checked.tflite");
            new TfliteExporter().export(Sources.of(random, dev.digits.core.artifact.ModelCard.builder(spec)
                    .digitCheck(new dev.digits.core.recognition.DigitCheck(1.4, 0.72)).build()),
                    ExportOptions.builder().build(), file);
            String description = extractor(file).getModelMetadata().description();
            assertTrue(description.endsWith(" Not a digit when max(p^(1/T))/sum(p^(1/T)) < 0.72 with T = 1.4"
                    + " (temperature-scaled-max-probability)."), description);
        }
    }

    private static MetadataExtractor extractor(Path file) throws Exception {
        return new MetadataExtractor(ByteBuffer.wrap(Files.readAllBytes(file)));
    }

    @Test
    void modelMetadataNamesTheModelItsAuthorVersionAndLicense() throws Exception {
        MetadataExtractor m = extractor(export(ExportOptions.builder().author("Ada").version("7").build()));
        assertTrue(m.hasMetadata());
        assertTrue(m.isMinimumParserVersionSatisfied());
        ModelMetadata meta = m.getModelMetadata();
        assertEquals("cnn", meta.name());
        assertTrue(meta.description().contains("Conv 32"), meta.description());
        assertEquals("Ada", meta.author());
        assertEquals("7", meta.version());
        assertEquals("Apache-2.0", meta.license());
    }

    @Test
    void theInputIsAGrayscaleImageNormalisedToTheUnitRange() throws Exception {
        MetadataExtractor m = extractor(export(ExportOptions.builder().build()));
        assertArrayEquals(new int[] {1, 28, 28, 1}, m.getInputTensorShape(0));
        assertEquals(TensorType.FLOAT32, m.getInputTensorType(0));
        TensorMetadata in = m.getInputTensorMetadata(0);
        assertEquals("image", in.name());
        assertEquals(ContentProperties.ImageProperties, in.content().contentPropertiesType());
        ImageProperties image = (ImageProperties) in.content().contentProperties(new ImageProperties());
        assertEquals(ColorSpaceType.GRAYSCALE, image.colorSpace());
        assertEquals(1, in.processUnitsLength());
        assertEquals(ProcessUnitOptions.NormalizationOptions, in.processUnits(0).optionsType());
        NormalizationOptions n = (NormalizationOptions) in.processUnits(0).options(new NormalizationOptions());
        // (pixel − mean) / std must map 0..255 onto [0,1].
        assertEquals(0f, (0 - n.mean(0)) / n.std(0));
        assertEquals(1f, (255 - n.mean(0)) / n.std(0));
        assertEquals(0f, in.stats().min(0));
        assertEquals(1f, in.stats().max(0));
    }

    @Test
    void theOutputIsLabelledByTheModelsClassNamesInAZippedLabelFile() throws Exception {
        Path file = export(ExportOptions.builder().build());
        MetadataExtractor m = extractor(file);
        assertArrayEquals(new int[] {1, 10}, m.getOutputTensorShape(0));
        TensorMetadata out = m.getOutputTensorMetadata(0);
        assertEquals("probabilities", out.name());
        assertEquals(1, out.associatedFilesLength());
        assertEquals("labels.txt", out.associatedFiles(0).name());
        assertEquals(AssociatedFileType.TENSOR_AXIS_LABELS, out.associatedFiles(0).type());
        assertEquals(Set.of("labels.txt"), m.getAssociatedFileNames());
        try (InputStream in = m.getAssociatedFile("labels.txt")) {
            assertEquals(LABELS, List.of(new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")));
        }
        // The same file is a zip archive any tool opens.
        try (ZipFile zip = new ZipFile(file.toFile())) {
            ZipEntry e = zip.getEntry("labels.txt");
            assertNotNull(e);
            assertEquals(ZipEntry.STORED, e.getMethod());
            assertEquals(String.join("\n", LABELS) + "\n", new String(zip.getInputStream(e).readAllBytes(), StandardCharsets.UTF_8));
        }
    }

    @Test
    void aUint8InputStatesItsRangeAndScale() throws Exception {
        MetadataExtractor m = extractor(export(ExportOptions.builder().inputType(InputType.UINT8).layout(InputLayout.FLAT).build()));
        assertArrayEquals(new int[] {1, 784}, m.getInputTensorShape(0));
        assertEquals(TensorType.UINT8, m.getInputTensorType(0));
        assertEquals(1f / 255f, m.getInputTensorQuantizationParams(0).getScale(), 1e-9);
        assertEquals(0, m.getInputTensorQuantizationParams(0).getZeroPoint());
        TensorMetadata in = m.getInputTensorMetadata(0);
        assertEquals(ContentProperties.FeatureProperties, in.content().contentPropertiesType());
        assertEquals(255f, in.stats().max(0));
    }
}
