package dev.digits.convert.importer;

import dev.digits.core.artifact.Digests;
import dev.digits.core.json.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * ONNX files written by PyTorch's own exporter ({@code src/test/python/torch_models.py}, run with Debian's
 * python3-torch and python3-onnx): small MNIST models trained on different input contracts. Generated once per
 * build into {@code target/torch-import-models} and reused while the script is unchanged.
 */
public final class TorchModels {
    /** The convert module's directory, from its own tests or from a sibling module's (the CLI's). */
    private static final Path MODULE = Files.isDirectory(Path.of("src/test/python")) ? Path.of(".") : Path.of("../convert");
    private static final Path SCRIPT = MODULE.resolve("src/test/python/torch_models.py");
    private static final Path DIR = MODULE.resolve("target/torch-import-models");
    private static boolean ready;

    private TorchModels() {
    }

    /** The directory holding the files and {@code report.json} (PyTorch's own test accuracy of each). */
    public static synchronized Path dir() throws IOException, InterruptedException {
        if (ready) return DIR;
        String hash = Digests.sha256(SCRIPT);
        Path stamp = DIR.resolve("script.sha256");
        if (!Files.isRegularFile(stamp) || !Files.readString(stamp).equals(hash)) {
            String data = System.getProperty("digits.data");
            if (data == null) throw new IllegalStateException("set -Ddigits.data to the directory holding the MNIST files");
            Files.createDirectories(DIR);
            // Debian's interpreter, which has the packages; a python3 earlier on the PATH (pyenv, venv) may not.
            String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
            Process p = new ProcessBuilder(python, SCRIPT.toString(), data, DIR.toString()).redirectErrorStream(true)
                    .redirectOutput(DIR.resolve("script.log").toFile()).start();
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IllegalStateException(SCRIPT + " failed (python3-torch and python3-onnx installed?):\n"
                        + Files.readString(DIR.resolve("script.log")));
            }
            Files.writeString(stamp, hash);
        }
        ready = true;
        return DIR;
    }

    /** PyTorch's test accuracy of {@code file}, as the script measured it. */
    public static double accuracy(String file) throws IOException, InterruptedException {
        Map<String, Object> report = Json.parseObject(Files.readString(dir().resolve("report.json"), StandardCharsets.UTF_8));
        return ((Number) report.get(file)).doubleValue();
    }

    static List<String> trained() {
        return List.of("torch-example-normalized.onnx", "torch-mlp-255.onnx", "torch-resnet-nhwc.onnx", "torch-keras-style.onnx");
    }
}
