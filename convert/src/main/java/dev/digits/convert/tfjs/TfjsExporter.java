package dev.digits.convert.tfjs;

import dev.digits.convert.ExportFormat;
import dev.digits.convert.ExportOptions;
import dev.digits.convert.ExportOptions.InputLayout;
import dev.digits.convert.ExportOptions.InputType;
import dev.digits.convert.Exporter;
import dev.digits.convert.LoadedModel;
import dev.digits.convert.Quantization;
import dev.digits.convert.UnsupportedModelException;
import dev.digits.core.json.Json;
import dev.digits.core.model.ModelSpec;
import dev.digits.convert.ExportSource;
import dev.digits.convert.InputDescriptions;
import dev.digits.core.artifact.DigitsVersion;
import dev.digits.core.artifact.ModelCard;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a TensorFlow.js LayersModel — {@code model.json} (Keras topology, weights manifest, labels and input
 * contract in {@code userDefinedMetadata}) and binary weight shards beside it — that {@code tf.loadLayersModel}
 * loads in a browser; and loads such a file back in real TF.js under node to check it.
 *
 * <pre>{@code
 * const model = await tf.loadLayersModel('model/model.json');
 * const {labels} = model.getUserDefinedMetadata();
 * const probabilities = model.predict(pixels.reshape([1, 28, 28, 1]));   // float32 in [0,1], white on black
 * }</pre>
 *
 * <p>Input: NHWC {@code [null,28,28,1]} float32 in [0,1] by default (flat models: {@code [null,784]}); FLAT and
 * NCHW layouts and 0–255 integer input (int32, as {@code tf.browser.fromPixels} returns) are added as Keras layers
 * in front. Quantization: float32, float16, and dynamic int8 as TF.js' uint8 affine weight quantization (kernels
 * only); all are dequantized to float32 by TF.js at load. Full-integer quantization has no TF.js form.
 *
 * <p>Shards are named as the TF.js converter names them ({@code group1-shard1of1.bin}, cut at 4 MiB) when the file
 * is called {@code model.json}; a file with another name prefixes its shards with its own name, so two exports can
 * share a directory.
 */
public final class TfjsExporter implements Exporter {
    /** The TF.js version the files are written for and verified with. */
    public static final String TFJS_VERSION = "4.22.0";

    @Override
    public ExportFormat format() {
        return ExportFormat.TFJS;
    }

    @Override
    public String runtime() {
        return "TensorFlow.js " + TFJS_VERSION + " under node";
    }

    @Override
    public InputLayout defaultLayout(ModelSpec spec) {
        return KerasModel.defaultLayout(spec);
    }

    @Override
    public boolean supports(Quantization quantization) {
        return quantization != Quantization.FULL_INT8;
    }

    @Override
    public void export(ExportSource model, ExportOptions options, Path target) throws IOException {
        if (!supports(options.quantization())) {
            throw new UnsupportedModelException("TF.js LayersModels store quantized weights but compute in float, so "
                    + options.quantization().id() + " (full-integer) quantization has no TF.js form; use float16 or"
                    + " int8-dynamic here, or export TFLite or ONNX for full-integer models");
        }
        ModelSpec spec = model.spec();
        InputLayout layout = options.layoutOr(KerasModel.defaultLayout(spec));
        KerasModel keras = KerasModel.of(spec, model.tensors(), layout, options.inputType());
        WeightShards shards = WeightShards.of(keras.weights(), options.quantization());

        Path file = target.toAbsolutePath().normalize();
        Path dir = file.getParent();
        String prefix = shardPrefix(file);
        List<String> paths = new ArrayList<>();
        for (int i = 0; i < shards.shardCount(); i++) paths.add(prefix + "group1-shard" + (i + 1) + "of" + shards.shardCount() + ".bin");

        Map<String, Object> manifestGroup = new LinkedHashMap<>();
        manifestGroup.put("paths", paths);
        manifestGroup.put("weights", shards.entries());
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("format", "layers-model");
        Object trainedWith = model.card().provenance().get("engine");
        json.put("generatedBy", trainedWith != null ? "Digits training (" + trainedWith + ")" : "Digits " + DigitsVersion.current());
        json.put("convertedBy", "Digits " + DigitsVersion.current());
        json.put("modelTopology", keras.topology(TFJS_VERSION));
        json.put("weightsManifest", List.of(manifestGroup));
        json.put("userDefinedMetadata", metadata(model, options, keras, layout));

        writeAll(dir, file, paths, shards, Json.write(json));
    }

