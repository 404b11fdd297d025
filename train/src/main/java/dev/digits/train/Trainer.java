package dev.digits.train;

import dev.digits.core.error.InvalidInputException;
import dev.digits.core.artifact.Digests;
import dev.digits.core.artifact.InputContract;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.artifact.ModelCard;
import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.digits.core.io.AtomicFiles;
import dev.digits.core.json.Json;
import dev.digits.core.model.ModelSpec;
import dev.digits.core.model.SafeTensors;
import dev.digits.core.model.Shape;
import dev.digits.core.model.Tensor;
import dev.digits.train.data.Dataset;
import dev.digits.train.data.DatasetException;
import dev.digits.core.data.ImageSet;
import dev.digits.train.nn.Network;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Trains a network described by a {@link ModelSpec} with DJL's PyTorch engine on the CPU, and writes a complete model
 * directory (see {@link ModelArtifact}). The trainer holds the settings; what it returns is an immutable
 * {@link TrainedModel}.
 *
 * <pre>{@code
 * Trainer trainer = Trainer.builder().architecture(Architectures.get("cnn")).epochs(5).seed(1).build();
 * try (TrainedModel model = trainer.train(Mnist.load(null), Path.of("models/cnn"))) {
 *     System.out.println(model.evaluate(data.test()).accuracy());
 * }
 * }</pre>
 */
public final class Trainer {
    /** Optimizers accepted by {@link Builder#optimizer(String)}. */
    public static final List<String> OPTIMIZERS = List.of("adam", "sgd", "rmsprop", "adagrad");
    /** Losses accepted by {@link Builder#loss(String)}. */
    public static final List<String> LOSSES = List.of("softmax-cross-entropy");

    private final ModelSpec spec;
    private final int epochs;
    private final int batchSize;
    private final double learningRate;
    private final String schedule;
    private final String optimizer;
    private final String loss;
    private final long seed;
    private final Augmentation augmentation;
    private final boolean progress;
    private final PrintStream out;
    private final Map<String, Tensor> initialWeights;
    private final List<String> frozen;
    private final Map<String, Object> extraCard;
    private final NotDigits notDigits;

    /**
     * Images that are not digits, trained toward the same probability for every class (outlier exposure, Hendrycks
     * et al. 2019): each batch of {@code b} digits gets {@code round(fraction * b)} of them, and the loss adds
     * {@code weight} times their cross-entropy to the uniform distribution. A model trained so gives something that
     * is not a digit a low largest probability, which a {@link dev.digits.core.recognition.DigitCheck} then rejects.
     */
    public record NotDigits(ImageSet images, double fraction, double weight, String description) {
        public NotDigits {
            if (images.size() == 0) throw new IllegalArgumentException("no images that are not digits");
            if (!(fraction > 0 && fraction <= 1)) throw new IllegalArgumentException("fraction must be in (0, 1], got " + fraction);
            if (!(weight > 0)) throw new IllegalArgumentException("weight must be positive, got " + weight);
        }
    }

