package dev.digits.convert.importer;

import dev.digits.core.artifact.Digests;
import dev.digits.core.error.InvalidInputException;
import dev.digits.core.json.Json;
import dev.digits.core.json.JsonException;
import io.jhdf.HdfFile;
import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Array;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads the files Keras saves a whole model in — HDF5 ({@code .h5}) from Keras 2 and 3, and the Keras zip
 * ({@code .keras}) — into a Digits network: the model config is translated by {@link KerasConfigReader}, the weights
 * found where Keras put them. No Keras runs here, so the import is checked by its accuracy alone. The layouts, as
 * Keras' own saving code writes and reads them:
 * <ul>
 *   <li><b>.h5</b> ({@code save_model_to_hdf5} and {@code save_weights_to_hdf5_group} in Keras 3's
 *   {@code keras/src/legacy/saving/legacy_h5_format.py}, the same in Keras 2's
 *   {@code keras/saving/legacy/hdf5_format.py}): root attributes {@code model_config} (the config's JSON),
 *   {@code keras_version} and {@code backend}; a group {@code model_weights} whose attribute {@code layer_names}
 *   lists the layers, each with a group of that name whose attribute {@code weight_names} lists its weights
 *   (trainable, then non-trainable: kernel, bias; gamma, beta, moving_mean, moving_variance), each a dataset at that
 *   name under the layer's group. Keras 2 names weights after the TensorFlow variable ({@code dense/kernel:0}), Keras
 *   3 after the variable's path ({@code dense/kernel}, or {@code sequential/dense/kernel} in a Sequential model), so
 *   the names are resolved as given, never rebuilt. Lists too long for one attribute are split into
 *   {@code layer_names0}, {@code layer_names1}, … ({@code save_attributes_to_hdf5_group}). Strings are fixed- or
 *   variable-length depending on the h5py version that wrote them; both are read.</li>
 *   <li><b>.keras</b> ({@code keras/src/saving/saving_lib.py}): a zip of {@code config.json} (the model config),
 *   {@code metadata.json} ({@code keras_version}) and {@code model.weights.h5}, in which {@code _save_state} and
 *   {@code H5IOStore} put each layer's variables at {@code layers/<name>/vars/0}, {@code vars/1}, … in the layer's
 *   variable order. {@code <name>} is not the layer's name but its class in snake case, numbered per class in the
 *   order of {@code model.layers} ({@code conv2d}, {@code conv2d_1}; {@code _save_container_state}), so layers are
 *   matched to groups by class and position.</li>
 *   <li><b>.keras from Keras 2.13–2.15</b>: the same, under {@code _layer_checkpoint_dependencies/} instead of
 *   {@code layers/} (the path Keras 3's {@code H5Entry} falls back to for these files). Keras 2 walked the dict
 *   {@code _layer_checkpoint_dependencies}, which lists each layer with weights twice ({@code layer_with_weights-N}
 *   and {@code layer-N}): the second visit is skipped but still numbered, so the numbers skip, and a layer is found
 *   as the k-th group of its class that holds variables.</li>
 * </ul>
 */
final class KerasFileReader {
    private static final String CONFIG = "config.json";
    private static final String METADATA = "metadata.json";
    private static final String WEIGHTS = "model.weights.h5";
    /** Largest model.weights.h5 read into memory: far beyond any digit model. */
    private static final long MAX_WEIGHTS_BYTES = 1L << 30;

    private KerasFileReader() {
    }

    /**
     * Reads a Keras HDF5 model file ({@code model.save("m.h5")} in Keras 2 or 3).
     *
     * @throws ImportException       for a weights-only file, or a layer Digits cannot express
     * @throws InvalidInputException for a file that is cut short or not a Keras file
     */
    static ModelImporter.Source readH5(Path file, String name, Consumer<String> log) throws IOException {
        String sha256 = Digests.sha256(file);
        String config;
        String version;
        String backend;
        List<KerasConfigReader.Weight> weights;
        try (HdfFile h5 = new HdfFile(file)) {
            checkComplete(h5, file, file.getFileName().toString());
            config = string(h5, "model_config");
            if (config == null) {
                throw new ImportException(file.getFileName() + " holds weights only (no model_config: saved with save_weights);"
                        + " Digits imports whole models: save it with model.save(\"model.h5\") or model.save(\"model.keras\")");
            }
            Node group = h5.getChild("model_weights");
            if (!(group instanceof Group modelWeights)) {
                throw new InvalidInputException(file + " has a model_config but no model_weights group; it is cut short or not a"
                        + " Keras file");
            }
            version = string(h5, "keras_version");
            if (version == null) version = string(modelWeights, "keras_version");
            backend = string(h5, "backend");
            if (backend == null) backend = string(modelWeights, "backend");
            weights = h5Weights(modelWeights, file);
        } catch (ImportException | InvalidInputException e) {
            throw e;
        } catch (RuntimeException e) {
            // jhdf reports a file that ends early, or is no HDF5 at all, by whatever went wrong while reading it.
            throw unreadable(file, e);
        }
        Map<String, Object> model = config(config, file, "model_config");
        ImportedNetwork net = KerasConfigReader.read(model, weights, name, "imported from " + file.getFileName());
        return new ModelImporter.Source(net, producer(version, backend), sha256, null);
    }

    /**
     * Reads a Keras zip ({@code model.save("m.keras")} in Keras 3, or in Keras 2.13–2.15).
     *
     * @throws ImportException       for a layer Digits cannot express, or weights in a form Digits does not read
     * @throws InvalidInputException for a file that is cut short or not a Keras file
     */
    static ModelImporter.Source readKeras(Path file, String name, Consumer<String> log) throws IOException {
        String sha256 = Digests.sha256(file);
        String config;
        String metadata;
        byte[] weightsFile;
        try (ZipFile zip = new ZipFile(file.toFile())) {
            config = entry(zip, CONFIG);
            if (config == null) {
                throw new InvalidInputException(file + " is a zip without " + CONFIG + "; it is cut short or not a Keras file");
            }
            metadata = entry(zip, METADATA);
            ZipEntry w = zip.getEntry(WEIGHTS);
            if (w == null) {
                if (zip.getEntry("model.weights.npz") != null) {
                    throw new ImportException(file.getFileName() + " holds its weights as model.weights.npz; Digits reads the"
                            + " default model.weights.h5: save it with model.save(\"model.keras\") and the default weights_format");
                }
                throw new InvalidInputException(file + " has no " + WEIGHTS + "; it is cut short or not a Keras file");
            }
            if (w.getSize() > MAX_WEIGHTS_BYTES) {
                throw new ImportException(file.getFileName() + " holds " + w.getSize() + " bytes of weights; too large for a digit model");
            }
            try (InputStream in = zip.getInputStream(w)) {
                weightsFile = in.readAllBytes();
            }
        } catch (ZipException e) {
            throw unreadable(file, e);
        }
        Map<String, Object> model = config(config, file, CONFIG);
        String version = null;
        if (metadata != null) {
            try {
                version = KerasConfigReader.string(Json.parseObject(metadata).get("keras_version"));
            } catch (JsonException e) {
                log.accept(METADATA + " in " + file.getFileName() + " is not readable JSON (" + e.getMessage() + "); the Keras version"
                        + " is not recorded.");
            }
        }
        List<KerasConfigReader.Weight> weights;
        try (HdfFile h5 = HdfFile.fromBytes(weightsFile)) {
            checkComplete(h5, file, WEIGHTS + " in " + file.getFileName());
            weights = kerasWeights(h5, model, file, log);
        } catch (ImportException | InvalidInputException e) {
            throw e;
        } catch (RuntimeException e) {
            throw unreadable(file, e);
        }
        ImportedNetwork net = KerasConfigReader.read(model, weights, name, "imported from " + file.getFileName());
        return new ModelImporter.Source(net, producer(version, null), sha256, null);
    }

    /**
     * Refuses an HDF5 file shorter than its superblock says it is: jhdf reads what is there, and a file that lost only
     * its last bytes (a copy cut short) may still parse, with weights read from beyond its end.
     */
    private static void checkComplete(HdfFile h5, Path file, String what) {
        var storage = h5.getHdfBackingStorage();
        long expected = storage.getSuperblock().getEndOfFileAddress() + storage.getUserBlockSize();
        if (storage.size() < expected) {
            throw new InvalidInputException(file + " is cut short or not a Keras file (" + what + " has " + storage.size() + " of the "
                    + expected + " bytes its HDF5 superblock records)");
        }
    }

    private static InvalidInputException unreadable(Path file, Exception e) {
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
        return new InvalidInputException(file + " is cut short or not a Keras file (" + why + ")", e);
    }

    private static String producer(String version, String backend) {
        return "Keras " + (version == null ? "(version not recorded)" : version) + (backend == null ? "" : " (" + backend + ")");
    }

    private static Map<String, Object> config(String json, Path file, String what) {
        try {
            return Json.parseObject(json);
        } catch (JsonException e) {
            throw new InvalidInputException(file + ": its " + what + " is not readable JSON (" + e.getMessage() + "); it is cut short or"
                    + " not a Keras file");
        }
    }

    private static String entry(ZipFile zip, String name) throws IOException {
        ZipEntry e = zip.getEntry(name);
        if (e == null) return null;
        try (InputStream in = zip.getInputStream(e)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    // ---- .h5 -------------------------------------------------------------------------------------------------------

    /**
     * Every weight {@code weight_names} lists for every layer {@code layer_names} lists, named {@code <layer>/<last
     * part of its name>}: the layer's group says which layer a weight belongs to (Keras loads by the group, never by
     * the variable's path, which differs between Keras 2 and 3 and between Sequential and Functional models).
     */
    private static List<KerasConfigReader.Weight> h5Weights(Group modelWeights, Path file) {
        List<KerasConfigReader.Weight> out = new ArrayList<>();
        for (String layer : strings(modelWeights, "layer_names")) {
            if (!(modelWeights.getChild(layer) instanceof Group g)) {
                throw new InvalidInputException(file + ": model_weights lists the layer '" + layer + "' but has no group for it; it is"
                        + " cut short or not a Keras file");
            }
            for (String weight : strings(g, "weight_names")) {
                Node n = g.getByPath(weight);
                if (!(n instanceof Dataset d)) {
                    throw new InvalidInputException(file + ": the weight '" + weight + "' of layer '" + layer + "' is not in the file");
                }
                int slash = weight.lastIndexOf('/');
                out.add(weight(layer + "/" + weight.substring(slash + 1), d));
            }
        }
        return out;
    }

    /** The string attribute {@code name} of {@code node}, or null. */
    private static String string(Node node, String name) {
        Attribute a = node.getAttributes().get(name);
        if (a == null) return null;
        List<String> s = texts(a.getData());
        return s.size() == 1 ? s.get(0) : null;
    }

    /** A list attribute as {@code load_attributes_from_hdf5_group} reads it: whole, or in numbered chunks. */
    private static List<String> strings(Node node, String name) {
        Map<String, Attribute> attrs = node.getAttributes();
        if (attrs.containsKey(name)) return texts(attrs.get(name).getData());
        List<String> out = new ArrayList<>();
        for (int chunk = 0; attrs.containsKey(name + chunk); chunk++) out.addAll(texts(attrs.get(name + chunk).getData()));
        return out;
    }

    /**
     * The strings of an attribute's value: a string, or an array of them. Keras stores an empty list as an empty
     * float64 array (numpy's type for {@code []}), which is no strings.
     */
    private static List<String> texts(Object data) {
        List<String> out = new ArrayList<>();
        if (data instanceof String s) {
            out.add(s);
        } else if (data instanceof byte[] b) {
            out.add(new String(b, StandardCharsets.UTF_8));
        } else if (data != null && data.getClass().isArray() && !data.getClass().getComponentType().isPrimitive()) {
            for (int i = 0; i < Array.getLength(data); i++) out.addAll(texts(Array.get(data, i)));
        }
        return out;
    }

    private static KerasConfigReader.Weight weight(String name, Dataset d) {
        int[] dims = d.getDimensions();
        long[] shape = new long[dims.length];
        long count = 1;
        for (int i = 0; i < dims.length; i++) {
            shape[i] = dims[i];
            count *= dims[i];
        }
        if (count > 64L << 20) throw new ImportException("weight '" + name + "' holds " + count + " values; too large for a digit model");
        Object data = d.isScalar() ? d.getData() : d.getDataFlat();
        return new KerasConfigReader.Weight(name, shape, floats(data, name));
    }

    /** Stored values as float32, as the layers compute in float32 (Normalization's int64 {@code count} included). */
    private static float[] floats(Object data, String name) {
        if (data instanceof float[] f) return f;
        if (data instanceof Number n) return new float[] {n.floatValue()};
        if (data != null && data.getClass().isArray() && data.getClass().getComponentType().isPrimitive()
                && !(data instanceof boolean[]) && !(data instanceof char[])) {
            float[] out = new float[Array.getLength(data)];
            for (int i = 0; i < out.length; i++) out[i] = ((Number) Array.get(data, i)).floatValue();
            return out;
        }
        throw new ImportException("weight '" + name + "' holds " + (data == null ? "nothing" : data.getClass().getSimpleName())
                + "; Digits reads numeric weights");
    }

    // ---- .keras ----------------------------------------------------------------------------------------------------

    /** One layer of the config: its class and name, in the order of {@code model.layers}. */
    private record Layer(String className, String name) {
    }

    /** The layers of a Sequential or Functional config, in order (the InputLayer too where the config lists it). */
    private static List<Layer> layers(Map<String, Object> model) {
        Object config = model.get("config");
        List<?> list = config instanceof List<?> l ? l : KerasConfigReader.list(KerasConfigReader.map(config, "config").get("layers"),
                "config.layers");
        List<Layer> out = new ArrayList<>();
        for (Object o : list) {
            Map<String, Object> l = KerasConfigReader.map(o, "a layer");
            String n = KerasConfigReader.string(l.get("name"));
            if (n == null && l.get("config") instanceof Map<?, ?> c) n = KerasConfigReader.string(c.get("name"));
            out.add(new Layer(KerasConfigReader.string(l.get("class_name")), n));
        }
        return out;
    }

    private static List<KerasConfigReader.Weight> kerasWeights(HdfFile h5, Map<String, Object> model, Path file, Consumer<String> log) {
        List<Layer> layers = layers(model);
        List<KerasConfigReader.Weight> out = new ArrayList<>();
        if (h5.getChild("layers") instanceof Group keras3) {
            // Keras 3: the name _save_container_state gives the k-th layer of a class.
            Map<String, Integer> used = new HashMap<>();
            for (Layer l : layers) {
                if (l.className() == null || l.name() == null) continue;
                String snake = snakeCase(l.className());
                int k = used.merge(snake, 1, Integer::sum) - 1;
                String container = k == 0 ? snake : snake + "_" + k;
                if (keras3.getChild(container) instanceof Group g) addVars(out, l.name(), g);
            }
            return out;
        }
        if (h5.getChild("_layer_checkpoint_dependencies") instanceof Group keras2) {
            log.accept("Weights in the Keras 2.13–2.15 layout of " + file.getFileName() + " (_layer_checkpoint_dependencies/<class>/vars).");
            // The groups that hold variables, per class, in Keras' numbering order.
            Map<String, TreeMap<Integer, Group>> byClass = new HashMap<>();
            Pattern p = Pattern.compile("(.+?)(?:_(\\d+))?");
            for (Node n : keras2.getChildren().values()) {
                if (!(n instanceof Group g) || vars(g).isEmpty()) continue;
                Matcher m = p.matcher(g.getName());
                if (!m.matches()) continue;
                int number = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
                byClass.computeIfAbsent(m.group(1), c -> new TreeMap<>()).put(number, g);
            }
            Map<String, List<Layer>> layersByClass = new HashMap<>();
            for (Layer l : layers) {
                if (l.className() != null && l.name() != null) {
                    layersByClass.computeIfAbsent(snakeCase(l.className()), c -> new ArrayList<>()).add(l);
                }
            }
            for (Map.Entry<String, TreeMap<Integer, Group>> e : byClass.entrySet()) {
                List<Layer> of = layersByClass.getOrDefault(e.getKey(), List.of());
                List<Group> groups = new ArrayList<>(e.getValue().values());
                if (of.size() != groups.size()) {
                    throw new ImportException(file.getFileName() + " stores weights in the Keras 2.13–2.15 layout"
                            + " (_layer_checkpoint_dependencies) for " + groups.size() + " '" + e.getKey() + "' layers where its"
                            + " config has " + of.size() + "; Digits cannot tell which is which: save the model as .h5"
                            + " (model.save(\"model.h5\")) and import that");
                }
                for (int i = 0; i < groups.size(); i++) addVars(out, of.get(i).name(), groups.get(i));
            }
            return out;
        }
        throw new ImportException(file.getFileName() + ": its " + WEIGHTS + " has neither a layers nor a _layer_checkpoint_dependencies"
                + " group (groups: " + h5.getChildren().keySet() + "); Digits reads the layouts Keras 2.13 and later write");
    }

    /** {@code group/vars/0}, {@code vars/1}, … as {@code <layer>/vars/<i>}, which the config reader takes by position. */
    private static void addVars(List<KerasConfigReader.Weight> out, String layer, Group container) {
        for (Dataset d : vars(container)) out.add(weight(layer + "/vars/" + d.getName(), d));
    }

    private static List<Dataset> vars(Group container) {
        if (!(container.getChild("vars") instanceof Group vars)) return List.of();
        List<Dataset> out = new ArrayList<>();
        for (Node n : vars.getChildren().values()) {
            if (n instanceof Dataset d && d.getName().matches("\\d+")) out.add(d);
        }
        // Numbered 0, 1, …, 10: in number order, not the file's (alphabetical) order.
        out.sort(Comparator.comparingInt(d -> Integer.parseInt(d.getName())));
        return out;
    }

    /** Keras' {@code naming.to_snake_case}: {@code Conv2D} → {@code conv2d}, {@code BatchNormalization} → {@code batch_normalization}. */
    static String snakeCase(String className) {
        String s = className.replaceAll("\\W+", "");
        s = s.replaceAll("(.)([A-Z][a-z]+)", "$1_$2");
        return s.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase(Locale.ROOT);
    }
}
