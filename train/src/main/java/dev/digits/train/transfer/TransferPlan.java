package dev.digits.train.transfer;

import dev.digits.core.error.InvalidInputException;
import dev.digits.core.model.LayerSpec;
import dev.digits.core.model.LayerType;
import dev.digits.core.model.ModelSpec;
import dev.digits.core.model.Tensor;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What transfer learning does to a trained network: which layer is the classification head (the last layer with
 * weights, a dense layer), the new architecture with that head resized to the new class count, and which layers keep
 * their trained weights fixed.
 *
 * <p>Layers are counted as the top-level layers that have weights, from the input: for {@code cnn} these are
 * {@code conv2d_1, conv2d_2, conv2d_3, dense_1, dense_2}; a residual block counts as one layer (its body and
 * shortcut together). Freezing {@code n} layers fixes the first {@code n}; the head always trains, since its weights
 * are new.
 */
public final class TransferPlan {
    private final ModelSpec base;
    private final ModelSpec spec;
    private final String head;
    private final Map<String, List<String>> layerParameters;
    private final int frozen;

    private TransferPlan(ModelSpec base, ModelSpec spec, String head, Map<String, List<String>> layerParameters, int frozen) {
        this.base = base;
        this.spec = spec;
        this.head = head;
        this.layerParameters = layerParameters;
        this.frozen = frozen;
    }

    /**
     * Plans the transfer of {@code base} to {@code classes} classes.
     *
     * @param frozenLayers how many layers with weights to freeze, from the input; {@code null} for all but the head
     * @param name         the new architecture's name; {@code null} for {@code <base>-retrained}
     * @throws IllegalArgumentException when the network does not end in a dense head, or {@code frozenLayers} is out
     *                                  of range (the message lists the layers)
     */
    public static TransferPlan of(ModelSpec base, int classes, Integer frozenLayers, String name) {
        if (classes < 2) throw new InvalidInputException("a classifier needs at least two classes, got " + classes);
        Map<String, List<String>> params = parametricLayers(base);
        if (params.isEmpty()) throw new InvalidInputException(base.name() + " has no layers with weights to transfer");
        List<String> names = new ArrayList<>(params.keySet());
        String head = names.get(names.size() - 1);
        List<LayerSpec> layers = new ArrayList<>(base.layers());
        int at = -1;
        for (int i = 0; i < layers.size(); i++) if (layers.get(i).name().equals(head)) at = i;
        LayerSpec old = layers.get(at);
        if (old.type() != LayerType.DENSE) {
            throw new InvalidInputException(base.name() + " ends in " + old.name() + " (" + old.describe() + "), not a dense layer:"
                    + " transfer learning replaces the final dense (classification) layer");
        }
        int trainable = names.size() - 1;
        int n = frozenLayers == null ? trainable : frozenLayers;
        if (n < 0 || n > trainable) {
            throw new InvalidInputException("can freeze 0 to " + trainable + " layers of " + base.name() + ", not " + n
                    + "; its layers with weights, from the input, are " + String.join(", ", names) + " (the last, " + head
                    + ", is the new head and always trains)");
        }
        layers.set(at, LayerSpec.dense(classes, old.activation()).withName(head));
        String newName = name != null ? name : base.name() + "-retrained";
        String kept = names.size() > 1 ? "its layers up to " + names.get(names.size() - 2) : "its input layers";
        String description = "Transfer learning from " + base.name() + ": " + kept + " and a new " + classes + "-class head." + (base.description().isEmpty() ? "" : " Base: " + base.description());
        ModelSpec spec = ModelSpec.of(newName, description, base.inputShape(), layers);
        return new TransferPlan(base, spec, head, params, n);
    }

    /** Top-level layers with weights, in order, each with every parameter it (and its residual body) owns. */
    private static Map<String, List<String>> parametricLayers(ModelSpec spec) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        String top = null;
        for (ModelSpec.Node node : spec.nodes()) {
            if (node.depth() == 0) top = node.layer().name();
            if (!node.parameters().isEmpty()) out.computeIfAbsent(top, k -> new ArrayList<>()).addAll(node.parameters().keySet());
        }
        return out;
    }

    /** The trained network transferred from. */
    public ModelSpec base() {
        return base;
    }

    /** The new architecture: the base's layers with the head resized. */
    public ModelSpec spec() {
        return spec;
    }

    /** Name of the head layer, the same in both architectures. */
    public String head() {
        return head;
    }

    /** Top-level layers with weights, from the input; the last is the head. */
    public List<String> layersWithWeights() {
        return List.copyOf(layerParameters.keySet());
    }

    /** Layers whose weights stay fixed while the head trains. */
    public List<String> frozenLayers() {
        return layersWithWeights().subList(0, frozen);
    }

    /** Layers that train (at least the head). */
    public List<String> trainedLayers() {
        List<String> all = layersWithWeights();
        return all.subList(frozen, all.size());
    }

    /** Spec parameter names of the frozen layers (batchnorm running statistics included). */
    public List<String> frozenParameters() {
        List<String> out = new ArrayList<>();
        for (String layer : frozenLayers()) out.addAll(layerParameters.get(layer));
        return Collections.unmodifiableList(out);
    }

    /** Whether any frozen layer is (or holds) a batchnorm. */
    public boolean freezesBatchNorm() {
        for (String p : frozenParameters()) if (p.endsWith(".running_mean")) return true;
        return false;
    }

    /**
     * The base weights every layer but the head starts from; the head is left out so that it starts random even when
     * the class count is unchanged.
     *
     * @throws IllegalArgumentException when a weight is missing or has another shape (the weights are of another architecture)
     */
    public Map<String, Tensor> transferredWeights(Map<String, Tensor> baseWeights) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : base.parameters().entrySet()) {
            if (layerParameters.get(head).contains(e.getKey())) continue;
            Tensor t = baseWeights.get(e.getKey());
            if (t == null || !java.util.Arrays.equals(t.shape(), e.getValue())) {
                throw new InvalidInputException("the base weights " + (t == null ? "lack " + e.getKey() : "have " + e.getKey()
                        + " of shape " + java.util.Arrays.toString(t.shape()) + ", not " + java.util.Arrays.toString(e.getValue()))
                        + ": they do not belong to architecture " + base.name());
            }
            out.put(e.getKey(), t);
        }
        return out;
    }
}
