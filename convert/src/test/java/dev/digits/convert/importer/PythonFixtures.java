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
 * Model files that third-party Python tools write for the import tests: a script under {@code src/test/python},
 * run with Debian's interpreter and packages, into a directory under {@code target/}, again only when one of the
 * scripts it depends on changed. Works from this module's tests and from a sibling module's (the CLI's).
 */
final class PythonFixtures {
    /** The convert module's directory. */
    static final Path MODULE = Files.isDirectory(Path.of("src/test/python")) ? Path.of(".") : Path.of("../convert");
    private static final Path PYTHON = MODULE.resolve("src/test/python");

    private PythonFixtures() {
    }

    /**
     * Runs {@code script} (reading MNIST from {@code -Ddigits.data}) into {@code target/<dir>} unless it is there from
     * the same scripts.
     *
     * @param scripts the script first, then the scripts it imports
     * @param needs   the Debian packages to name when it fails
     */
    static Path generate(String dir, String needs, String... scripts) throws IOException, InterruptedException {
        Path out = MODULE.resolve("target").resolve(dir);
        StringBuilder digests = new StringBuilder();
        for (String s : scripts) digests.append(Digests.sha256(PYTHON.resolve(s)));
        String hash = Digests.sha256(digests.toString().getBytes(StandardCharsets.UTF_8));
        Path stamp = out.resolve("script.sha256");
        if (Files.isRegularFile(stamp) && Files.readString(stamp).equals(hash)) return out;
        String data = System.getProperty("digits.data");
        if (data == null) throw new IllegalStateException("set -Ddigits.data to the directory holding the MNIST files");
        Files.createDirectories(out);
        // Debian's interpreter, which has the packages; a python3 earlier on the PATH (pyenv, venv) may not.
        String python = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
        Path script = PYTHON.resolve(scripts[0]);
        Process p = new ProcessBuilder(python, script.toString(), data, out.toString()).redirectErrorStream(true)
                .redirectOutput(out.resolve("script.log").toFile()).start();
        if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(script + " failed (" + needs + " installed?):\n" + Files.readString(out.resolve("script.log")));
        }
        Files.writeString(stamp, hash);
        return out;
    }

    /** The test accuracy the script measured for {@code file} in its own tool ({@code report.json}). */
    static double accuracy(Path dir, String file) throws IOException {
        Map<String, Object> report = Json.parseObject(Files.readString(dir.resolve("report.json"), StandardCharsets.UTF_8));
        Object a = report.get(file);
        if (!(a instanceof Number n)) throw new IllegalStateException("report.json has no accuracy for " + file);
        return n.doubleValue();
    }
}
