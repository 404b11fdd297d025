package dev.digits.train.nn;

import dev.digits.core.error.InvalidInputException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.norm.Dropout;
import ai.djl.nn.pooling.Pool;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import dev.digits.core.model.LayerSpec;
import dev.digits.core.model.ModelSpec;
import dev.digits.core.model.Shape;
import dev.digits.core.model.Tensor;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A DJL network built from a {@link ModelSpec}. The block outputs <em>logits</em>: the spec's final softmax is left
 * to the loss during training and applied by {@code TrainedModel} at inference, which is numerically safer and
 * matches what the exporters write (they put the softmax back as an operator).
 *
 * <p>Keeps the map from the spec's parameter names ({@code conv2d_1.weight}, …) to DJL parameters, so weights move
 * in and out by the names every exporter uses.
 */
public final class Network {
    private final ModelSpec spec;
    private final SequentialBlock block;
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Block> owners = new LinkedHashMap<>();

    private Network(ModelSpec spec) {
        this.spec = spec;
        this.block = new SequentialBlock();
        List<LayerSpec> layers = spec.layers();
        for (int i = 0; i < layers.size(); i++) {
            boolean last = i == layers.size() - 1;
            add(block, layers.get(i), last);
        }
        // Glorot-uniform weights, as Keras initialises Dense and Conv2D: DJL's default Xavier uses magnitude 6,
        // which draws from a range √2 wider and costs the seed notes' CNN a few tenths of a point after 5 epochs.
        block.setInitializer(new XavierInitializer(XavierInitializer.RandomType.UNIFORM, XavierInitializer.FactorType.AVG, 3f),
                Parameter.Type.WEIGHT);
    }

    /** Builds the (uninitialised) network for {@code spec}. */
    public static Network build(ModelSpec spec) {
        return new Network(spec);
    }

    public ModelSpec spec() {
        return spec;
    }

    /** The DJL block, logits out; input {@code (batch, c, h, w)} or {@code (batch, features)}. */
    public Block block() {
        return block;
    }

    /** The input shape DJL needs with a batch dimension of {@code batch}. */
    public ai.djl.ndarray.types.Shape inputShape(int batch) {
        Shape in = spec.inputShape();
        long[] chw = in.chw();
        long[] dims = new long[chw.length + 1];
        dims[0] = batch;
        System.arraycopy(chw, 0, dims, 1, chw.length);
        return new ai.djl.ndarray.types.Shape(dims);
    }

    private void add(SequentialBlock seq, LayerSpec l, boolean last) {
        seq.add(blockFor(l, last));
    }

