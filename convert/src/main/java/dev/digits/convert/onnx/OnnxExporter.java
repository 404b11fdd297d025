package dev.digits.convert.onnx;

import dev.digits.core.error.InvalidInputException;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import dev.digits.convert.ExportFormat;
import dev.digits.convert.ExportOptions;
import dev.digits.convert.ExportOptions.InputLayout;
import dev.digits.convert.ExportOptions.InputType;
import dev.digits.convert.Exporter;
import dev.digits.convert.LoadedModel;
import dev.digits.convert.Quantization;
import dev.digits.convert.UnsupportedModelException;
import dev.digits.core.io.AtomicFiles;
import dev.digits.core.json.Json;
import dev.digits.core.model.ModelSpec;
import dev.digits.core.model.Shape;
import dev.digits.convert.ExportSource;
import dev.digits.convert.InputDescriptions;
import dev.digits.core.artifact.DigitsVersion;
import dev.digits.core.artifact.ModelCard;
import dev.digits.core.data.ImageSet;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Writes ONNX files (opset {@value #OPSET}) with the protobuf classes directly and runs them in ONNX Runtime.
 *
 * <p>The file's contract: input {@code "input"}, float32 {@code [N,1,28,28]} (NCHW, as PyTorch) by default, or
 * {@code [N,28,28,1]} (NHWC) or {@code [N,784]} (flat) as {@link ExportOptions#layout()} asks; uint8 pixels (0–255)
 * when {@link ExportOptions#inputType()} says so, scaled to [0,1] inside the graph. Output {@code "probabilities"},
 * float32 {@code [N,classes]}, after a Softmax operator. The batch dimension is named {@code N} and free.
 * The metadata ({@code metadata_props}) holds the labels, the preprocessing the model expects, the model's name,
 * architecture, version, author, license, producer and the provenance from its model card.
 *
 * <p>Quantizations:
 * <ul>
 *   <li>{@link Quantization#FLOAT32}: everything float32; agrees with the trained model to rounding.</li>
 *   <li>{@link Quantization#FLOAT16}: parameters stored as float16 and cast to float32 when loaded; the arithmetic
 *       stays float32, so the file runs on ONNX Runtime's CPU backend (which lacks many float16 kernels).</li>
 *   <li>{@link Quantization#DYNAMIC_INT8}: <em>weight-only</em> int8 — convolution and dense weights stored as int8
 *       with one scale per output channel and dequantized by {@code DequantizeLinear} nodes; biases and activations
 *       stay float32. No {@code DynamicQuantizeLinear}/{@code MatMulInteger}: the point here is a four times smaller
 *       file with float accuracy, not speed (ONNX Runtime keeps {@code DequantizeLinear} nodes for its own QDQ
 *       fusions, so it may dequantize on every run; the export report's latency column shows the cost).</li>
 *   <li>{@link Quantization#FULL_INT8}: QDQ format — int8 weights, int32 biases, and each activation quantized and
 *       dequantized with a scale calibrated on {@link ExportOptions#representative()} images (min/max over up to
 *       {@value #CALIBRATION_IMAGES} of them); ONNX Runtime fuses these into integer kernels. Input may be float32,
 *       uint8 or int8 ({@code q} standing for {@code (q + 128) / 255}); output stays float32 probabilities.</li>
 * </ul>
 */
public final class OnnxExporter implements Exporter {
    /** The ONNX operator set the files use. */
    public static final int OPSET = 13;
    /** ONNX IR version matching opset 13. */
    static final int IR_VERSION = 7;
    /** Representative images used to calibrate full-integer quantization. */
    static final int CALIBRATION_IMAGES = 500;

    @Override
    public ExportFormat format() {
        return ExportFormat.ONNX;
    }

    @Override
    public String runtime() {
        return "ONNX Runtime " + ai.onnxruntime.OrtEnvironment.getEnvironment().getVersion();
    }

    @Override
    public InputLayout defaultLayout(ModelSpec spec) {
        return OnnxNetworkWriter.defaultLayout(spec);
    }

    @Override
    public boolean supports(Quantization quantization) {
        return true;
    }

    @Override
    public void export(ExportSource model, ExportOptions options, Path target) throws IOException {
        AtomicFiles.write(target, toModel(model, options).toByteArray());
    }

    /** The ONNX model for {@code model} as {@code options} ask, without writing it anywhere. */
    ModelProto toModel(ExportSource model, ExportOptions options) throws IOException {
        ModelSpec spec = model.spec();
        InputLayout layout = options.layoutOr(OnnxNetworkWriter.defaultLayout(spec));
        GraphProto graph = OnnxNetworkWriter.write(spec, model.tensors(), layout, options.inputType(), encoding(model, options));
        ModelProto.Builder m = ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setProducerName("Digits")
                .setProducerVersion(DigitsVersion.current())
                .setDomain("dev.digits")
                .setDocString(spec.description())
                .setGraph(graph);
        try {
            m.setModelVersion(Long.parseLong(options.version()));
        } catch (NumberFormatException e) {
            // A version like "2.1-beta" lives only in the metadata; model_version is an integer field.
        }
        for (Map.Entry<String, String> e : metadata(model, options, layout).entrySet()) {
            m.addMetadataProps(StringStringEntryProto.newBuilder().setKey(e.getKey()).setValue(e.getValue()));
        }
        return m.build();
    }

    private ParameterEncoding encoding(ExportSource model, ExportOptions options) throws IOException {
        switch (options.quantization()) {
            case FLOAT32:
                return new Float32Encoding();
            case FLOAT16:
                return new Float16Encoding();
            case DYNAMIC_INT8:
                return new WeightOnlyInt8Encoding();
            case FULL_INT8:
                return new QdqInt8Encoding(calibrate(model, options.representative()));
            default:
                throw new UnsupportedModelException("ONNX export has no " + options.quantization().id() + " quantization");
        }
    }

    /** Runs the float32 network with every quantized activation tapped over representative images; min and max of each. */
    private static Map<String, float[]> calibrate(ExportSource model, ImageSet images) throws IOException {
        if (images == null || images.size() == 0) {
            throw new InvalidInputException("full-integer quantization needs representative training images for calibration");
        }
        ModelSpec spec = model.spec();
        CalibrationTaps taps = new CalibrationTaps();
        InputLayout layout = OnnxNetworkWriter.defaultLayout(spec);
        GraphProto graph = OnnxNetworkWriter.write(spec, model.tensors(), layout, InputType.FLOAT32, taps);
        byte[] bytes = ModelProto.newBuilder().setIrVersion(IR_VERSION)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
                .setGraph(graph).build().toByteArray();
        int count = Math.min(CALIBRATION_IMAGES, images.size());
        int size = images.height() * images.width();
        Map<String, float[]> ranges = new LinkedHashMap<>();
        for (String t : taps.taps()) ranges.put(t, new float[] {Float.MAX_VALUE, -Float.MAX_VALUE});
        try (OnnxRuntimeModel runtime = OnnxRuntimeModel.open(bytes, "the calibration network of " + spec.name())) {
            for (int start = 0; start < count; start += OnnxRuntimeModel.BATCH) {
                int n = Math.min(OnnxRuntimeModel.BATCH, count - start);
                float[] pixels = new float[n * size];
                // Evenly spread over the set, not its first images: they may all be early classes.
                for (int i = 0; i < n; i++) images.copyScaled((int) ((long) (start + i) * images.size() / count), pixels, i * size);
                runtime.observeRanges(pixels, n, ranges);
            }
        }
        return ranges;
    }

    private static Map<String, String> metadata(ExportSource model, ExportOptions options, InputLayout layout) {
        ModelSpec spec = model.spec();
        ModelCard card = model.card();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("model_name", card.name());
        meta.put("architecture", spec.name());
        meta.put("description", spec.description());
        meta.put("labels", Json.write(model.labels()));
        Map<String, Object> prep = new LinkedHashMap<>();
        prep.put("input", OnnxNetworkWriter.INPUT);
        prep.put("layout", layout.name());
        prep.put("shape", inputShape(spec, layout));
        prep.put("type", options.inputType().name().toLowerCase(Locale.ROOT));
        prep.put("range", options.inputType() == InputType.FLOAT32 ? List.of(0, 1)
                : options.inputType() == InputType.UINT8 ? List.of(0, 255) : List.of(-128, 127));
        prep.put("polarity", card.input().polarity().id());
        prep.put("preprocessing", card.input().preprocessing().id());
        prep.put("size", InputDescriptions.of(card.input()));
        meta.put("preprocessing", Json.write(prep));
        meta.put("output", Json.write(Map.of("name", OnnxNetworkWriter.OUTPUT, "shape", List.of("N", spec.classes()),
                "meaning", "class probabilities (softmax), index = position in labels")));
        meta.put("quantization", options.quantization().id());
        meta.put("version", options.version());
        meta.put("author", options.author());
        meta.put("license", "Apache-2.0");
        meta.put("producer", "Digits " + DigitsVersion.current());
        meta.put("spec", Json.write(Json.parse(spec.toJson())));
        if (!card.provenance().isEmpty()) meta.put("provenance", Json.write(card.provenance()));
        if (!card.training().isEmpty()) meta.put("training", Json.write(card.training()));
        if (card.weightsSha256() != null) meta.put("weights_sha256", card.weightsSha256());
        card.source().ifPresent(src -> meta.put("source", Json.write(src.summary())));
        // The "not a digit" rule, so a runtime that has only this file can apply it as the server does.
        if (card.digitCheck().rejects()) meta.put("digit_check", Json.write(card.digitCheck().toJson()));
        return meta;
    }

    private static List<Object> inputShape(ModelSpec spec, InputLayout layout) {
        Shape in = spec.inputShape();
        switch (layout) {
            case NCHW: return List.of("N", in.channels(), in.height(), in.width());
            case NHWC: return List.of("N", in.height(), in.width(), in.channels());
            default: return List.of("N", in.size());
        }
    }

    @Override
    public LoadedModel load(Path file, ExportOptions options) throws IOException {
        return OnnxRuntimeModel.open(file);
    }

    /** Full-integer files only: their QDQ pairs are what ONNX Runtime fuses into integer kernels. */
    @Override
    public Optional<LoadedModel> loadAsWritten(Path file, ExportOptions options) throws IOException {
        if (options.quantization() != Quantization.FULL_INT8) return Optional.empty();
        return Optional.of(OnnxRuntimeModel.openAsWritten(file));
    }
}
