package dev.digits.convert.importer;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Keras files ({@code .h5} in the Keras 2 and Keras 3 layouts, {@code .keras} in the Keras 3 and Keras 2.13–2.15
 * layouts) of small MNIST networks trained in PyTorch and written with h5py in the layouts Keras writes
 * ({@code src/test/python/keras_files.py}, run with Debian's python3-torch and python3-h5py: no Keras or TensorFlow
 * is installed here). Generated once into {@code target/keras-import-models} and reused while the scripts are
 * unchanged.
 */
final class KerasFiles {
    private static Path dir;

    private KerasFiles() {
    }

    /** The directory holding the files and {@code report.json} (PyTorch's own test accuracy of each network). */
    static synchronized Path dir() throws IOException, InterruptedException {
        // The script reads MNIST with torch_models.py's reader: either changing makes the files again.
        if (dir == null) dir = PythonFixtures.generate("keras-import-models", "python3-torch and python3-h5py", "keras_files.py", "torch_models.py");
        return dir;
    }

    /** PyTorch's test accuracy of the network in {@code file}, as the script measured it. */
    static double accuracy(String file) throws IOException, InterruptedException {
        return PythonFixtures.accuracy(dir(), file);
    }
}