    /**
     * Labels, the input contract and where the model came from (what the model card holds of it), for the page that
     * loads the model ({@code model.getUserDefinedMetadata()}).
     */
    private static Map<String, Object> metadata(ExportSource model, ExportOptions options, KerasModel keras, InputLayout layout) {
        ModelSpec spec = model.spec();
        ModelCard card = model.card();
        Map<String, Object> input = new LinkedHashMap<>();
        input.put("shape", withBatch(keras.inputShape()));
        input.put("dtype", keras.inputDtype());
        input.put("layout", layout.name());
        input.put("range", options.inputType() == InputType.UINT8 ? List.of(0, 255) : List.of(0, 1));

        Map<String, Object> preprocessing = new LinkedHashMap<>();
        preprocessing.put("polarity", card.input().polarity().id());
        preprocessing.put("preprocessing", card.input().preprocessing().id());
        preprocessing.put("size", (spec.inputShape().isFlat() ? spec.inputShape().size() + " values: " : "")
                + InputDescriptions.of(card.input()));
        preprocessing.put("scale", options.inputType() == InputType.UINT8 ? "0-255 integers" : "pixel / 255");

        Map<String, Object> output = new LinkedHashMap<>();
        output.put("shape", Arrays.asList(null, spec.classes()));
        output.put("meaning", "class probabilities (softmax), index = position in labels");

        Map<String, Object> m = new LinkedHashMap<>();
        m.put("modelName", card.name());
        m.put("architecture", spec.name());
        m.put("description", spec.description());
        m.put("labels", model.labels());
        m.put("input", input);
        m.put("preprocessing", preprocessing);
        card.source().ifPresent(src -> m.put("source", src.summary()));
        if (card.digitCheck().rejects()) m.put("digitCheck", card.digitCheck().toJson());
        m.put("output", output);
        m.put("quantization", options.quantization().id());
        m.put("version", options.version());
        m.put("author", options.author());
        m.put("producer", "Digits " + DigitsVersion.current());
        if (!card.provenance().isEmpty()) m.put("provenance", card.provenance());
        if (!card.training().isEmpty()) m.put("training", card.training());
        if (card.weightsSha256() != null) m.put("weightsSha256", card.weightsSha256());
        return m;
    }

    private static List<Object> withBatch(int[] shape) {
        List<Object> out = new ArrayList<>();
        out.add(null);
        for (int d : shape) out.add(d);
        return out;
    }

    private static String shardPrefix(Path file) {
        String name = file.getFileName().toString();
        if (name.equals("model.json")) return "";
        int dot = name.lastIndexOf('.');
        return (dot > 0 ? name.substring(0, dot) : name) + ".";
    }

    /**
     * Writes every file into a temporary directory beside the target, then moves the shards into place and
     * model.json last: a reader sees the old model or the complete new one, and never a model.json whose shards are
     * missing. Shards of an earlier export under the same name that the new one no longer uses are then removed.
     */
    private static void writeAll(Path dir, Path file, List<String> paths, WeightShards shards, String json) throws IOException {
        Files.createDirectories(dir);
        Path tmp = Files.createTempDirectory(dir, "." + file.getFileName() + ".");
        try {
            for (int i = 0; i < paths.size(); i++) Files.write(tmp.resolve(paths.get(i)), shards.shard(i));
            Files.writeString(tmp.resolve(file.getFileName().toString()), json, StandardCharsets.UTF_8);
            for (String p : paths) move(tmp.resolve(p), dir.resolve(p));
            move(tmp.resolve(file.getFileName().toString()), file);
        } finally {
            try (DirectoryStream<Path> left = Files.newDirectoryStream(tmp)) {
                for (Path p : left) Files.deleteIfExists(p);
            }
            Files.deleteIfExists(tmp);
        }
        removeStaleShards(dir, shardPrefix(file), new HashSet<>(paths));
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void removeStaleShards(Path dir, String prefix, Set<String> keep) throws IOException {
        String pattern = java.util.regex.Pattern.quote(prefix) + "group\\d+-shard\\d+of\\d+\\.bin";
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path p : files) {
                String name = p.getFileName().toString();
                if (name.matches(pattern) && !keep.contains(name)) Files.deleteIfExists(p);
            }
        }
    }

    /**
     * Loads {@code file} (a model.json) with {@code tf.loadLayersModel} in TF.js under node; see {@link TfjsRuntime}
     * for what must be installed. The options are not needed: the file states its own input contract.
     */
    @Override
    public LoadedModel load(Path file, ExportOptions options) throws IOException {
        return TfjsRuntime.locate().load(file);
    }
}