    private Trainer(Builder b) {
        this.spec = b.spec;
        this.epochs = b.epochs;
        this.batchSize = b.batchSize;
        this.learningRate = b.learningRate;
        this.schedule = b.schedule;
        this.optimizer = b.optimizer;
        this.loss = b.loss;
        this.seed = b.seed;
        this.augmentation = b.augmentation;
        this.progress = b.progress;
        this.out = b.out;
        this.initialWeights = b.initialWeights;
        this.frozen = List.copyOf(b.frozen);
        this.extraCard = new LinkedHashMap<>(b.extraCard);
        this.notDigits = b.notDigits;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Settings; {@link #architecture} is required, the rest default to Keras' usual choices. */
    public static final class Builder {
        private ModelSpec spec;
        private int epochs = 5;
        private int batchSize = 32;
        private double learningRate = 1e-3;
        private String schedule = "cosine";
        private String optimizer = "adam";
        private String loss = "softmax-cross-entropy";
        private long seed = 42;
        private Augmentation augmentation;
        private boolean progress = true;
        private PrintStream out = System.out;
        private Map<String, Tensor> initialWeights;
        private List<String> frozen = List.of();
        private Map<String, Object> extraCard = Map.of();
        private NotDigits notDigits;

        /** Trains with images that are not digits as well; see {@link NotDigits}. Null: digits only. */
        public Builder notDigits(NotDigits n) {
            this.notDigits = n;
            return this;
        }

        public Builder architecture(ModelSpec s) {
            this.spec = s;
            return this;
        }

        public Builder epochs(int n) {
            this.epochs = n;
            return this;
        }

        public Builder batchSize(int n) {
            this.batchSize = n;
            return this;
        }

        public Builder learningRate(double lr) {
            this.learningRate = lr;
            return this;
        }

        /** One of {@link LearningRateSchedule#NAMES}: "cosine" (default) or "constant". */
        public Builder schedule(String name) {
            this.schedule = name;
            return this;
        }

        /** One of {@link #OPTIMIZERS}. */
        public Builder optimizer(String name) {
            this.optimizer = name;
            return this;
        }

        /** One of {@link #LOSSES}. */
        public Builder loss(String name) {
            this.loss = name;
            return this;
        }

        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        /** Random distortions of training images; {@code null} for none (the default). */
        public Builder augmentation(Augmentation a) {
            this.augmentation = a;
            return this;
        }

        /** Show a progress bar per epoch and a line per epoch on {@code out} (default: on, System.out). */
        public Builder progress(boolean show, PrintStream to) {
            this.progress = show;
            this.out = to;
            return this;
        }

        /** Start from these weights (spec names) instead of random ones; parameters not in the map stay random. */
        public Builder initialWeights(Map<String, Tensor> w) {
            this.initialWeights = w;
            return this;
        }

        /** Parameter names (spec names) that stay fixed during training. */
        public Builder frozen(List<String> names) {
            this.frozen = names;
            return this;
        }

        /** Extra entries for the model card's "training" section (e.g. the base model of a retrain). */
        public Builder cardEntries(Map<String, Object> entries) {
            this.extraCard = entries;
            return this;
        }

        /** Checks every setting; the error names the setting and what it accepts. */
        public Trainer build() {
            if (spec == null) throw new InvalidInputException("architecture is required: e.g. Architectures.get(\"cnn\")");
            if (epochs < 1) throw new InvalidInputException("epochs must be at least 1, got " + epochs);
            if (batchSize < 1 || batchSize > 65536) throw new InvalidInputException("batch size must be 1..65536, got " + batchSize);
            if (!(learningRate > 0 && learningRate < 10)) throw new InvalidInputException("learning rate must be in (0, 10), got " + learningRate);
            LearningRateSchedule.parse(schedule);
            if (!OPTIMIZERS.contains(optimizer)) throw new InvalidInputException("unknown optimizer '" + optimizer + "'; choose one of " + OPTIMIZERS);
            if (!LOSSES.contains(loss)) throw new InvalidInputException("unknown loss '" + loss + "'; choose one of " + LOSSES);
            return new Trainer(this);
        }
    }

    /** Trains from scratch (or from the initial weights) and writes the model directory {@code output}. */
    public TrainedModel train(Dataset data, Path output) throws IOException {
        return train(data, output, false);
    }

    /**
     * Trains and writes the model directory {@code output}. Each epoch is measured on {@link Dataset#validation()}
     * (its own split when it has one, else the test split); the finished model once on the test split, for the card
     * and the pictures.
     *
     * @param resume continue from the last complete checkpoint in {@code output}
     */
    public TrainedModel train(Dataset data, Path output, boolean resume) throws IOException {
        ImageSet train = data.train();
        ImageSet validation = data.validation();
        checkInput(train);
        if (train.classNames().size() != spec.classes()) {
            throw new DatasetException("the data has " + train.classNames().size() + " classes but " + spec.name() + " ends in "
                    + spec.classes() + " outputs; set the last dense layer's \"units\" to " + train.classNames().size());
        }
        Files.createDirectories(output);
        Path checkpoints = output.resolve("checkpoints");
        TrainingHistory history = new TrainingHistory();
        int startEpoch = 1;
        Map<String, Tensor> startWeights = initialWeights;
        if (resume) {
            Path state = checkpoints.resolve("state.json");
            if (!Files.isRegularFile(state)) {
                throw new InvalidInputException("nothing to resume in " + output + ": no complete checkpoint (checkpoints/state.json)");
            }
            Map<String, Object> st = Json.parseObject(Files.readString(state));
            int done = ((Number) st.get("epoch")).intValue();
            ModelSpec saved = ModelSpec.read(output.resolve(ModelArtifact.SPEC_FILE));
            if (!saved.equals(spec)) {
                throw new InvalidInputException("the checkpoint in " + output + " is of architecture " + saved.name()
                        + ", not " + spec.name() + "; resume with the same --model");
            }
            startWeights = SafeTensors.read(checkpoints.resolve(String.format("epoch-%03d.safetensors", done)));
            history = TrainingHistory.read(checkpoints.resolve("history.csv"));
            startEpoch = done + 1;
            if (progress) out.printf("Resuming %s from epoch %d of %d%n", output, done, epochs);
        }
        AtomicFiles.writeString(output.resolve(ModelArtifact.SPEC_FILE), spec.toJson());

        Engines.seed(seed);
        Instant started = Instant.now();
        Network network = Network.build(spec);
        Map<String, Tensor> finalWeights;
        try (Model model = Model.newInstance(spec.name(), Device.cpu(), "PyTorch")) {
            model.setBlock(network.block());
            DefaultTrainingConfig config = new DefaultTrainingConfig(Loss.softmaxCrossEntropyLoss())
                    .optOptimizer(optimizer(train.size(), startEpoch))
                    .optDevices(new Device[] {Device.cpu()});
            try (ai.djl.training.Trainer trainer = model.newTrainer(config)) {
                trainer.initialize(network.inputShape(batchSize));
                network.bind();
                if (startWeights != null) network.loadMatching(startWeights);
                for (String name : frozen) network.parameter(name).freeze(true);
                for (int epoch = startEpoch; epoch <= epochs; epoch++) {
                    TrainingHistory.Epoch e = runEpoch(trainer, network, train, validation, epoch);
                    history.add(e);
                    writeCheckpoint(checkpoints, network, history, epoch);
                    if (progress) {
                        out.printf(Locale.ROOT, "Epoch %d/%d: loss %.4f, accuracy %.2f%%, val_loss %.4f, val_accuracy %.2f%%, %.1f s, %,.0f images/s%n",
                                epoch, epochs, e.loss, 100 * e.accuracy, e.validationLoss, 100 * e.validationAccuracy, e.seconds, e.imagesPerSecond);
                    }
                }
                finalWeights = network.weights();
            }
        }
        TrainedModel trained = new TrainedModel(spec, finalWeights, train.classNames());
        trained.saveWeights(output);
        history.write(output.resolve("history.csv"));
        Evaluation test = trained.evaluate(data.test());
        card(data, history, test, started, output).write(output.resolve(ModelArtifact.CARD_FILE));
        Plots.trainingCurves(history, output.resolve("training-curves.png"), spec.name());
        Plots.confusionMatrix(test, output.resolve("confusion-matrix.png"), spec.name());
        Plots.misclassified(data.test(), test, output.resolve("misclassified.png"), 64);
        return trained;
    }

    private void checkInput(ImageSet train) {
        Shape in = spec.inputShape();
        int pixels = train.height() * train.width();
        boolean fits = in.isFlat() ? in.size() == pixels : in.channels() == 1 && in.height() == train.height() && in.width() == train.width();
        if (!fits) {
            throw new DatasetException(spec.name() + " expects input " + in + " but the images are " + train.height() + "×" + train.width()
                    + " grayscale; set the architecture's \"input\" to [" + train.height() + ", " + train.width() + ", 1] (or ["
                    + pixels + "]) and pad inside the network with zeropad2d if it needs a larger size");
        }
    }

    private Optimizer optimizer(int trainImages, int startEpoch) {
        long stepsPerEpoch = (trainImages + batchSize - 1) / batchSize;
        Tracker lr = LearningRateSchedule.tracker(schedule, learningRate, stepsPerEpoch * epochs, stepsPerEpoch * (startEpoch - 1));
        switch (optimizer) {
            case "sgd": return Optimizer.sgd().setLearningRateTracker(lr).optMomentum(0.9f).build();
            case "rmsprop": return Optimizer.rmsprop().optLearningRateTracker(lr).build();
            case "adagrad": return Optimizer.adagrad().optLearningRateTracker(lr).build();
            // Keras' epsilon (1e-7) rather than DJL's 1e-8, so "Adam, lr 1e-3" means what the tutorials mean.
            default: return Optimizer.adam().optLearningRateTracker(lr).optEpsilon(1e-7f).build();
        }
    }

    private TrainingHistory.Epoch runEpoch(ai.djl.training.Trainer trainer, Network network, ImageSet train,
                                           ImageSet validation, int epoch) {
        int n = train.size();
        int size = train.height() * train.width();
        // One generator per epoch, derived from the seed, so a resumed run shuffles exactly as an uninterrupted one.
        Random rng = new Random(seed * 1_000_003L + epoch);
        int[] order = shuffled(n, rng);
        int extra = notDigits == null ? 0 : (int) Math.round(notDigits.fraction() * batchSize);
        float[] batch = new float[(batchSize + extra) * size];
        float[] labels = new float[batchSize];
        float[] scratch = new float[size];
        double lossSum = 0;
        long correct = 0;
        long seen = 0;
        long t0 = System.nanoTime();
        ProgressBar bar = progress ? new ProgressBarBuilder().setTaskName(String.format("Epoch %d/%d", epoch, epochs))
                .setInitialMax(n).setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).setConsumer(
                        new me.tongfei.progressbar.ConsoleProgressBarConsumer(out)).showSpeed().setUnit(" img", 1).build() : null;
        try {
            for (int start = 0; start < n; start += batchSize) {
                int b = Math.min(batchSize, n - start);
                for (int i = 0; i < b; i++) {
                    int idx = order[start + i];
                    if (augmentation != null) {
                        train.copyScaled(idx, scratch, 0);
                        augmentation.apply(scratch, train.height(), train.width(), batch, i * size, rng);
                    } else {
                        train.copyScaled(idx, batch, i * size);
                    }
                    labels[i] = train.label(idx);
                }
                int nb = notDigits == null ? 0 : (int) Math.round(notDigits.fraction() * b);
                for (int j = 0; j < nb; j++) {
                    int idx = rng.nextInt(notDigits.images().size());
                    int at = (b + j) * size;
                    if (augmentation != null) {
                        notDigits.images().copyScaled(idx, scratch, 0);
                        augmentation.apply(scratch, train.height(), train.width(), batch, at, rng);
                    } else {
                        notDigits.images().copyScaled(idx, batch, at);
                    }
                }
                int rows = b + nb;
                // Each batch's arrays live in a sub-manager closed right after: DJL leaks native memory otherwise.
                try (NDManager sub = trainer.getManager().newSubManager()) {
                    NDArray x = sub.create(rows * size == batch.length ? batch : java.util.Arrays.copyOf(batch, rows * size),
                            network.inputShape(rows));
                    NDArray y = sub.create(b == batchSize ? labels : java.util.Arrays.copyOf(labels, b), new ai.djl.ndarray.types.Shape(b));
                    try (GradientCollector gc = trainer.newGradientCollector()) {
                        NDArray all = trainer.forward(new NDList(x)).singletonOrThrow();
                        NDArray logits = nb == 0 ? all : all.get("0:" + b);
                        NDArray l = trainer.getLoss().evaluate(new NDList(y), new NDList(logits));
                        if (nb > 0) {
                            // Cross-entropy to the uniform distribution: minus the mean log-probability of each class.
                            NDArray outliers = all.get(b + ":").logSoftmax(1).mean(new int[] {1}).neg().mean();
                            l = l.add(outliers.mul((float) notDigits.weight()));
                        }
                        gc.backward(l);
                        lossSum += l.getFloat() * b;
                        correct += logits.argMax(1).toType(ai.djl.ndarray.types.DataType.FLOAT32, false).eq(y).sum().getLong();
                    }
                    trainer.step();
                }
                seen += b;
                if (bar != null) {
                    bar.stepTo(seen);
                    bar.setExtraMessage(String.format(Locale.ROOT, " loss %.4f acc %.2f%%", lossSum / seen, 100.0 * correct / seen));
                }
            }
        } finally {
            if (bar != null) bar.close();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double[] val = validate(network, trainer.getManager(), validation);
        return new TrainingHistory.Epoch(epoch, lossSum / n, (double) correct / n, val[0], val[1], seconds, n / seconds);
    }

    /** Loss and accuracy on {@code set}, inference mode (dropout off, batchnorm running statistics). */
    private static double[] validate(Network network, NDManager manager, ImageSet set) {
        ParameterStore store = new ParameterStore(manager, false);
        int size = set.height() * set.width();
        int chunk = 500;
        double loss = 0;
        long correct = 0;
        float[] batch = new float[chunk * size];
        float[] labels = new float[chunk];
        for (int start = 0; start < set.size(); start += chunk) {
            int b = Math.min(chunk, set.size() - start);
            for (int i = 0; i < b; i++) {
                set.copyScaled(start + i, batch, i * size);
                labels[i] = set.label(start + i);
            }
            try (NDManager sub = manager.newSubManager()) {
                NDArray x = sub.create(java.util.Arrays.copyOf(batch, b * size), network.inputShape(b));
                NDArray y = sub.create(java.util.Arrays.copyOf(labels, b), new ai.djl.ndarray.types.Shape(b));
                NDArray logits = network.block().forward(store, new NDList(x), false).singletonOrThrow();
                loss += Loss.softmaxCrossEntropyLoss().evaluate(new NDList(y), new NDList(logits)).getFloat() * b;
                correct += logits.argMax(1).toType(ai.djl.ndarray.types.DataType.FLOAT32, false).eq(y).sum().getLong();
            }
        }
        return new double[] {loss / set.size(), (double) correct / set.size()};
    }

    private void writeCheckpoint(Path dir, Network network, TrainingHistory history, int epoch) throws IOException {
        Files.createDirectories(dir);
        SafeTensors.write(dir.resolve(String.format("epoch-%03d.safetensors", epoch)), network.weights(),
                Map.of("epoch", Integer.toString(epoch), "architecture", spec.name()));
        history.write(dir.resolve("history.csv"));
        Map<String, Object> state = new LinkedHashMap<>();
        state.put("epoch", epoch);
        state.put("epochs", epochs);
        state.put("seed", seed);
        // Written last: a checkpoint counts only once its weights and history are complete on disk.
        AtomicFiles.writeString(dir.resolve("state.json"), Json.writePretty(state));
    }

    private ModelCard card(Dataset data, TrainingHistory history, Evaluation test, Instant started, Path output)
            throws IOException {
        Map<String, Object> training = new LinkedHashMap<>();
        training.put("dataset", data.name());
        training.put("trainImages", data.train().size());
        training.put("validationImages", data.validation().size());
        training.put("validation", data.hasOwnValidation() ? "held out of the training images, never trained on"
                : "the test split");
        training.put("testImages", data.test().size());
        training.put("checksums", data.checksums());
        training.put("epochs", history.epochs().size());
        training.put("batchSize", batchSize);
        training.put("optimizer", optimizer);
        training.put("learningRate", learningRate);
        training.put("learningRateSchedule", schedule);
        training.put("loss", loss);
        training.put("seed", seed);
        training.put("augmentation", augmentation == null ? "none" : augmentation.toString());
        if (notDigits != null) {
            Map<String, Object> nd = new LinkedHashMap<>();
            nd.put("images", notDigits.images().size());
            nd.put("fractionPerBatch", notDigits.fraction());
            nd.put("weight", notDigits.weight());
            nd.put("method", "outlier exposure: cross-entropy to the uniform distribution");
            nd.put("source", notDigits.description());
            training.put("notDigits", nd);
        }
        training.put("seconds", Math.round(history.seconds() * 10) / 10.0);
        training.put("startedAt", started.toString());
        training.put("finishedAt", Instant.now().toString());
        training.putAll(extraCard);
        List<Object> hist = new ArrayList<>();
        for (TrainingHistory.Epoch e : history.epochs()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("epoch", e.epoch);
            row.put("loss", e.loss);
            row.put("accuracy", e.accuracy);
            row.put("valAccuracy", e.validationAccuracy);
            row.put("seconds", e.seconds);
            hist.add(row);
        }
        return ModelCard.builder(spec)
                .name(output.toAbsolutePath().normalize().getFileName().toString())
                .input(InputContract.mnist(spec.inputShape()).withPreprocessing(data.preprocessing()))
                .labels(data.train().classNames())
                .training(training)
                .metrics(test.toMetrics())
                .weightsSha256(Digests.sha256(output.resolve(ModelArtifact.WEIGHTS_FILE)))
                .provenance(Provenance.current())
                .history(hist)
                .build();
    }

    private static int[] shuffled(int n, Random rng) {
        int[] order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        for (int i = n - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        return order;
    }
}
