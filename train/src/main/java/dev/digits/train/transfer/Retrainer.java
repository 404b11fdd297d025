package dev.digits.train.transfer;

import dev.digits.core.error.InvalidInputException;
import dev.digits.core.model.Shape;
import dev.digits.core.model.Tensor;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.train.TrainedModel;
import dev.digits.train.Trainer;
import dev.digits.train.TrainingHistory;
import dev.digits.train.data.Dataset;
import dev.digits.train.data.DatasetException;
import dev.digits.core.data.ImageSet;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Transfer learning from a trained Digits model: keeps the base network's feature layers and their weights, puts a
 * new classification head sized for the new classes on top, trains the head with the feature layers frozen, and
 * optionally fine-tunes every layer afterwards at a lower learning rate. The result is an ordinary model directory
 * whose model card names the new labels and the base model.
 *
 * <pre>{@code
 * Dataset flowers = FolderDataset.builder(Path.of("flowers")).preprocessing(Preprocessing.RESIZE).load().dataset();
 * Retrainer retrainer = Retrainer.builder().base(Path.of("models/cnn")).epochs(10).fineTune(3).build();
 * try (TrainedModel model = retrainer.retrain(flowers, Path.of("models/flowers"))) {
 *     System.out.println(model.labels() + " " + model.evaluate(flowers.test()).accuracy());
 * }
 * }</pre>
 *
 * <p>Frozen layers keep their weights bit for bit: their parameters take no optimizer steps. A frozen batchnorm runs
 * in inference mode (Keras' convention): it normalises with the running statistics learnt on the base data and does
 * not update them, so the features the head learns on are exactly those the exported model computes. During
 * fine-tuning every layer trains, batchnorm statistics included.
 *
 * <p>With fine-tuning, the head-only stage is kept as a model directory of its own in
 * {@code <output>/checkpoints/head-only/}.
 */
public final class Retrainer {
    /** Where the model after the head-only stage is kept when fine-tuning follows. */
    public static final String HEAD_ONLY_DIRECTORY = "checkpoints/head-only";

    private final Path base;
    private final int epochs;
    private final Integer freeze;
    private final int fineTuneEpochs;
    private final double learningRate;
    private final double fineTuneLearningRate;
    private final int batchSize;
    private final String optimizer;
    private final long seed;
    private final String name;
    private final boolean progress;
    private final PrintStream out;
    private final Map<String, Object> extraCard;

    private Retrainer(Builder b) {
        this.base = b.base;
        this.epochs = b.epochs;
        this.freeze = b.freeze;
        this.fineTuneEpochs = b.fineTuneEpochs;
        this.learningRate = b.learningRate;
        this.fineTuneLearningRate = b.fineTuneLearningRate != null ? b.fineTuneLearningRate : b.learningRate / 10;
        this.batchSize = b.batchSize;
        this.optimizer = b.optimizer;
        this.seed = b.seed;
        this.name = b.name;
        this.progress = b.progress;
        this.out = b.out;
        this.extraCard = new LinkedHashMap<>(b.extraCard);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Settings; {@link #base} is required. */
    public static final class Builder {
        private Path base;
        private int epochs = 10;
        private Integer freeze;
        private int fineTuneEpochs;
        private double learningRate = 1e-3;
        private Double fineTuneLearningRate;
        private int batchSize = 32;
        private String optimizer = "adam";
        private long seed = 42;
        private String name;
        private boolean progress = true;
        private PrintStream out = System.out;
        private Map<String, Object> extraCard = Map.of();

        /** The trained model directory to start from (written by {@code digits train}). */
        public Builder base(Path modelDirectory) {
            this.base = modelDirectory;
            return this;
        }

        /** Epochs of training the head (and any unfrozen layers) (default 10). */
        public Builder epochs(int n) {
            this.epochs = n;
            return this;
        }

        /**
         * How many layers with weights to freeze, counted from the input (default: all but the head). 0 trains every
         * layer from the base weights.
         */
        public Builder freeze(int layers) {
            this.freeze = layers;
            return this;
        }

        /** Epochs of fine-tuning every layer after the head is trained (default 0: none). */
        public Builder fineTune(int epochs) {
            this.fineTuneEpochs = epochs;
            return this;
        }

        /** Step size while training the head (default 0.001). */
        public Builder learningRate(double lr) {
            this.learningRate = lr;
            return this;
        }

        /** Step size while fine-tuning (default: a tenth of {@link #learningRate}). */
        public Builder fineTuneLearningRate(double lr) {
            this.fineTuneLearningRate = lr;
            return this;
        }

        /** Images per step (default 32). */
        public Builder batchSize(int n) {
            this.batchSize = n;
            return this;
        }

        /** One of {@link Trainer#OPTIMIZERS} (default adam). */
        public Builder optimizer(String o) {
            this.optimizer = o;
            return this;
        }

        /** Seed of weight initialisation and shuffling (default 42). */
        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        /** Name of the new architecture (default {@code <base architecture>-retrained}). */
        public Builder name(String n) {
            this.name = n;
            return this;
        }

        /** Show progress on {@code to} (default: on, System.out). */
        public Builder progress(boolean show, PrintStream to) {
            this.progress = show;
            this.out = to;
            return this;
        }

        /** Extra entries for the model card's "training" section (e.g. how the images were preprocessed). */
        public Builder cardEntries(Map<String, Object> entries) {
            this.extraCard = entries;
            return this;
        }

        /** Checks every setting; the error names the setting and what it accepts. */
        public Retrainer build() {
            if (base == null) throw new InvalidInputException("base is required: the directory of a trained model, e.g. models/cnn");
            if (epochs < 1) throw new InvalidInputException("epochs must be at least 1, got " + epochs);
            if (freeze != null && freeze < 0) throw new InvalidInputException("freeze must be 0 or more layers, got " + freeze);
            if (fineTuneEpochs < 0) throw new InvalidInputException("fine-tune epochs must be 0 or more, got " + fineTuneEpochs);
            if (!(learningRate > 0 && learningRate < 10)) throw new InvalidInputException("learning rate must be in (0, 10), got " + learningRate);
            if (fineTuneLearningRate != null && !(fineTuneLearningRate > 0 && fineTuneLearningRate < 10)) {
                throw new InvalidInputException("fine-tune learning rate must be in (0, 10), got " + fineTuneLearningRate);
            }
            if (batchSize < 1 || batchSize > 65536) throw new InvalidInputException("batch size must be 1..65536, got " + batchSize);
            if (!Trainer.OPTIMIZERS.contains(optimizer)) {
                throw new InvalidInputException("unknown optimizer '" + optimizer + "'; choose one of " + Trainer.OPTIMIZERS);
            }
            return new Retrainer(this);
        }
    }

    /**
     * What retraining the base on {@code classes} classes will do (which layers freeze, the new architecture),
     * without training.
     *
     * @throws dev.digits.core.error.InvalidInputException when the base is not a model directory
     */
    public TransferPlan plan(int classes) throws IOException {
        return TransferPlan.of(ModelArtifact.open(base).spec(), classes, freeze, name);
    }

    /**
     * Retrains on {@code data} (its train set for training, its test set for validation) and writes the model
     * directory {@code output}.
     */
    public TrainedModel retrain(Dataset data, Path output) throws IOException {
        ModelArtifact baseDir = ModelArtifact.open(base);
        if (output.toAbsolutePath().normalize().equals(base.toAbsolutePath().normalize())) {
            throw new InvalidInputException("the output " + output + " is the base model's directory: retraining would overwrite"
                    + " the base; write the new model somewhere else");
        }
        TransferPlan plan = TransferPlan.of(baseDir.spec(), data.train().classNames().size(), freeze, name);
        checkImages(data.train(), plan);
        Map<String, Tensor> baseWeights = baseDir.tensors();

        Map<String, Object> transfer = new LinkedHashMap<>();
        Map<String, Object> baseInfo = new LinkedHashMap<>();
        baseInfo.put("name", baseDir.name());
        baseInfo.put("architecture", baseDir.spec().name());
        baseInfo.put("weightsSha256", baseDir.weightsSha256());
        baseInfo.put("labels", baseDir.labels());
        Object baseData = baseDir.card().dataset();
        if (baseData != null) baseInfo.put("dataset", baseData);
        transfer.put("base", baseInfo);
        transfer.put("head", plan.head());
        transfer.put("frozenLayers", plan.frozenLayers());
        transfer.put("trainedLayers", plan.trainedLayers());
        if (plan.freezesBatchNorm()) {
            transfer.put("frozenBatchNorm", "inference mode: running statistics of the base kept, not updated");
        }
        Map<String, Object> headStage = new LinkedHashMap<>();
        headStage.put("epochs", epochs);
        headStage.put("learningRate", learningRate);
        transfer.put("headTraining", headStage);

        boolean fineTuning = fineTuneEpochs > 0;
        Path headDir = fineTuning ? output.resolve(HEAD_ONLY_DIRECTORY) : output;
        if (progress) {
            out.printf(Locale.ROOT, "Retraining %s (%s) for %d classes %s: new head %s; frozen: %s%n", baseDir.name(), baseDir.spec().name(),
                    plan.spec().classes(), data.train().classNames(), plan.head(),
                    plan.frozenLayers().isEmpty() ? "none" : String.join(", ", plan.frozenLayers()));
        }
        Map<String, Object> card = new LinkedHashMap<>(extraCard);
        card.put("transfer", transfer);
        TrainedModel headOnly = trainer(epochs, learningRate, plan.transferredWeights(baseWeights), plan.frozenParameters(), plan, card)
                .train(data, headDir);
        if (!fineTuning) return headOnly;

        Map<String, Tensor> start;
        try (headOnly) {
            start = headOnly.weights();
        }
        TrainingHistory head = TrainingHistory.read(headDir.resolve("history.csv"));
        headStage.put("seconds", Math.round(head.seconds() * 10) / 10.0);
        headStage.put("validationAccuracy", head.last().validationAccuracy);
        headStage.put("model", HEAD_ONLY_DIRECTORY);
        if (progress) {
            out.printf(Locale.ROOT, "Fine-tuning every layer for %d epochs at learning rate %s%n", fineTuneEpochs, fineTuneLearningRate);
        }
        Map<String, Object> fine = new LinkedHashMap<>();
        fine.put("epochs", fineTuneEpochs);
        fine.put("learningRate", fineTuneLearningRate);
        fine.put("frozenLayers", List.of());
        fine.put("note", "the card's epochs, learningRate, seconds and history are those of fine-tuning;"
                + " headTraining describes the stage before it");
        transfer.put("fineTune", fine);
        return trainer(fineTuneEpochs, fineTuneLearningRate, start, List.of(), plan, card).train(data, output);
    }

    private Trainer trainer(int n, double lr, Map<String, Tensor> weights, List<String> frozen, TransferPlan plan,
                            Map<String, Object> card) {
        return Trainer.builder().architecture(plan.spec()).epochs(n).learningRate(lr).batchSize(batchSize).optimizer(optimizer)
                .seed(seed).progress(progress, out).initialWeights(weights).frozen(frozen).cardEntries(card).build();
    }

    private static void checkImages(ImageSet train, TransferPlan plan) {
        Shape in = plan.base().inputShape();
        boolean fits = in.isFlat() ? in.size() == train.height() * train.width()
                : in.channels() == 1 && in.height() == train.height() && in.width() == train.width();
        if (!fits) {
            throw new DatasetException("the images are " + train.height() + "×" + train.width() + " but the base model "
                    + plan.base().name() + " takes " + in + "; preprocess them to its input size");
        }
    }
}
