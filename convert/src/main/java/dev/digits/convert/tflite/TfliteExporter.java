package dev.digits.convert.tflite;

import dev.digits.core.recognition.DigitCheck;

import dev.digits.convert.ExportFormat;
import dev.digits.convert.ExportOptions;
import dev.digits.convert.ExportOptions.InputLayout;
import dev.digits.convert.ExportOptions.InputType;
import dev.digits.convert.Exporter;
import dev.digits.convert.LoadedModel;
import dev.digits.convert.Quantization;
import dev.digits.core.io.AtomicFiles;
import dev.digits.core.model.ModelSpec;
import dev.digits.core.model.Shape;
import dev.digits.convert.ExportSource;
import dev.digits.convert.node.NodePackage;
import dev.digits.core.error.InvalidInputException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Writes TensorFlow Lite flatbuffers that TFLite 2.6 and current LiteRT both load, with TFLite Metadata and the
 * class labels embedded, and runs them in LiteRT (LiteRT.js under node) or, where that is not installed, the TFLite
 * 2.6 Java interpreter ({@value #RUNTIME_PROPERTY} chooses).
 *
 * <p>Contract (defaults): input {@code image} {@code [1,28,28,1]} float32 in [0,1], white digit on black; output
 * {@code probabilities} {@code [1,10]} float32. {@link ExportOptions#layout()} FLAT gives {@code [1,784]} (the
 * natural layout of flat-input models such as {@code mlp512}), NCHW gives {@code [1,1,28,28]};
 * {@link ExportOptions#inputType()} UINT8 takes raw 0–255 pixels (the model scales them).
 *
 * <p>Quantizations: FLOAT16 stores weights as float16 (DEQUANTIZE ops restore float32); DYNAMIC_INT8 stores
 * convolution weights as per-channel int8 and dense weights as per-tensor int8 for TFLite's hybrid kernels;
 * FULL_INT8 quantizes weights and activations (calibrated on {@link ExportOptions#representative()}), with float32
 * input and output by default, or int8/uint8 input and output when asked for.
 *
 * <p>The file ends in a zip archive holding {@code labels.txt}, which the metadata names as the output's labels;
 * the interpreter ignores it, the TFLite Support library and unzip read it.
 */
public final class TfliteExporter implements Exporter {
    @Override
    public ExportFormat format() {
        return ExportFormat.TFLITE;
    }

    /**
     * System property choosing where files are verified: {@code litert} (LiteRT.js under node; what
     * {@code auto}, the default, takes when it is installed) or {@code interpreter} (the TensorFlow Lite 2.6 Java
     * interpreter in this JVM, whose integer kernels are the portable reference ones: about 18 times slower on
     * int8 files).
     */
    public static final String RUNTIME_PROPERTY = "digits.tflite.runtime";

    /** LiteRT.js and how reports name it, once found; null until asked, empty for the interpreter. */
    private volatile Optional<LiteRt> liteRt;

    private record LiteRt(NodePackage nodePackage, String description) {
        static LiteRt locate() {
            NodePackage p = LiteRtLoadedModel.locate();
            return new LiteRt(p, "LiteRT.js " + packageVersion(p.directory()) + " (WebAssembly SIMD, XNNPACK kernels) under node");
        }

        private static String packageVersion(Path dir) {
            try {
                String json = Files.readString(dir.resolve("node_modules/@litertjs/core/package.json"));
                return String.valueOf(dev.digits.core.json.Json.parseObject(json).get("version"));
            } catch (IOException | RuntimeException e) {
                return "(version unknown)";
            }
        }
    }

    /** An exporter whose files run where {@value #RUNTIME_PROPERTY} says (the {@link java.util.ServiceLoader} entry). */
    public TfliteExporter() {
    }

    /** An exporter whose files run in the TensorFlow Lite interpreter, whatever {@value #RUNTIME_PROPERTY} says. */
    public static TfliteExporter withInterpreter() {
        TfliteExporter e = new TfliteExporter();
        e.liteRt = Optional.empty();
        return e;
    }

    /** LiteRT.js when it is chosen or installed; empty for the interpreter. */
    private Optional<LiteRt> liteRt() {
        Optional<LiteRt> found = liteRt;
        if (found != null) return found;
        String choice = System.getProperty(RUNTIME_PROPERTY, "auto").trim().toLowerCase(Locale.ROOT);
        found = switch (choice) {
            case "litert" -> Optional.of(LiteRt.locate());
            case "interpreter" -> Optional.empty();
            case "auto" -> {
                try {
                    yield Optional.of(LiteRt.locate());
                } catch (IllegalStateException e) {
                    yield Optional.empty();
                }
            }
            default -> throw new InvalidInputException("-D" + RUNTIME_PROPERTY + "=" + choice + " is not a TFLite runtime;"
                    + " choose litert, interpreter or auto");
        };
        liteRt = found;
        return found;
    }

    @Override
    public String runtime() {
        return liteRt().map(LiteRt::description).orElseGet(TfliteExporter::interpreterRuntime);
    }

    private static String interpreterRuntime() {
        return "TensorFlow Lite " + TfliteRuntime.load() + " interpreter";
    }

    /**
     * LiteRT.js's tensors are float32, int32 or uint8 only, so a file with int8 input or output (full-integer
     * quantization with {@code --input-type int8}) runs in the interpreter.
     */
    @Override
    public String runtime(Path file, ExportOptions options) throws IOException {
        return liteRt().isPresent() && LiteRtLoadedModel.takes(file) ? runtime() : interpreterRuntime();
    }

    @Override
    public InputLayout defaultLayout(ModelSpec spec) {
        return SpecLowering.naturalLayout(spec);
    }

    @Override
    public boolean supports(Quantization quantization) {
        return true;
    }

    @Override
    public void export(ExportSource model, ExportOptions options, Path target) throws IOException {
        AtomicFiles.write(target, toBytes(model, options));
    }

    /** The model's "not a digit" rule in words, for the description Android Studio and metadata readers show. */
    static String digitCheckText(DigitCheck check) {
        if (!check.rejects()) return "";
        return String.format(Locale.ROOT, " Not a digit when max(p^(1/T))/sum(p^(1/T)) < %s with T = %s (%s).",
                check.threshold(), check.temperature(), DigitCheck.METHOD);
    }

    /** The complete .tflite file (flatbuffer, then the zip of associated files). */
    static byte[] toBytes(ExportSource model, ExportOptions options) {
        Graph g = graph(model, options);
        ModelSpec spec = model.spec();
        boolean image = options.layoutOr(SpecLowering.naturalLayout(spec)) != InputLayout.FLAT;
        TfliteMetadata.Description d = new TfliteMetadata.Description(
                spec.name(),
                describe(spec, options) + model.card().source().map(src -> " " + src.describe()).orElse("")
                        + digitCheckText(model.card().digitCheck()),
                options.version(),
                options.author(),
                inputDescription(g, spec, model.card().input()),
                image,
                g.input().type(),
                "Probability of each of the " + spec.classes() + " classes (" + String.join(", ", model.labels())
                        + "), in the order of " + TfliteMetadata.LABELS_FILE + "; they sum to 1.");
        byte[] flatbuffer = TfliteFileWriter.write(g, "Digits " + spec.name() + " (" + options.quantization().id() + ")",
                TfliteMetadata.build(d));
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put(TfliteMetadata.LABELS_FILE, (String.join("\n", model.labels()) + "\n").getBytes(StandardCharsets.UTF_8));
        return AssociatedFilesZip.append(flatbuffer, files);
    }

    /** The graph the file will hold, lowered and quantized. */
    static Graph graph(ExportSource model, ExportOptions options) {
        Graph g = SpecLowering.lower(model.spec(), model.tensors(), options.layout());
        Quantization q = options.quantization();
        switch (q) {
            case FLOAT32:
                break;
            case FLOAT16:
                Float16Weights.apply(g);
                break;
            case DYNAMIC_INT8:
                DynamicRangeQuantization.apply(g);
                break;
            case FULL_INT8:
                FullIntegerQuantization.apply(g, options.representative(), options.inputType());
                break;
            default:
                throw new IllegalStateException("quantization " + q);
        }
        if (q != Quantization.FULL_INT8 && options.inputType() == InputType.UINT8) {
            // Raw 0–255 pixels: DEQUANTIZE with scale 1/255 turns them into the [0,1] floats the network expects.
            g.adaptInput(GraphTensor.Type.UINT8, QuantParams.perTensor(1f / 255f, 0), OpKind.DEQUANTIZE, "float");
        }
        return g;
    }

    private static String describe(ModelSpec spec, ExportOptions options) {
        String base = spec.description().isBlank() ? "Digit classifier '" + spec.name() + "'." : spec.description();
        String q = switch (options.quantization()) {
            case FLOAT32 -> "float32 weights";
            case FLOAT16 -> "float16 weights";
            case DYNAMIC_INT8 -> "int8 weights, float activations (dynamic-range quantization)";
            case FULL_INT8 -> "int8 weights and activations (full-integer quantization)";
        };
        return base + " Made with Digits; " + q + ".";
    }

    private static String inputDescription(Graph g, ModelSpec spec, dev.digits.core.artifact.InputContract contract) {
        Shape in = spec.inputShape();
        int side = (int) Math.round(Math.sqrt(in.size()));
        String what;
        if (in.isFlat() && side * side != in.size()) {
            what = in.size() + " features";
        } else {
            String image = in.isFlat() ? side + "×" + side + " grayscale image" : in.height() + "×" + in.width()
                    + (in.channels() == 1 ? " grayscale image" : " image of " + in.channels() + " channels");
            what = g.input().rank() == 2 ? image + " as " + in.size() + " values, row by row" : image;
        }
        String values = switch (g.input().type()) {
            case UINT8 -> "uint8 pixels 0–255";
            case INT8 -> "int8 pixel − 128 (−128 black … 127 white)";
            default -> "float32 pixel / 255 in [0,1]";
        };
        String ink = contract.polarity() == dev.digits.core.artifact.InputContract.Polarity.LIGHT_ON_DARK
                ? "light ink on a dark background" : "dark ink on a light background";
        String prep = switch (contract.preprocessing()) {
            case DIGIT -> "the digit cropped, scaled to 20×20 and centred by mass as in MNIST";
            case DIGIT_DESKEWED -> "the digit cropped, scaled to 20×20, centred by mass as in MNIST and deskewed by its moments";
            case RESIZE -> "the picture resized to the input size";
        };
        return what + ", " + ink + " (" + prep + "), shape " + Arrays.toString(g.input().shape()) + ", " + values + ".";
    }

    @Override
    public LoadedModel load(Path file, ExportOptions options) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "no such TFLite model file");
        Optional<LiteRt> l = liteRt();
        if (l.isPresent()) {
            Optional<LiteRtLoadedModel> m = LiteRtLoadedModel.startIfTaken(l.get().nodePackage(), file);
            if (m.isPresent()) return m.get();
        }
        return new TfliteLoadedModel(file);
    }
}