    private Block blockFor(LayerSpec l, boolean last) {
        switch (l.type()) {
            case DENSE: {
                Linear lin = Linear.builder().setUnits(l.units()).build();
                own(l.name(), lin, "weight", "weight", "bias", "bias");
                return withActivation(lin, l.activation(), last);
            }
            case CONV2D: {
                Conv2d conv = Conv2d.builder().setFilters(l.filters())
                        .setKernelShape(new ai.djl.ndarray.types.Shape(l.kernel(), l.kernel()))
                        .optStride(new ai.djl.ndarray.types.Shape(l.stride(), l.stride()))
                        .optPadding(new ai.djl.ndarray.types.Shape(l.pads(), l.pads())).build();
                own(l.name(), conv, "weight", "weight", "bias", "bias");
                return withActivation(conv, l.activation(), last);
            }
            case MAXPOOL2D:
                return Pool.maxPool2dBlock(new ai.djl.ndarray.types.Shape(l.pool(), l.pool()),
                        new ai.djl.ndarray.types.Shape(l.stride(), l.stride()));
            case AVGPOOL2D:
                return Pool.avgPool2dBlock(new ai.djl.ndarray.types.Shape(l.pool(), l.pool()),
                        new ai.djl.ndarray.types.Shape(l.stride(), l.stride()));
            case GLOBAL_AVGPOOL:
                return Pool.globalAvgPool2dBlock();
            case FLATTEN:
                return Blocks.batchFlattenBlock();
            case DROPOUT:
                return Dropout.builder().optRate((float) l.rate()).build();
            case BATCHNORM: {
                BatchNorm bn = BatchNorm.builder().optEpsilon(LayerSpec.BATCHNORM_EPSILON).build();
                own(l.name(), bn, "gamma", "gamma", "beta", "beta", "runningMean", "running_mean", "runningVar", "running_var");
                return new FreezableBatchNorm(bn);
            }
            case ACTIVATION:
                return activation(l.activation(), last);
            case ZEROPAD2D: {
                int p = l.padding();
                return new LambdaBlock(list -> new NDList(zeroPad(list.singletonOrThrow(), p)), l.name());
            }
            case RESCALE: {
                float scale = (float) l.scale();
                float offset = (float) l.offset();
                return new LambdaBlock(list -> new NDList(list.singletonOrThrow().mul(scale).add(offset)), l.name());
            }
            case RESIDUAL: {
                SequentialBlock body = new SequentialBlock();
                for (LayerSpec b : l.layers()) add(body, b, false);
                Block shortcut;
                ModelSpec.Node node = nodeOf(l);
                if (node.inputShape().equals(node.outputShape())) {
                    shortcut = Blocks.identityBlock();
                } else {
                    int stride = node.inputShape().height() / node.outputShape().height();
                    Conv2d proj = Conv2d.builder().setFilters(node.outputShape().channels())
                            .setKernelShape(new ai.djl.ndarray.types.Shape(1, 1))
                            .optStride(new ai.djl.ndarray.types.Shape(stride, stride)).build();
                    own(l.name() + ".shortcut", proj, "weight", "weight", "bias", "bias");
                    shortcut = proj;
                }
                dev.digits.core.model.Activation after = l.activation();
                return new ParallelBlock(outs -> {
                    NDArray sum = outs.get(0).singletonOrThrow().add(outs.get(1).singletonOrThrow());
                    return new NDList(apply(sum, after));
                }, Arrays.asList(body, shortcut));
            }
            default:
                throw new IllegalArgumentException("no DJL mapping for layer type " + l.type());
        }
    }

    private ModelSpec.Node nodeOf(LayerSpec l) {
        for (ModelSpec.Node n : spec.nodes()) if (n.layer().name().equals(l.name())) return n;
        throw new IllegalStateException("layer " + l.name() + " is not in the spec");
    }

    /** Records which DJL parameter holds which spec parameter: pairs of (DJL name, spec suffix). */
    private void own(String layerName, Block b, String... pairs) {
        owners.put(layerName, b);
        for (int i = 0; i < pairs.length; i += 2) {
            parameters.put(layerName + "." + pairs[i + 1], null);
        }
    }

    private Block withActivation(Block b, dev.digits.core.model.Activation a, boolean last) {
        if (a == dev.digits.core.model.Activation.LINEAR || (last && a == dev.digits.core.model.Activation.SOFTMAX)) return b;
        return new SequentialBlock().add(b).add(activation(a, last));
    }

    private static Block activation(dev.digits.core.model.Activation a, boolean last) {
        switch (a) {
            case RELU: return Activation.reluBlock();
            case SIGMOID: return Activation.sigmoidBlock();
            case TANH: return Activation.tanhBlock();
            case SOFTMAX:
                if (last) return Blocks.identityBlock();
                throw new IllegalArgumentException("softmax only on the last layer");
            default: return Blocks.identityBlock();
        }
    }

    private static NDArray apply(NDArray x, dev.digits.core.model.Activation a) {
        switch (a) {
            case RELU: return Activation.relu(x);
            case SIGMOID: return Activation.sigmoid(x);
            case TANH: return Activation.tanh(x);
            default: return x;
        }
    }

    private static NDArray zeroPad(NDArray x, int p) {
        long[] s = x.getShape().getShape();
        NDManager m = x.getManager();
        NDArray side = m.zeros(new ai.djl.ndarray.types.Shape(s[0], s[1], s[2], p), x.getDataType());
        NDArray wide = NDArrays.concat(new NDList(side, x, side), 3);
        NDArray top = m.zeros(new ai.djl.ndarray.types.Shape(s[0], s[1], p, s[3] + 2L * p), x.getDataType());
        return NDArrays.concat(new NDList(top, wide, top), 2);
    }

