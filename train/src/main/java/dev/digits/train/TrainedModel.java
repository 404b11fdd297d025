package dev.digits.train;

import dev.digits.core.artifact.ModelArtifact;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.digits.core.model.ModelSpec;
import dev.digits.core.model.SafeTensors;
import dev.digits.core.model.Tensor;
import dev.digits.core.data.ImageSet;
import dev.digits.train.nn.Network;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A trained network: its architecture, its weights and its class names, read from (or written to) a model directory.
 * Immutable apart from the native memory it holds: close it when done.
 *
 * <pre>{@code
 * try (TrainedModel model = TrainedModel.load(Path.of("models/cnn"))) {
 *     float[] probabilities = model.predict(pixels);   // 784 values in [0,1], white digit on black
 * }
 * }</pre>
 */
public final class TrainedModel implements AutoCloseable {
    private final ModelSpec spec;
    private final Map<String, Tensor> weights;
    private final List<String> labels;
    private final NDManager manager;
    private final Network network;
    private final ParameterStore store;

    /** Wraps weights (in spec names and layouts) as a model ready for inference. */
    public TrainedModel(ModelSpec spec, Map<String, Tensor> weights, List<String> labels) {
        if (labels.size() != spec.classes()) {
            throw new IllegalArgumentException(labels.size() + " labels for a network with " + spec.classes() + " outputs");
        }
        this.spec = spec;
        this.weights = Collections.unmodifiableMap(weights);
        this.labels = List.copyOf(labels);
        Engines.pytorch();
        this.manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
        this.network = Network.build(spec);
        network.initialize(manager);
        network.load(weights);
        this.store = new ParameterStore(manager, false);
    }

    /** Reads the model in {@code dir} (written by the trainer). */
    public static TrainedModel load(Path dir) throws IOException {
        return load(ModelArtifact.open(dir));
    }

    /** The network of {@code artifact}, its weights checked against the card's digest. */
    public static TrainedModel load(ModelArtifact artifact) throws IOException {
        return new TrainedModel(artifact.spec(), artifact.tensors(), artifact.labels());
    }

    public ModelSpec spec() {
        return spec;
    }

    /** Weights by spec parameter name, PyTorch layouts. */
    public Map<String, Tensor> weights() {
        return weights;
    }

    /** Class names, index = output position. */
    public List<String> labels() {
        return labels;
    }

    /** Values in one input example (784 for MNIST). */
    public int inputSize() {
        return spec.inputShape().size();
    }

    /** Class probabilities for one image ({@link #inputSize()} values in [0,1], row-major). */
    public float[] predict(float[] pixels) {
        return predictBatch(pixels, 1)[0];
    }

    /**
     * Class probabilities for {@code n} images packed one after another.
     *
     * @return {@code n} arrays of {@code classes} probabilities
     */
    public float[][] predictBatch(float[] pixels, int n) {
        if (pixels.length != n * inputSize()) {
            throw new IllegalArgumentException("expected " + n + " × " + inputSize() + " values, got " + pixels.length);
        }
        float[] flat;
        synchronized (this) {
            try (NDManager sub = manager.newSubManager()) {
                NDArray x = sub.create(pixels, network.inputShape(n));
                NDArray logits = network.block().forward(store, new NDList(x), false).singletonOrThrow();
                flat = logits.softmax(1).toFloatArray();
            }
        }
        int k = spec.classes();
        float[][] out = new float[n][k];
        for (int i = 0; i < n; i++) System.arraycopy(flat, i * k, out[i], 0, k);
        return out;
    }

    /** Probabilities for every image of {@code set}, in batches of {@code batchSize}. */
    public float[][] predictAll(ImageSet set, int batchSize) {
        float[][] out = new float[set.size()][];
        int size = set.height() * set.width();
        for (int start = 0; start < set.size(); start += batchSize) {
            int n = Math.min(batchSize, set.size() - start);
            float[] batch = new float[n * size];
            for (int i = 0; i < n; i++) set.copyScaled(start + i, batch, i * size);
            float[][] p = predictBatch(batch, n);
            System.arraycopy(p, 0, out, start, n);
        }
        return out;
    }

    /** Evaluates on {@code set}: accuracy, per-class precision and recall, confusion matrix. */
    public Evaluation evaluate(ImageSet set) {
        return Evaluation.of(set, predictAll(set, 500));
    }

    /** Writes weights atomically into {@code dir}. */
    void saveWeights(Path dir) throws IOException {
        Files.createDirectories(dir);
        SafeTensors.write(dir.resolve(ModelArtifact.WEIGHTS_FILE), weights, Map.of("format", "digits", "architecture", spec.name()));
    }

    @Override
    public void close() {
        manager.close();
    }
}
