package dev.digits.core.artifact;

import dev.digits.core.error.InvalidInputException;
import dev.digits.core.io.AtomicFiles;
import dev.digits.core.json.Json;
import dev.digits.core.recognition.DigitCheck;
import dev.digits.core.model.ModelSpec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's card ({@code model-card.json}): what it is, what it expects, where it came from and how well it did.
 * The one reader and writer of the file; every module reads the card through this type.
 *
 * <p>Typed: name, architecture, description, parameter count, {@link InputContract}, labels, the SHA-256 of the
 * weights file and the test metrics. Provenance — the training data's checksums, the settings, library, Java, OS and
 * CPU versions, the history per epoch — is kept as written by the trainer (plain JSON values), since it is recorded
 * for people and tools to read rather than for Digits to act on.
 */
public final class ModelCard {
    /** The format this class reads and writes. */
    public static final String FORMAT = "digits-model/1";

    private final String name;
    private final String architecture;
    private final String description;
    private final long parameters;
    private final InputContract input;
    private final List<String> labels;
    private final String weightsSha256;
    private final Metrics metrics;
    private final Map<String, Object> training;
    private final Map<String, Object> provenance;
    private final List<Object> history;
    private final ImportSource source;
    private final DigitCheck digitCheck;

    /**
     * Test-set figures: top-1 accuracy, loss, image count, per-class recall and precision (by label), confusion matrix
     * and expected calibration error (NaN when not measured).
     * {@code accuracy} is NaN when the model was never evaluated.
     */
    public record Metrics(double accuracy, double loss, int images, Map<String, Double> recall, Map<String, Double> precision,
                          List<List<Integer>> confusion, double calibrationError) {
        /** Figures without a calibration error (NaN: not measured). */
        public Metrics(double accuracy, double loss, int images, Map<String, Double> recall, Map<String, Double> precision,
                       List<List<Integer>> confusion) {
            this(accuracy, loss, images, recall, precision, confusion, Double.NaN);
        }

        public Metrics {
            recall = Collections.unmodifiableMap(new LinkedHashMap<>(recall));
            precision = Collections.unmodifiableMap(new LinkedHashMap<>(precision));
            confusion = confusion == null ? List.of() : List.copyOf(confusion);
        }

        /** No figures. */
        public static Metrics none() {
            return new Metrics(Double.NaN, Double.NaN, 0, Map.of(), Map.of(), List.of());
        }

        public boolean isPresent() {
            return !Double.isNaN(accuracy);
        }
    }

    private ModelCard(Builder b) {
        if (b.name == null || b.name.isEmpty()) throw new InvalidInputException("a model card needs a name");
        if (b.architecture == null) throw new InvalidInputException("model card '" + b.name + "' names no architecture");
        if (b.input == null) throw new InvalidInputException("model card '" + b.name + "' has no input contract");
        if (b.labels == null || b.labels.isEmpty()) throw new InvalidInputException("model card '" + b.name + "' has no labels");
        this.name = b.name;
        this.architecture = b.architecture;
        this.description = b.description == null ? "" : b.description;
        this.parameters = b.parameters;
        this.input = b.input;
        this.labels = List.copyOf(b.labels);
        this.weightsSha256 = b.weightsSha256;
        this.metrics = b.metrics == null ? Metrics.none() : b.metrics;
        this.training = Collections.unmodifiableMap(new LinkedHashMap<>(b.training));
        this.provenance = Collections.unmodifiableMap(new LinkedHashMap<>(b.provenance));
        this.history = List.copyOf(b.history);
        this.source = b.source;
        this.digitCheck = b.digitCheck;
    }

    /** A card for {@code spec} with the MNIST input contract and digit labels, to fill in with the builder. */
    public static Builder builder(ModelSpec spec) {
        Builder b = new Builder();
        b.name = spec.name();
        b.architecture = spec.name();
        b.description = spec.description();
        b.parameters = spec.parameterCount();
        b.input = InputContract.mnist(spec.inputShape());
        List<String> l = new ArrayList<>();
        for (int i = 0; i < spec.classes(); i++) l.add(Integer.toString(i));
        b.labels = l;
        return b;
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.name = name;
        b.architecture = architecture;
        b.description = description;
        b.parameters = parameters;
        b.input = input;
        b.labels = labels;
        b.weightsSha256 = weightsSha256;
        b.metrics = metrics;
        b.training = new LinkedHashMap<>(training);
        b.provenance = new LinkedHashMap<>(provenance);
        b.history = new ArrayList<>(history);
        b.source = source;
        b.digitCheck = digitCheck;
        return b;
    }

