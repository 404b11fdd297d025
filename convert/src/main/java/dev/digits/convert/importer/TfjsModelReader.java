package dev.digits.convert.importer;

import dev.digits.convert.HalfPrecision;
import dev.digits.convert.tfjs.TfjsLoadedModel;
import dev.digits.convert.tfjs.TfjsRuntime;
import dev.digits.core.artifact.Digests;
import dev.digits.core.error.InvalidInputException;
import dev.digits.core.error.NotFoundException;
import dev.digits.core.json.Json;
import dev.digits.core.json.JsonException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Reads a TensorFlow.js LayersModel — {@code model.json} ({@code "format": "layers-model"}) and the weight shards its
 * {@code weightsManifest} lists, as {@code model.save()} in TF.js and {@code tensorflowjs_converter
 * --output_format tfjs_layers_model} write them — into a Digits network. The topology is a Keras model config,
 * translated by {@link KerasConfigReader}; weights are decoded as {@code tf.loadLayersModel} decodes them
 * (tfjs-core's {@code io_utils.decodeWeights}): float32 and int32 as stored, and the converter's quantizations —
 * {@code float16}, and {@code uint8}/{@code uint16} as {@code q·scale + min}.
 */
final class TfjsModelReader {
    private TfjsModelReader() {
    }

    /** {@link #read(Path, String, Consumer)} without progress lines. */
    static ModelImporter.Source read(Path modelJsonOrDir, String name) throws IOException {
        return read(modelJsonOrDir, name, line -> { });
    }

    /**
     * Reads {@code modelJsonOrDir} (a model.json, or the directory holding one) and finds out whether TF.js here can
     * run it for the check: the returned source's runtime is null, and {@code log} says why, when TF.js cannot load
     * the file (TF.js 4.22 refuses some configs Keras 3 writes) or is not installed.
     *
     * @throws ImportException       for a graph model, or a layer Digits cannot express
     * @throws InvalidInputException for a file that is not a readable model.json, or missing or cut-short shards
     */
    static ModelImporter.Source read(Path modelJsonOrDir, String name, Consumer<String> log) throws IOException {
        Path file = Files.isDirectory(modelJsonOrDir) ? modelJsonOrDir.resolve("model.json") : modelJsonOrDir;
        if (!Files.isRegularFile(file)) throw new NotFoundException("TF.js model " + file + " does not exist");
        Map<String, Object> json;
        try {
            json = Json.parseObject(Files.readString(file, StandardCharsets.UTF_8));
        } catch (JsonException | java.nio.charset.MalformedInputException e) {
            throw new InvalidInputException(file + " is not a readable TF.js model.json (" + e.getMessage() + "); is it cut short"
                    + " or another format?");
        }
        Object topologyObject = json.get("modelTopology");
        String format = KerasConfigReader.string(json.get("format"));
        boolean graph = "graph-model".equals(format)
                || topologyObject instanceof Map<?, ?> t && (t.containsKey("node") || t.containsKey("versions"));
        if (graph) {
            throw new ImportException(file.getFileName() + " is a TF.js graph model (format graph-model: TensorFlow operations, not"
                    + " Keras layers); Digits imports LayersModels. Convert the Keras model with tensorflowjs_converter"
                    + " --input_format keras --output_format tfjs_layers_model, or save it in TF.js with model.save()");
        }
        if (format != null && !format.equals("layers-model")) {
            throw new ImportException(file.getFileName() + " has format '" + format + "'; Digits imports TF.js LayersModels");
        }
        if (!(topologyObject instanceof Map)) {
            throw new InvalidInputException(file + " has no modelTopology; is it a TF.js model.json?");
        }
        Map<String, Object> topology = KerasConfigReader.map(topologyObject, "modelTopology");
        // The converter wraps the Keras config as a Keras .h5 file holds it; TF.js' own save writes it bare.
        Map<String, Object> model = topology.containsKey("model_config") ? KerasConfigReader.map(topology.get("model_config"), "model_config") : topology;

        List<KerasConfigReader.Weight> weights = weights(file, json.get("weightsManifest"));
        ImportedNetwork net = KerasConfigReader.read(model, weights, name, "imported from " + file.getFileName());
        SourceRuntime runtime = runtime(file, log);
        return new ModelImporter.Source(net, producer(json, topology), Digests.sha256(file), runtime);
    }

    /** Who wrote the file, e.g. {@code TensorFlow.js tfjs-layers v4.22.0} or {@code keras v2.15.0, converted by ...}. */
    private static String producer(Map<String, Object> json, Map<String, Object> topology) {
        String generated = KerasConfigReader.string(json.get("generatedBy"));
        String converted = KerasConfigReader.string(json.get("convertedBy"));
        String keras = KerasConfigReader.string(topology.get("keras_version"));
        String p = generated != null ? generated : keras != null ? "keras " + keras : null;
        if (converted != null) p = (p == null ? "" : p + ", converted by ") + converted;
        return p == null ? "unknown" : p;
    }

    /** TF.js here running the file, when it loads it. */
    private static SourceRuntime runtime(Path file, Consumer<String> log) {
        TfjsRuntime tfjs;
        try {
            tfjs = TfjsRuntime.locate();
        } catch (IllegalStateException e) {
            log.accept("TF.js is not available here (" + e.getMessage() + "); the import is not checked against TF.js.");
            return null;
        }
        String runtimeName;
        try (TfjsLoadedModel m = tfjs.load(file)) {
            runtimeName = "TensorFlow.js " + m.tfjsVersion() + " (" + m.backend() + ")";
        } catch (IOException e) {
            log.accept("TF.js cannot load " + file.getFileName() + " itself (" + firstLine(e.getMessage()) + "); the import is not"
                    + " checked against TF.js.");
            return null;
        }
        return SourceRuntime.tfjs(file, runtimeName);
    }

    private static String firstLine(String s) {
        if (s == null) return "no message";
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Every weight of every manifest group, decoded. */
    private static List<KerasConfigReader.Weight> weights(Path file, Object manifestObject) throws IOException {
        List<KerasConfigReader.Weight> out = new ArrayList<>();
        if (manifestObject == null) return out;
        if (!(manifestObject instanceof List<?> manifest)) throw new InvalidInputException(file + ": weightsManifest is not a list");
        Path dir = file.toAbsolutePath().getParent();
        for (Object g : manifest) {
            if (!(g instanceof Map<?, ?> group) || !(group.get("paths") instanceof List<?> paths) || !(group.get("weights") instanceof List<?> specs)) {
                throw new InvalidInputException(file + ": a weightsManifest group lacks its paths or weights");
            }
            ByteArrayOutputStream joined = new ByteArrayOutputStream();
            List<Path> shards = new ArrayList<>();
            for (Object p : paths) {
                Path shard = shard(dir, String.valueOf(p), file);
                shards.add(shard);
                joined.write(Files.readAllBytes(shard));
            }
            ByteBuffer data = ByteBuffer.wrap(joined.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
            long needed = 0;
            for (Object s : specs) needed += byteLength(KerasConfigReader.map(s, "weight entry"), file);
            if (data.capacity() < needed) {
                // The shards are concatenated in order, so the shortfall is at the end: the last shard is cut short
                // (or an earlier one is, shifting everything after it).
                throw new InvalidInputException("the weight shards " + paths + " of " + file.getFileName() + " hold " + data.capacity()
                        + " bytes where the manifest lists " + needed + "; " + shards.get(shards.size() - 1).getFileName()
                        + " is cut short (copy the weight files again)");
            }
            for (Object s : specs) out.add(decode(KerasConfigReader.map(s, "weight entry"), data, file));
        }
        return out;
    }

    private static Path shard(Path dir, String path, Path file) {
        // Paths are relative to model.json, as a browser resolves them against the model's URL; they may not leave it.
        Path p = dir.resolve(java.net.URLDecoder.decode(path, StandardCharsets.UTF_8)).normalize();
        if (!p.startsWith(dir)) throw new InvalidInputException(file.getFileName() + " lists weights at '" + path + "', outside its directory");
        if (!Files.isRegularFile(p)) {
            throw new InvalidInputException(file.getFileName() + " lists the weight file '" + path + "', which is not beside it; copy"
                    + " the .bin files with model.json");
        }
        return p;
    }

    private static long values(Map<String, Object> spec) {
        long n = 1;
        for (Object d : KerasConfigReader.list(spec.get("shape"), "weight shape")) n *= KerasConfigReader.integer(d);
        return n;
    }

    private static int bytesPerValue(Map<String, Object> spec, Path file) {
        String name = String.valueOf(spec.get("name"));
        if (spec.get("quantization") instanceof Map<?, ?> q) {
            Object dtype = q.get("dtype");
            if ("uint8".equals(dtype)) return 1;
            if ("uint16".equals(dtype) || "float16".equals(dtype)) return 2;
            throw new InvalidInputException(file.getFileName() + ": weight '" + name + "' has quantization dtype " + dtype
                    + "; TF.js knows uint8, uint16 and float16");
        }
        Object dtype = spec.get("dtype");
        if ("float32".equals(dtype) || "int32".equals(dtype)) return 4;
        if ("bool".equals(dtype)) return 1;
        throw new ImportException(file.getFileName() + ": weight '" + name + "' has dtype " + dtype + "; Digits reads float32, int32"
                + " and bool weights");
    }

    private static long byteLength(Map<String, Object> spec, Path file) {
        return values(spec) * bytesPerValue(spec, file);
    }

    private static KerasConfigReader.Weight decode(Map<String, Object> spec, ByteBuffer data, Path file) {
        List<?> shapeList = KerasConfigReader.list(spec.get("shape"), "weight shape");
        long[] shape = new long[shapeList.size()];
        for (int i = 0; i < shape.length; i++) shape[i] = KerasConfigReader.integer(shapeList.get(i));
        long count = values(spec);
        if (count > 64L << 20) throw new ImportException("weight '" + spec.get("name") + "' holds " + count + " values; too large for a digit model");
        int n = (int) count;
        float[] v = new float[n];
        Object dtype = spec.get("dtype");
        if (spec.get("quantization") instanceof Map<?, ?> q) {
            String qd = String.valueOf(q.get("dtype"));
            if (qd.equals("float16")) {
                for (int i = 0; i < n; i++) v[i] = HalfPrecision.toFloat(data.getShort());
            } else {
                if (!(q.get("scale") instanceof Number scale) || !(q.get("min") instanceof Number min)) {
                    throw new InvalidInputException(file.getFileName() + ": weight '" + spec.get("name") + "' is quantized to " + qd
                            + " without its scale and min");
                }
                // As TF.js computes it: in double, then stored as float32 (int32 weights rounded).
                for (int i = 0; i < n; i++) {
                    int raw = qd.equals("uint8") ? data.get() & 0xff : data.getShort() & 0xffff;
                    double x = raw * scale.doubleValue() + min.doubleValue();
                    v[i] = "int32".equals(dtype) ? Math.round(x) : (float) x;
                }
            }
        } else if ("float32".equals(dtype)) {
            for (int i = 0; i < n; i++) v[i] = data.getFloat();
        } else if ("int32".equals(dtype)) {
            for (int i = 0; i < n; i++) v[i] = data.getInt();
        } else {
            for (int i = 0; i < n; i++) v[i] = data.get();
        }
        return new KerasConfigReader.Weight(String.valueOf(spec.get("name")), shape, v);
    }
}
