package dev.digits.convert.importer;

import dev.digits.core.artifact.Digests;
import dev.digits.core.json.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Keras files ({@code .h5} in the Keras 2 and Keras 3 layouts, {@code .keras} in the Keras 3 and Keras 2.13–2.15
 * layouts) of small MNIST networks trained in PyTorch and written with h5py in the layouts Keras writes
 * ({@code src/test/python/keras_files.py}, run with Debian's python3-torch and python3-h5py: no Keras or TensorFlow
 * is installed here). Generated once into {@code target/keras-import-models} and reused while the scripts are
 * unchanged.
 */
final class KerasFiles {
    private static final Path PYTHON = Path.of("src/test/python");
    private static final Path SCRIPT = PYTHON.resolve("keras_files.py");
    private static final Path DIR = Path.of("target/keras-import-models");
    private static boolean ready;

    private KerasFiles() {
    }

    /** The directory holding the files and {@code report.json} (PyTorch's own test accuracy of each network). */
    static synchronized Path dir() throws IOException, InterruptedException {
        if (ready) return DIR;
        // The script reads MNIST with torch_models.py's reader: either changing makes the files again.
        String hash = Digests.sha256((Digests.sha256(SCRIPT) + Digests.sha256(PYTHON.resolve("torch_models.py")))
                .getBytes(StandardCharsets.UTF_8));
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
                throw new IllegalStateException(SCRIPT + " failed (python3-torch and python3-h5py installed?):\n"
                        + Files.readString(DIR.resolve("script.log")));
            }
            Files.writeString(stamp, hash);
        }
        ready = true;
        return DIR;
    }

    /** PyTorch's test accuracy of the network in {@code file}, as the script measured it. */
    static double accuracy(String file) throws IOException, InterruptedException {
        Map<String, Object> report = Json.parseObject(Files.readString(dir().resolve("report.json"), StandardCharsets.UTF_8));
        Object a = report.get(file);
        if (!(a instanceof Number n)) throw new IllegalStateException("report.json has no accuracy for " + file);
        return n.doubleValue();
    }
}