    /** Initialises the parameters (random, from the engine's seeded generator). */
    public void initialize(NDManager manager) {
        block.initialize(manager, DataType.FLOAT32, inputShape(1));
        bind();
    }

    /** Binds the spec names to the DJL parameters once the block has been initialised (by a Trainer, say). */
    public void bind() {
        for (Map.Entry<String, Block> e : owners.entrySet()) {
            Block b = e.getValue();
            Map<String, String> names = b instanceof BatchNorm
                    ? Map.of("gamma", "gamma", "beta", "beta", "runningMean", "running_mean", "runningVar", "running_var")
                    : Map.of("weight", "weight", "bias", "bias");
            for (Map.Entry<String, String> n : names.entrySet()) {
                Parameter p = b.getParameters().get(n.getKey());
                parameters.put(e.getKey() + "." + n.getValue(), p);
            }
        }
        for (Map.Entry<String, long[]> e : spec.parameters().entrySet()) {
            Parameter p = parameters.get(e.getKey());
            if (p == null || p.getArray() == null) throw new IllegalStateException("parameter " + e.getKey() + " is not initialised");
            if (!Arrays.equals(p.getArray().getShape().getShape(), e.getValue())) {
                throw new IllegalStateException("parameter " + e.getKey() + " has shape " + p.getArray().getShape()
                        + ", the spec says " + Arrays.toString(e.getValue()));
            }
        }
    }

    /** Copies every parameter out, in spec order, by spec name. */
    public Map<String, Tensor> weights() {
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (String name : spec.parameters().keySet()) {
            NDArray a = parameters.get(name).getArray();
            out.put(name, new Tensor(a.getShape().getShape(), a.toFloatArray()));
        }
        return out;
    }

    /** Overwrites every parameter with {@code weights} (all must be present, shapes must match). */
    public void load(Map<String, Tensor> weights) {
        for (Map.Entry<String, long[]> e : spec.parameters().entrySet()) {
            Tensor t = weights.get(e.getKey());
            if (t == null) throw new InvalidInputException("the weights have no " + e.getKey() + ": they belong to another architecture");
            if (!Arrays.equals(t.shape(), e.getValue())) {
                throw new InvalidInputException("weights " + e.getKey() + " have shape " + Arrays.toString(t.shape())
                        + " but the architecture needs " + Arrays.toString(e.getValue()));
            }
            parameters.get(e.getKey()).getArray().set(t.data());
        }
    }

    /**
     * Overwrites the parameters {@code weights} has with the same name and shape, leaving the rest as they are (a
     * new classification head stays random when starting from another model's weights).
     */
    public void loadMatching(Map<String, Tensor> weights) {
        for (Map.Entry<String, long[]> e : spec.parameters().entrySet()) {
            Tensor t = weights.get(e.getKey());
            if (t != null && Arrays.equals(t.shape(), e.getValue())) {
                parameters.get(e.getKey()).getArray().set(t.data());
            }
        }
    }

    /**
     * A batchnorm that runs in inference mode while its scale is frozen: a frozen layer then normalises with its
     * stored running statistics and leaves them unchanged (Keras' convention for transfer learning) instead of
     * normalising each batch by the batch's own statistics and overwriting the stored ones. Unfrozen, it is a plain
     * batchnorm.
     */
    private static final class FreezableBatchNorm extends SequentialBlock {
        private final BatchNorm bn;

        FreezableBatchNorm(BatchNorm bn) {
            this.bn = bn;
            add(bn);
        }

        private boolean frozen() {
            return !bn.getParameters().get("gamma").requiresGradient();
        }

        @Override
        protected NDList forwardInternal(ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
            return super.forwardInternal(store, inputs, training && !frozen(), params);
        }

        @Override
        protected NDList forwardInternal(ParameterStore store, NDList data, NDList labels, PairList<String, Object> params) {
            return frozen() ? super.forwardInternal(store, data, false, params) : super.forwardInternal(store, data, labels, params);
        }
    }

    /** The DJL parameter holding spec parameter {@code name} (for freezing layers in transfer learning). */
    public Parameter parameter(String name) {
        return parameters.get(name);
    }
}
