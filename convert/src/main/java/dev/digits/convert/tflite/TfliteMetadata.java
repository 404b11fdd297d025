package dev.digits.convert.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import org.tensorflow.lite.support.metadata.schema.AssociatedFile;
import org.tensorflow.lite.support.metadata.schema.AssociatedFileType;
import org.tensorflow.lite.support.metadata.schema.ColorSpaceType;
import org.tensorflow.lite.support.metadata.schema.Content;
import org.tensorflow.lite.support.metadata.schema.ContentProperties;
import org.tensorflow.lite.support.metadata.schema.FeatureProperties;
import org.tensorflow.lite.support.metadata.schema.ImageProperties;
import org.tensorflow.lite.support.metadata.schema.ModelMetadata;
import org.tensorflow.lite.support.metadata.schema.NormalizationOptions;
import org.tensorflow.lite.support.metadata.schema.ProcessUnit;
import org.tensorflow.lite.support.metadata.schema.ProcessUnitOptions;
import org.tensorflow.lite.support.metadata.schema.Stats;
import org.tensorflow.lite.support.metadata.schema.SubGraphMetadata;
import org.tensorflow.lite.support.metadata.schema.TensorMetadata;

/**
 * The TFLite Metadata ({@code ModelMetadata} flatbuffer, identifier {@code M001}) that Android Studio's ML model
 * binding, the TFLite Support and Task libraries and ML Kit read: model name, description, version, author and
 * licence; the input as a grayscale image with its normalisation; the output as class probabilities labelled by
 * an associated {@code labels.txt}.
 */
final class TfliteMetadata {
    /** The labels file zipped into the model, one class name per line. */
    static final String LABELS_FILE = "labels.txt";
    static final String LICENSE = "Apache-2.0";
    /** The oldest metadata parser that understands every field written here. */
    static final String MIN_PARSER_VERSION = "1.0.0";

    /** What the metadata says about the model. */
    record Description(String name, String description, String version, String author,
                       String inputDescription, boolean imageInput, GraphTensor.Type inputType,
                       String outputDescription) {
    }

    private TfliteMetadata() {
    }

    static byte[] build(Description d) {
        FlatBufferBuilder fb = new FlatBufferBuilder(1024);
        int input = inputTensor(fb, d);
        int output = outputTensor(fb, d);

        int inputs = SubGraphMetadata.createInputTensorMetadataVector(fb, new int[] {input});
        int outputs = SubGraphMetadata.createOutputTensorMetadataVector(fb, new int[] {output});
        int sgName = fb.createString(d.name());
        SubGraphMetadata.startSubGraphMetadata(fb);
        SubGraphMetadata.addName(fb, sgName);
        SubGraphMetadata.addInputTensorMetadata(fb, inputs);
        SubGraphMetadata.addOutputTensorMetadata(fb, outputs);
        int subgraph = SubGraphMetadata.endSubGraphMetadata(fb);

        int subgraphs = ModelMetadata.createSubgraphMetadataVector(fb, new int[] {subgraph});
        int name = fb.createString(d.name());
        int description = fb.createString(d.description());
        int version = fb.createString(d.version());
        int author = fb.createString(d.author());
        int license = fb.createString(LICENSE);
        int parser = fb.createString(MIN_PARSER_VERSION);
        ModelMetadata.startModelMetadata(fb);
        ModelMetadata.addName(fb, name);
        ModelMetadata.addDescription(fb, description);
        ModelMetadata.addVersion(fb, version);
        ModelMetadata.addSubgraphMetadata(fb, subgraphs);
        ModelMetadata.addAuthor(fb, author);
        ModelMetadata.addLicense(fb, license);
        ModelMetadata.addMinParserVersion(fb, parser);
        ModelMetadata.finishModelMetadataBuffer(fb, ModelMetadata.endModelMetadata(fb));
        return fb.sizedByteArray();
    }

