package dev.digits.convert.tfjs;

import dev.digits.core.error.InvalidInputException;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Where TensorFlow.js runs outside a browser: {@code node} from the PATH (or system property {@code digits.node})
 * and the small node package {@code convert/tfjs-runtime} holding {@code run.mjs} and {@code @tensorflow/tfjs}
 * (system property {@code digits.tfjs.runtime}, by default found above the jar or classes Digits runs from, so
 * that it works from any working directory), with
 * one of TF.js' backends that need nothing native (system property {@code digits.tfjs.backend}).
 */
public final class TfjsRuntime {
    /** System property naming the runtime directory. */
    public static final String RUNTIME_PROPERTY = "digits.tfjs.runtime";
    /** System property naming the node executable. */
    public static final String NODE_PROPERTY = "digits.node";
    /** System property choosing the backend: {@code wasm} (default) or {@code cpu}. */
    public static final String BACKEND_PROPERTY = "digits.tfjs.backend";

    /** TF.js backends that run under node without native add-ons. */
    public enum Backend {
        /**
         * WebAssembly with SIMD (XNNPACK kernels), single-threaded: what a browser uses without WebGL; about 25
         * times faster than {@link #CPU} on convolutions.
         */
        WASM,
        /** TF.js' pure-JavaScript kernels: the plainest implementation, slow on convolutions. */
        CPU;

        /** The name TF.js knows the backend by. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Parses {@code wasm} or {@code cpu}; the error lists both. */
        public static Backend parse(String s) {
            for (Backend b : values()) if (b.id().equalsIgnoreCase(s.trim())) return b;
            throw new InvalidInputException("unknown TF.js backend '" + s + "'; choose wasm or cpu");
        }
    }

    private static final String RELATIVE = "convert/tfjs-runtime";
    private static final String INSTALL = "run `npm ci --prefix " + RELATIVE + "` in the Digits source tree";

    private final Path node;
    private final Path directory;
    private final Backend backend;

    private TfjsRuntime(Path node, Path directory, Backend backend) {
        this.node = node;
        this.directory = directory;
        this.backend = backend;
    }

    /**
     * Finds node and the runtime directory, checking that TF.js is installed there; the backend is
     * {@code -Ddigits.tfjs.backend} or {@link Backend#WASM}.
     *
     * @throws IllegalStateException saying what is missing and how to install it
     */
    public static TfjsRuntime locate() {
        Path dir = findRuntimeDirectory();
        for (String pkg : new String[] {"tfjs", "tfjs-backend-wasm"}) {
            if (!Files.isRegularFile(dir.resolve("node_modules/@tensorflow/" + pkg + "/package.json"))) {
                throw new IllegalStateException("TensorFlow.js (@tensorflow/" + pkg + ") is not installed in " + dir + "; " + INSTALL);
            }
        }
        String b = System.getProperty(BACKEND_PROPERTY);
        return new TfjsRuntime(findNode(), dir, b == null || b.isBlank() ? Backend.WASM : Backend.parse(b));
    }

    /** The same runtime with another backend. */
    public TfjsRuntime withBackend(Backend b) {
        return new TfjsRuntime(node, directory, b);
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
        // Found from where Digits is installed (its jar or classes inside a checkout), not from where it is run.
        Path installed = installation();
        for (Path p = installed; p != null; p = p.getParent()) {
            Path candidate = p.resolve(RELATIVE);
            if (Files.isRegularFile(candidate.resolve("run.mjs"))) return candidate.normalize();
        }
        throw new IllegalStateException("cannot find " + RELATIVE + "/run.mjs above the Digits installation " + installed
                + "; build Digits from its source tree or set -D" + RUNTIME_PROPERTY + "=<path to " + RELATIVE + ">");
    }

    /** The jar or class directory this class was loaded from. */
    static Path installation() {
        try {
            java.security.CodeSource source = TfjsRuntime.class.getProtectionDomain().getCodeSource();
            if (source != null && source.getLocation() != null) return Path.of(source.getLocation().toURI()).toAbsolutePath();
        } catch (java.net.URISyntaxException | IllegalArgumentException | SecurityException e) {
            // Fall back to the working directory below.
        }
        return Path.of("").toAbsolutePath();
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

    /** The backend models are loaded with. */
    public Backend backend() {
        return backend;
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
