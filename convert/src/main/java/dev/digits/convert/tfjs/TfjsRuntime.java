package dev.digits.convert.tfjs;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where TensorFlow.js runs outside a browser: {@code node} from the PATH (or system property {@code digits.node})
 * and the small node package {@code convert/tfjs-runtime} holding {@code run.mjs} and {@code @tensorflow/tfjs}
 * (system property {@code digits.tfjs.runtime}, by default found by walking up from the working directory).
 */
public final class TfjsRuntime {
    /** System property naming the runtime directory. */
    public static final String RUNTIME_PROPERTY = "digits.tfjs.runtime";
    /** System property naming the node executable. */
    public static final String NODE_PROPERTY = "digits.node";

    private static final String RELATIVE = "convert/tfjs-runtime";
    private static final String INSTALL = "run `npm ci --prefix " + RELATIVE + "` in the Digits source tree";

    private final Path node;
    private final Path directory;

    private TfjsRuntime(Path node, Path directory) {
        this.node = node;
        this.directory = directory;
    }

    /**
     * Finds node and the runtime directory, checking that TF.js is installed there.
     *
     * @throws IllegalStateException saying what is missing and how to install it
     */
    public static TfjsRuntime locate() {
        Path dir = findRuntimeDirectory();
        if (!Files.isRegularFile(dir.resolve("node_modules/@tensorflow/tfjs/package.json"))) {
            throw new IllegalStateException("TensorFlow.js is not installed in " + dir + "; " + INSTALL);
        }
        return new TfjsRuntime(findNode(), dir);
    }

    private static Path findRuntimeDirectory() {
        String configured = System.getProperty(RUNTIME_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            Path dir = Path.of(configured).toAbsolutePath().normalize();
            if (!Files.isRegularFile(dir.resolve("run.mjs"))) {
                throw new IllegalStateException("-D" + RUNTIME_PROPERTY + "=" + configured + " has no run.mjs; point it at the "
                        + RELATIVE + " directory of the Digits source tree");
            }
            return dir;
        }
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve(RELATIVE);
            if (Files.isRegularFile(candidate.resolve("run.mjs"))) return candidate.normalize();
        }
        throw new IllegalStateException("cannot find " + RELATIVE + "/run.mjs above " + Path.of("").toAbsolutePath()
                + "; run from the Digits source tree or set -D" + RUNTIME_PROPERTY + "=<path to " + RELATIVE + ">");
    }

    private static Path findNode() {
        String configured = System.getProperty(NODE_PROPERTY);
        if (configured != null && !configured.isBlank()) {
            Path p = Path.of(configured);
            if (!Files.isExecutable(p)) {
                throw new IllegalStateException("-D" + NODE_PROPERTY + "=" + configured + " is not an executable node");
            }
            return p;
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                if (dir.isEmpty()) continue;
                for (String name : new String[] {"node", "node.exe"}) {
                    Path p = Path.of(dir, name);
                    if (Files.isRegularFile(p) && Files.isExecutable(p)) return p;
                }
            }
        }
        throw new IllegalStateException("running TF.js models needs Node.js 18 or newer, and no node is on the PATH;"
                + " install Node.js (or set -D" + NODE_PROPERTY + "=<path to node>), then " + INSTALL);
    }

    /** The node executable. */
    public Path node() {
        return node;
    }

    /** The runtime directory (with {@code run.mjs} and {@code node_modules}). */
    public Path directory() {
        return directory;
    }

    /**
     * Starts one node process that loads {@code modelJson} with {@code tf.loadLayersModel} and keeps it loaded until
     * the returned model is closed.
     *
     * @throws IOException when node cannot start or TF.js cannot load the file (the message carries TF.js' own)
     */
    public TfjsLoadedModel load(Path modelJson) throws IOException {
        return TfjsLoadedModel.start(this, modelJson);
    }
}