    private static int inputTensor(FlatBufferBuilder fb, Description d) {
        int properties;
        byte propertiesType;
        if (d.imageInput()) {
            ImageProperties.startImageProperties(fb);
            ImageProperties.addColorSpace(fb, ColorSpaceType.GRAYSCALE);
            properties = ImageProperties.endImageProperties(fb);
            propertiesType = ContentProperties.ImageProperties;
        } else {
            FeatureProperties.startFeatureProperties(fb);
            properties = FeatureProperties.endFeatureProperties(fb);
            propertiesType = ContentProperties.FeatureProperties;
        }
        int content = content(fb, propertiesType, properties);

        // The input value is pixel / 255 for every input type: a float tensor holds it directly, an integer tensor
        // holds it through its quantization parameters. (pixel − mean) / std with mean 0 and std 255 says so.
        int mean = NormalizationOptions.createMeanVector(fb, new float[] {0f});
        int std = NormalizationOptions.createStdVector(fb, new float[] {255f});
        NormalizationOptions.startNormalizationOptions(fb);
        NormalizationOptions.addMean(fb, mean);
        NormalizationOptions.addStd(fb, std);
        int normalization = NormalizationOptions.endNormalizationOptions(fb);
        ProcessUnit.startProcessUnit(fb);
        ProcessUnit.addOptionsType(fb, ProcessUnitOptions.NormalizationOptions);
        ProcessUnit.addOptions(fb, normalization);
        int units = TensorMetadata.createProcessUnitsVector(fb, new int[] {ProcessUnit.endProcessUnit(fb)});

        float[] range = switch (d.inputType()) {
            case UINT8 -> new float[] {0f, 255f};
            case INT8 -> new float[] {-128f, 127f};
            default -> new float[] {0f, 1f};
        };
        int stats = stats(fb, range[0], range[1]);
        int name = fb.createString(Graph.INPUT_NAME);
        int description = fb.createString(d.inputDescription());
        TensorMetadata.startTensorMetadata(fb);
        TensorMetadata.addName(fb, name);
        TensorMetadata.addDescription(fb, description);
        TensorMetadata.addContent(fb, content);
        TensorMetadata.addProcessUnits(fb, units);
        TensorMetadata.addStats(fb, stats);
        return TensorMetadata.endTensorMetadata(fb);
    }

    private static int outputTensor(FlatBufferBuilder fb, Description d) {
        FeatureProperties.startFeatureProperties(fb);
        int content = content(fb, ContentProperties.FeatureProperties, FeatureProperties.endFeatureProperties(fb));
        int stats = stats(fb, 0f, 1f);
        int fileName = fb.createString(LABELS_FILE);
        int fileDescription = fb.createString("Class names, one per line, in the order of the output probabilities.");
        AssociatedFile.startAssociatedFile(fb);
        AssociatedFile.addName(fb, fileName);
        AssociatedFile.addDescription(fb, fileDescription);
        AssociatedFile.addType(fb, AssociatedFileType.TENSOR_AXIS_LABELS);
        int files = TensorMetadata.createAssociatedFilesVector(fb, new int[] {AssociatedFile.endAssociatedFile(fb)});
        int name = fb.createString(Graph.OUTPUT_NAME);
        int description = fb.createString(d.outputDescription());
        TensorMetadata.startTensorMetadata(fb);
        TensorMetadata.addName(fb, name);
        TensorMetadata.addDescription(fb, description);
        TensorMetadata.addContent(fb, content);
        TensorMetadata.addStats(fb, stats);
        TensorMetadata.addAssociatedFiles(fb, files);
        return TensorMetadata.endTensorMetadata(fb);
    }

    private static int content(FlatBufferBuilder fb, byte type, int properties) {
        Content.startContent(fb);
        Content.addContentPropertiesType(fb, type);
        Content.addContentProperties(fb, properties);
        return Content.endContent(fb);
    }

    private static int stats(FlatBufferBuilder fb, float min, float max) {
        int maxV = Stats.createMaxVector(fb, new float[] {max});
        int minV = Stats.createMinVector(fb, new float[] {min});
        Stats.startStats(fb);
        Stats.addMax(fb, maxV);
        Stats.addMin(fb, minV);
        return Stats.endStats(fb);
    }
}
