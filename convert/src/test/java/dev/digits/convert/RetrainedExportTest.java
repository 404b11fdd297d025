package dev.digits.convert;

import dev.digits.convert.tflite.TfliteExporter;
import dev.digits.train.Evaluation;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.train.QuickModels;
import dev.digits.train.TrainedModel;
import dev.digits.train.data.Dataset;
import dev.digits.train.data.FolderDataset;
import dev.digits.core.data.ImageSet;
import dev.digits.train.transfer.ImageFolders;
import dev.digits.train.transfer.Retrainer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.lite.support.metadata.MetadataExtractor;
import org.tensorflow.lite.support.metadata.schema.AssociatedFileType;
import org.tensorflow.lite.support.metadata.schema.TensorMetadata;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole retraining path a user takes: class folders of image files on disk, transfer learning from a trained
 * MNIST model, export to TFLite, and the class names found where an Android app looks for them.
 */
class RetrainedExportTest {
    @TempDir
    Path dir;

    @Test
    void aModelRetrainedOnAFolderExportsToTfliteWithTheFolderNamesAsItsLabels() throws Exception {
        Path base = dir.resolve("cnn");
        QuickModels.train("cnn", 3000, base).close();
        Path images = ImageFolders.writeDigits(dir.resolve("my-images"), Map.of("circle", 0, "stick", 1, "hook", 7), 20);
        Dataset data = FolderDataset.builder(images).load().dataset();
        Path out = dir.resolve("retrained");
        Retrainer.builder().base(base).epochs(5).learningRate(0.01).seed(1).progress(false, new PrintStream(OutputStream.nullOutputStream()))
                .build().retrain(data, out).close();

        List<String> labels = List.of("circle", "hook", "stick");
        Path file = dir.resolve("retrained.tflite");
        ExportOptions options = ExportOptions.builder().build();
        TfliteExporter exporter = new TfliteExporter();
        try (TrainedModel model = TrainedModel.load(out)) {
            assertEquals(labels, model.labels());
            exporter.export(ExportSource.of(ModelArtifact.open(out)), options, file);

            // The TFLite Support library's reader, as Android Studio's generated code uses it.
            MetadataExtractor metadata = new MetadataExtractor(ByteBuffer.wrap(Files.readAllBytes(file)));
            assertTrue(metadata.hasMetadata());
            TensorMetadata output = metadata.getOutputTensorMetadata(0);
            assertEquals(1, output.associatedFilesLength());
            assertEquals(AssociatedFileType.TENSOR_AXIS_LABELS, output.associatedFiles(0).type());
            String labelFile = output.associatedFiles(0).name();
            try (InputStream in = metadata.getAssociatedFile(labelFile)) {
                assertEquals(labels, new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList());
            }
            assertTrue(output.description().contains("circle, hook, stick"), output.description());

            // The same file is a zip archive holding the label file, for any unzip tool.
            try (ZipFile zip = new ZipFile(file.toFile())) {
                String text = new String(zip.getInputStream(zip.getEntry(labelFile)).readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(labels, text.lines().toList());
            }

            // And the real TFLite runtime computes what the trained model does, class for class.
            ImageSet validation = data.test();
            float[] pixels = new float[validation.size() * validation.height() * validation.width()];
            for (int i = 0; i < validation.size(); i++) validation.copyScaled(i, pixels, i * validation.height() * validation.width());
            float[][] expected = model.predictBatch(pixels, validation.size());
            try (LoadedModel loaded = exporter.load(file, options)) {
                float[][] actual = loaded.predict(pixels, validation.size());
                for (int i = 0; i < expected.length; i++) {
                    assertEquals(3, actual[i].length);
                    for (int c = 0; c < 3; c++) assertEquals(expected[i][c], actual[i][c], 1e-4, "image " + i + " class " + c);
                    assertEquals(Evaluation.argmax(expected[i]), Evaluation.argmax(actual[i]));
                }
            }
        }
    }
}