    /**
     * Reads {@code file}, checking it against {@code spec} (labels one per output).
     *
     * @throws InvalidInputException naming the file and the field when it is not a card Digits can read
     */
    public static ModelCard read(Path file, ModelSpec spec) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        try {
            return parse(text, spec);
        } catch (InvalidInputException e) {
            throw new InvalidInputException(file + ": " + e.getMessage(), e);
        }
    }

    /** Parses a card's JSON text, checking it against {@code spec}. */
    public static ModelCard parse(String json, ModelSpec spec) {
        Map<String, Object> m;
        try {
            m = Json.parseObject(json);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("not valid JSON: " + e.getMessage(), e);
        }
        Object format = m.get("format");
        if (format != null && !FORMAT.equals(format)) {
            throw new InvalidInputException("model card format '" + format + "' is not " + FORMAT
                    + "; it was written by another version of Digits — upgrade Digits to read it");
        }
        Builder b = builder(spec);
        if (m.get("name") != null) b.name(Fields.text(m.get("name"), "name"));
        if (m.get("architecture") != null) b.architecture = Fields.text(m.get("architecture"), "architecture");
        if (m.get("description") != null) b.description = Fields.text(m.get("description"), "description");
        Object training = m.get("training");
        Object trainedWith = training instanceof Map ? ((Map<?, ?>) training).get("preprocessing") : null;
        b.input = InputContract.fromJson(m.get("input"), spec.inputShape(),
                "digit".equals(trainedWith) || "digit-deskewed".equals(trainedWith) || "resize".equals(trainedWith)
                        ? (String) trainedWith : null);
        if (m.get("labels") != null) {
            List<String> labels = new ArrayList<>();
            for (Object o : Fields.list(m.get("labels"), "labels")) labels.add(Fields.text(o, "labels"));
            b.labels(labels);
        }
        if (b.labels.size() != spec.classes()) {
            throw new InvalidInputException(b.labels.size() + " labels " + b.labels + " for a network with " + spec.classes()
                    + " outputs; give one label per output");
        }
        if (m.get("weightsSha256") != null) b.weightsSha256(Fields.sha256(m.get("weightsSha256"), "weightsSha256"));
        if (m.get("metrics") != null) b.metrics(metrics(Fields.object(m.get("metrics"), "metrics")));
        if (m.get("training") != null) b.training(copy(Fields.object(m.get("training"), "training")));
        if (m.get("provenance") != null) b.provenance(copy(Fields.object(m.get("provenance"), "provenance")));
        if (m.get("history") != null) b.history = new ArrayList<>(Fields.list(m.get("history"), "history"));
        if (m.get("source") != null) b.source(ImportSource.fromJson(m.get("source")));
        if (m.get("digitCheck") != null) b.digitCheck(digitCheck(m.get("digitCheck")));
        return b.build();
    }

    private static Metrics metrics(Map<?, ?> m) {
        Object test = m.get("test");
        if (test == null) return Metrics.none();
        Map<?, ?> t = Fields.object(test, "metrics.test");
        double accuracy = Fields.number(t.get("accuracy"), "metrics.test.accuracy").doubleValue();
        double loss = t.get("loss") == null ? Double.NaN : Fields.number(t.get("loss"), "metrics.test.loss").doubleValue();
        int images = t.get("images") == null ? 0 : Fields.integer(t.get("images"), "metrics.test.images");
        Map<String, Double> recall = new LinkedHashMap<>();
        Map<String, Double> precision = new LinkedHashMap<>();
        if (t.get("perClass") != null) {
            for (Map.Entry<?, ?> e : Fields.object(t.get("perClass"), "metrics.test.perClass").entrySet()) {
                Map<?, ?> c = Fields.object(e.getValue(), "metrics.test.perClass." + e.getKey());
                String label = String.valueOf(e.getKey());
                if (c.get("recall") != null) recall.put(label, Fields.number(c.get("recall"), "recall").doubleValue());
                if (c.get("precision") != null) precision.put(label, Fields.number(c.get("precision"), "precision").doubleValue());
            }
        }
        List<List<Integer>> confusion = new ArrayList<>();
        if (t.get("confusionMatrix") != null) {
            for (Object row : Fields.list(t.get("confusionMatrix"), "metrics.test.confusionMatrix")) {
                List<Integer> r = new ArrayList<>();
                for (Object v : Fields.list(row, "metrics.test.confusionMatrix")) r.add(Fields.integer(v, "metrics.test.confusionMatrix"));
                confusion.add(r);
            }
        }
        double ece = t.get("calibrationError") == null ? Double.NaN
                : Fields.number(t.get("calibrationError"), "metrics.test.calibrationError").doubleValue();
        return new Metrics(accuracy, loss, images, recall, precision, confusion, ece);
    }

    private static DigitCheck digitCheck(Object json) {
        try {
            return DigitCheck.fromJson(json);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> copy(Map<?, ?> m) {
        return new LinkedHashMap<>((Map<String, Object>) m);
    }

    /** Writes the card atomically. */
    public void write(Path file) throws IOException {
        AtomicFiles.writeString(file, Json.writePretty(toJson()) + "\n");
    }

    /** The card as JSON-ready maps and lists, in the file's field order. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("name", name);
        m.put("architecture", architecture);
        m.put("description", description);
        m.put("parameters", parameters);
        m.put("input", input.toJson());
        m.put("labels", labels);
        if (!training.isEmpty()) m.put("training", training);
        if (metrics.isPresent()) {
            Map<String, Object> test = new LinkedHashMap<>();
            test.put("accuracy", metrics.accuracy());
            if (!Double.isNaN(metrics.loss())) test.put("loss", metrics.loss());
            test.put("images", metrics.images());
            if (Double.isFinite(metrics.calibrationError())) test.put("calibrationError", metrics.calibrationError());
            Map<String, Object> perClass = new LinkedHashMap<>();
            for (String l : labels) {
                Map<String, Object> c = new LinkedHashMap<>();
                if (metrics.precision().containsKey(l)) c.put("precision", metrics.precision().get(l));
                if (metrics.recall().containsKey(l)) c.put("recall", metrics.recall().get(l));
                if (!c.isEmpty()) perClass.put(l, c);
            }
            if (!perClass.isEmpty()) test.put("perClass", perClass);
            if (!metrics.confusion().isEmpty()) test.put("confusionMatrix", metrics.confusion());
            m.put("metrics", Map.of("test", test));
        }
        if (weightsSha256 != null) m.put("weightsSha256", weightsSha256);
        if (!provenance.isEmpty()) m.put("provenance", provenance);
        if (!history.isEmpty()) m.put("history", history);
        if (source != null) m.put("source", source.toJson());
        if (digitCheck.rejects()) m.put("digitCheck", digitCheck.toJson());
        return m;
    }

    public String name() {
        return name;
    }

    public String architecture() {
        return architecture;
    }

    public String description() {
        return description;
    }

    public long parameters() {
        return parameters;
    }

    public InputContract input() {
        return input;
    }

    /** Class names, index = output position. */
    public List<String> labels() {
        return labels;
    }

    /** The SHA-256 of {@code weights.safetensors} as trained, or null on cards written without it. */
    public String weightsSha256() {
        return weightsSha256;
    }

    public Metrics metrics() {
        return metrics;
    }

    /** Training data, settings and timing, as the trainer recorded them. */
    public Map<String, Object> training() {
        return training;
    }

    /** The dataset the model was trained on ({@code training.dataset}), or null. */
    public String dataset() {
        Object d = training.get("dataset");
        return d == null ? null : String.valueOf(d);
    }

    /** Library, Java, OS and CPU versions of the training run. */
    public Map<String, Object> provenance() {
        return provenance;
    }

    /** Where an imported model came from; empty for models Digits trained. */
    public java.util.Optional<ImportSource> source() {
        return java.util.Optional.ofNullable(source);
    }

    /**
     * How to tell a digit from something else with this model's answers: {@link DigitCheck#NONE} (never rejects) when
     * the card has no {@code digitCheck} section.
     */
    public DigitCheck digitCheck() {
        return digitCheck;
    }

    /** Loss and accuracy per epoch, as the trainer recorded them. */
    public List<Object> history() {
        return history;
    }

    /** Builds a card; the name, architecture, input contract and labels are required. */
    public static final class Builder {
        private String name;
        private String architecture;
        private String description;
        private long parameters;
        private InputContract input;
        private List<String> labels;
        private String weightsSha256;
        private Metrics metrics;
        private Map<String, Object> training = new LinkedHashMap<>();
        private Map<String, Object> provenance = new LinkedHashMap<>();
        private List<Object> history = new ArrayList<>();
        private ImportSource source;
        private DigitCheck digitCheck = DigitCheck.NONE;

        private Builder() {
        }

        public Builder name(String v) {
            name = v;
            return this;
        }

        public Builder description(String v) {
            description = v;
            return this;
        }

        public Builder input(InputContract v) {
            input = v;
            return this;
        }

        public Builder labels(List<String> v) {
            labels = List.copyOf(v);
            return this;
        }

        public Builder weightsSha256(String v) {
            weightsSha256 = v;
            return this;
        }

        public Builder metrics(Metrics v) {
            metrics = v;
            return this;
        }

        public Builder training(Map<String, Object> v) {
            training = new LinkedHashMap<>(v);
            return this;
        }

        public Builder provenance(Map<String, Object> v) {
            provenance = new LinkedHashMap<>(v);
            return this;
        }

        /** Records the file an imported model came from. */
        public Builder source(ImportSource v) {
            source = v;
            return this;
        }

        /** The rule that says "not a digit" for this model (temperature and threshold measured on held-out data). */
        public Builder digitCheck(DigitCheck v) {
            digitCheck = v == null ? DigitCheck.NONE : v;
            return this;
        }

        public Builder history(List<?> v) {
            history = new ArrayList<>(v);
            return this;
        }

        public ModelCard build() {
            return new ModelCard(this);
        }
    }
}
