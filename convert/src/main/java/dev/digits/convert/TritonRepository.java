package dev.digits.convert;

import dev.digits.convert.onnx.OnnxRuntimeModel;
import dev.digits.core.artifact.Digests;
import dev.digits.core.artifact.ExportManifest;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.error.InvalidInputException;
import dev.digits.core.error.VerificationFailedException;
import dev.digits.core.io.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.StringJoiner;

/**
 * A Triton Inference Server / KServe model repository for a model's verified float32 ONNX export:
 * <pre>
 * &lt;repository&gt;/&lt;model&gt;/config.pbtxt            name, platform onnxruntime_onnx, max_batch_size, input and output
 * &lt;repository&gt;/&lt;model&gt;/&lt;version&gt;/model.onnx    the very file `digits export` verified (same SHA-256)
 * </pre>
 * The tensor names, types and dimensions in {@code config.pbtxt} are read from the file in ONNX Runtime, not assumed;
 * as Triton's model configuration prescribes for {@code max_batch_size > 0}, the dimensions leave out the batch.
 */
public final class TritonRepository {
    /** Where {@code digits export --format triton} writes the repository, inside the model directory. */
    public static final String DIRECTORY = "triton";
    public static final String CONFIG_FILE = "config.pbtxt";
    public static final String MODEL_FILE = "model.onnx";
    /** Largest batch Triton may form (the server's own micro-batches go up to 64 too). */
    public static final int MAX_BATCH_SIZE = 64;

    private TritonRepository() {
    }

    /**
     * Writes {@code artifact}'s repository entry into {@code repository} as version {@code version}; returns the
     * model's directory in it.
     *
     * @throws InvalidInputException       when the model has no verified float32 ONNX export, or a name Triton refuses
     * @throws VerificationFailedException when the ONNX file changed after it was verified
     */
    public static Path write(ModelArtifact artifact, Path repository, int version) throws IOException {
        String name = artifact.name();
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) {
            throw new InvalidInputException("model name '" + name + "' cannot name a Triton model: use letters, digits, '.', '_' or '-'");
        }
        if (version < 1) throw new InvalidInputException("a Triton model version is a number from 1, was " + version);
        ExportManifest manifest = artifact.manifest().orElseThrow(() -> noOnnx(artifact));
        ExportManifest.Entry entry = manifest.entry("onnx", "float32").orElseThrow(() -> noOnnx(artifact));
        Path onnx = artifact.exportDirectory().resolve(entry.path());
        byte[] bytes = Files.readAllBytes(onnx);
        if (!Digests.sha256(bytes).equals(entry.sha256())) {
            throw new VerificationFailedException("export/" + entry.path() + " changed after it was verified; run `digits export "
                    + artifact.path() + " --format onnx` again");
        }
        String config;
        try (OnnxRuntimeModel m = OnnxRuntimeModel.open(onnx)) {
            config = config(name, m.inputName(), tritonType(m.inputType()), m.inputShape(), m.outputName(), m.outputShape());
        }
        Path dir = repository.resolve(name);
        Path versionDir = dir.resolve(Integer.toString(version));
        Files.createDirectories(versionDir);
        AtomicFiles.write(versionDir.resolve(MODEL_FILE), bytes);
        AtomicFiles.writeString(dir.resolve(CONFIG_FILE), config);
        return dir;
    }

    /** The model configuration in Triton's protobuf text format. */
    static String config(String name, String input, String inputType, long[] inputShape, String output, long[] outputShape) {
        return "name: \"" + name + "\"\n"
                + "platform: \"onnxruntime_onnx\"\n"
                + "max_batch_size: " + MAX_BATCH_SIZE + "\n"
                + "input [\n  {\n    name: \"" + input + "\"\n    data_type: " + inputType + "\n    dims: " + dims(inputShape) + "\n  }\n]\n"
                + "output [\n  {\n    name: \"" + output + "\"\n    data_type: TYPE_FP32\n    dims: " + dims(outputShape) + "\n  }\n]\n"
                + "version_policy: { latest: { num_versions: 1 } }\n";
    }

    /** Triton's name of an ONNX input element type: float32, or the 0–255 grid as uint8 or shifted int8. */
    private static String tritonType(ai.onnxruntime.OnnxJavaType t) {
        switch (t) {
            case UINT8: return "TYPE_UINT8";
            case INT8: return "TYPE_INT8";
            default: return "TYPE_FP32";
        }
    }

    /** {@code [ 1, 28, 28 ]}: the shape without its batch dimension. */
    private static String dims(long[] shape) {
        StringJoiner j = new StringJoiner(", ", "[ ", " ]");
        for (long d : Arrays.copyOfRange(shape, 1, shape.length)) j.add(Long.toString(d));
        return j.toString();
    }

    private static InvalidInputException noOnnx(ModelArtifact artifact) {
        return new InvalidInputException("model " + artifact.name() + " has no verified float32 ONNX export for a Triton"
                + " repository; run `digits export " + artifact.path() + " --format onnx` first");
    }
}
