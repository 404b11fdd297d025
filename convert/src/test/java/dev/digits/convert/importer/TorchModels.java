package dev.digits.convert.importer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * ONNX files written by PyTorch's own exporter ({@code src/test/python/torch_models.py}, run with Debian's
 * python3-torch and python3-onnx): small MNIST models trained on different input contracts. Generated once per
 * build into {@code target/torch-import-models} and reused while the script is unchanged.
 */
public final class TorchModels {
    private static Path dir;

    private TorchModels() {
    }

    /** The directory holding the files and {@code report.json} (PyTorch's own test accuracy of each). */
    public static synchronized Path dir() throws IOException, InterruptedException {
        if (dir == null) dir = PythonFixtures.generate("torch-import-models", "python3-torch and python3-onnx", "torch_models.py");
        return dir;
    }

    /** PyTorch's test accuracy of {@code file}, as the script measured it. */
    public static double accuracy(String file) throws IOException, InterruptedException {
        return PythonFixtures.accuracy(dir(), file);
    }

    static List<String> trained() {
        return List.of("torch-example-normalized.onnx", "torch-mlp-255.onnx", "torch-resnet-nhwc.onnx", "torch-keras-style.onnx");
    }
}
