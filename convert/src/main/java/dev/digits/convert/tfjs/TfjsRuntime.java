package dev.digits.convert.tfjs;

import dev.digits.convert.node.NodePackage;
import dev.digits.core.error.InvalidInputException;
import java.io.IOException;
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
    public static final String NODE_PROPERTY = NodePackage.NODE_PROPERTY;
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

    private final NodePackage nodePackage;
    private final Backend backend;

    private TfjsRuntime(NodePackage nodePackage, Backend backend) {
        this.nodePackage = nodePackage;
        this.backend = backend;
    }

    /**
     * Finds node and the runtime directory, checking that TF.js is installed there; the backend is
     * {@code -Ddigits.tfjs.backend} or {@link Backend#WASM}.
     *
     * @throws IllegalStateException saying what is missing and how to install it
     */
    public static TfjsRuntime locate() {
        NodePackage p = NodePackage.locate(RELATIVE, RUNTIME_PROPERTY, "TensorFlow.js", "@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm");
        String b = System.getProperty(BACKEND_PROPERTY);
        return new TfjsRuntime(p, b == null || b.isBlank() ? Backend.WASM : Backend.parse(b));
    }

    /** The same runtime with another backend. */
    public TfjsRuntime withBackend(Backend b) {
        return new TfjsRuntime(nodePackage, b);
    }

    /** The node executable. */
    public Path node() {
        return nodePackage.node();
    }

    /** The runtime directory (with {@code run.mjs} and {@code node_modules}). */
    public Path directory() {
        return nodePackage.directory();
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
        return TfjsLoadedModel.start(nodePackage, backend, modelJson);
    }
}
