package dev.digits.cli;

import dev.digits.convert.ExportFormat;
import dev.digits.convert.TritonRepository;
import dev.digits.convert.ExportOptions;
import dev.digits.convert.ExportPipeline;
import dev.digits.convert.ExportReport;
import dev.digits.convert.LoadedModel;
import dev.digits.convert.Quantization;
import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.error.InvalidInputException;
import dev.digits.train.Provenance;
import dev.digits.train.TrainedModel;
import dev.digits.train.data.Dataset;
import dev.digits.core.data.ImageSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;

/** {@code digits export}: TFLite, ONNX and TF.js files, quantized as asked, each verified in its real runtime. */
@Command(name = "export", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Convert a trained model for devices and verify every file in its real runtime (LiteRT under node,",
                "or the TFLite interpreter with DIGITS_JAVA_OPTS=-Ddigits.tflite.runtime=interpreter; ONNX Runtime; TF.js)",
                "against the trained model: digit models on the full MNIST test set, others on the held-out images of their",
                "own data (--data). Files go to MODEL_DIR/export/ with manifest.json (every verified file and its sha256),",
                "report.json and report.md; a float32 file that disagrees (max probability difference > 1e-4) fails the",
                "export (exit code 4) and is not left behind."},
        footer = {"", "Examples:", "  digits export models/cnn --format tflite", "  digits export models/cnn --format all --quantize all",
                "  digits export models/mlp512 --format tflite --input-layout flat   # the ML Kit sample's [1,784] contract",
                "  digits export models/cnn --format tflite --input-type uint8       # raw 0-255 pixels, scaling inside",
                "  digits export models/my-images --data my-images/                  # a retrained model, on its own held-out images"})
final class ExportCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL_DIR", description = "A trained model directory.")
    Path dir;

    @Option(names = {"-f", "--format"}, split = ",", defaultValue = "all", paramLabel = "FORMAT",
            description = "tflite, onnx, tfjs or all (the three); comma-separated for several; triton also writes a Triton/KServe"
                    + " model repository of the verified float32 ONNX file into MODEL_DIR/triton (default: ${DEFAULT-VALUE}).")
    List<String> formats;

    @Option(names = {"-q", "--quantize"}, split = ",", defaultValue = "float32", paramLabel = "Q",
            description = "float32, float16, int8-dynamic (int8 weights), int8 (full integer, calibrated on training images) or all (default: ${DEFAULT-VALUE}).")
    List<String> quantizations;

    @Option(names = "--input-layout", paramLabel = "LAYOUT",
            description = "nhwc [1,28,28,1] (TFLite/TF.js default), nchw [1,1,28,28] (ONNX default) or flat [1,784].")
    ExportOptions.InputLayout layout;

    @Option(names = "--input-type", defaultValue = "float32", paramLabel = "TYPE",
            description = "float32 (pixels in [0,1]), uint8 (0-255, scaled inside the model) or int8 (full-integer only) (default: ${DEFAULT-VALUE}).")
    ExportOptions.InputType inputType;

    @Option(names = "--author", defaultValue = "Digits", description = "Author written into the metadata (default: ${DEFAULT-VALUE}).")
    String author;

    @Option(names = "--model-version", defaultValue = "1", description = "Version written into the metadata (default: ${DEFAULT-VALUE}).")
    String version;

    @Mixin
    DataOptions data;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        ModelArtifact artifact = ModelArtifact.open(dir);
        Set<ExportFormat> fs = EnumSet.noneOf(ExportFormat.class);
        boolean triton = false;
        for (String f : formats) {
            if (f.equalsIgnoreCase("all")) fs.addAll(EnumSet.allOf(ExportFormat.class));
            else if (f.equalsIgnoreCase("triton")) triton = true;
            else fs.add(ExportFormat.parse(f));
        }
        // The repository holds the float32 ONNX file, exported and verified here like any other.
        if (triton) fs.add(ExportFormat.ONNX);
        Set<Quantization> qs = EnumSet.noneOf(Quantization.class);
        for (String q : quantizations) {
            if (q.equalsIgnoreCase("all")) qs.addAll(EnumSet.allOf(Quantization.class));
            else qs.add(Quantization.parse(q));
        }
        if (triton) qs.add(Quantization.FLOAT32);
        export(artifact, ModelData.of(artifact, data.data), fs, qs, options());
        if (triton) {
            int v;
            try {
                v = Integer.parseInt(version);
            } catch (NumberFormatException e) {
                throw new InvalidInputException("--model-version " + version + " cannot number a Triton model version; give a"
                        + " whole number from 1");
            }
            Path repo = TritonRepository.write(ModelArtifact.open(dir), dir.resolve(TritonRepository.DIRECTORY), v);
            System.out.println("Triton / KServe model repository (config.pbtxt, " + v + "/model.onnx) in "
                    + repo.toAbsolutePath());
        }
        return ExitCodes.OK;
    }

    private ExportOptions.Builder options() {
        ExportOptions.Builder options = ExportOptions.builder().inputType(inputType).author(author).version(version);
        if (layout != null) options.layout(layout);
        return options;
    }

    /**
     * Exports {@code artifact} in {@code formats} × {@code quantizations}, every file verified on {@code data}'s test
     * images against the trained weights running in DJL/PyTorch, and prints the report.
     */
    static ExportReport export(ModelArtifact artifact, Dataset data, Set<ExportFormat> formats, Set<Quantization> quantizations,
                               ExportOptions.Builder options) throws IOException {
        // Calibration for full-integer quantization: a fixed slice of the training set, as TF's converter is given.
        ImageSet calibration = data.train().head(1000);
        ExportReport report;
        try (TrainedModel trained = TrainedModel.load(artifact)) {
            LoadedModel reference = new LoadedModel() {
                @Override
                public float[][] predict(float[] pixels, int n) {
                    return trained.predictBatch(pixels, n);
                }

                @Override
                public void close() {
                    // Closed with the trained model below.
                }
            };
            report = ExportPipeline.withAllFormats().withProgress(System.out).run(ExportPipeline.Request.builder()
                    .modelDirectory(artifact.path()).reference(reference, Provenance.engine())
                    .formats(formats).quantizations(quantizations).options(options.representative(calibration).build())
                    .testImages(data.test()).calibrationImages(calibration).build());
        }
        System.out.println();
        System.out.print(report.table());
        System.out.println("Files, manifest and report (report.md, report.json) in " + artifact.exportDirectory().toAbsolutePath());
        return report;
    }
}
