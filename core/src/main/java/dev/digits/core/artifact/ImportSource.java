package dev.digits.core.artifact;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where an imported model came from, as its card records it: the file, its format and producer, the input contract
 * the file expects (found by trying the plausible ones on MNIST test digits, or given), what it answers, and how
 * the imported network was checked against the file in the file's own runtime. The imported network applies the
 * contract itself (a rescale layer at its start), so every Digits target feeds it plain [0,1] light-on-dark digits.
 *
 * @param file         the file's name as given
 * @param sha256       the file's SHA-256 (for a TF.js model, of its {@code model.json})
 * @param format       {@code onnx}, {@code tfjs}, {@code keras-h5}, {@code keras} or {@code tflite}
 * @param producer     the tool that wrote it, as the file says (e.g. {@code pytorch 1.13.0}, {@code TensorFlow.js tfjs-layers v4.22.0})
 * @param inputTensor  the file's input tensor, its name and shape in words
 * @param input        the input the file expects, in the terms of {@link InputContract}
 * @param chosenBy     {@code detected} or {@code given}
 * @param outputs      what the file answers: {@code probabilities}, {@code logits} or {@code log-probabilities}
 * @param contracts    each contract tried and the accuracy it gave on the search images
 * @param verification how the import was checked against the file: runtime, images, largest probability difference
 */
public record ImportSource(String file, String sha256, String format, String producer, String inputTensor, InputContract input,
                           String chosenBy, String outputs, List<Map<String, Object>> contracts, Map<String, Object> verification) {

    public ImportSource {
        contracts = contracts == null ? List.of() : List.copyOf(contracts);
        verification = verification == null ? Map.of() : Map.copyOf(verification);
    }

    /**
     * One sentence for exported files' metadata: where the model came from, what that file expects and answers, and
     * that this model applies the file's input scaling itself.
     */
    public String describe() {
        return "Imported from " + file + " (" + format + ", " + producer + ", sha256 " + sha256.substring(0, 12) + "), which expects "
                + input.valuesInWords() + " and answers " + outputs + "; this model applies that input scaling in its first"
                + " layer and answers probabilities, so it is fed Digits' usual input.";
    }

    /** The fields exported files' metadata carries. */
    public Map<String, Object> summary() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", file);
        m.put("sha256", sha256);
        m.put("format", format);
        m.put("producer", producer);
        m.put("expects", input.valuesInWords());
        m.put("answers", outputs);
        m.put("note", "the file's input scaling is the first layer of this model; feed it as the input section says");
        return m;
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", file);
        m.put("sha256", sha256);
        m.put("format", format);
        m.put("producer", producer);
        m.put("inputTensor", inputTensor);
        m.put("input", input.toJson());
        m.put("chosenBy", chosenBy);
        m.put("outputs", outputs);
        if (!contracts.isEmpty()) m.put("contractsTried", contracts);
        if (!verification.isEmpty()) m.put("verification", new LinkedHashMap<>(verification));
        return m;
    }

    @SuppressWarnings("unchecked")
    static ImportSource fromJson(Object json) {
        Map<?, ?> m = Fields.object(json, "source");
        List<Map<String, Object>> tried = new ArrayList<>();
        if (m.get("contractsTried") != null) {
            for (Object o : Fields.list(m.get("contractsTried"), "source.contractsTried")) {
                tried.add(new LinkedHashMap<>((Map<String, Object>) Fields.object(o, "source.contractsTried")));
            }
        }
        Map<String, Object> verification = m.get("verification") == null ? Map.of()
                : new LinkedHashMap<>((Map<String, Object>) Fields.object(m.get("verification"), "source.verification"));
        return new ImportSource(Fields.text(m.get("file"), "source.file"), Fields.sha256(m.get("sha256"), "source.sha256"),
                Fields.text(m.get("format"), "source.format"), Fields.text(m.get("producer"), "source.producer"),
                Fields.text(m.get("inputTensor"), "source.inputTensor"),
                InputContract.fromJson(m.get("input"), dev.digits.core.model.Shape.image(1, 28, 28), null),
                Fields.text(m.get("chosenBy"), "source.chosenBy"), Fields.text(m.get("outputs"), "source.outputs"), tried, verification);
    }
}
