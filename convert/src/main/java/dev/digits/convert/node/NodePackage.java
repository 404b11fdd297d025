package dev.digits.convert.node;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A small node package of the Digits source tree that runs models for Java ({@code convert/tfjs-runtime},
 * {@code convert/litert-runtime}): where it and node are. The package is found above the jar or classes Digits runs
 * from, so that it works from any working directory, or where a system property points; node is found on the PATH
 * or where {@value #NODE_PROPERTY} points.
 */
public final class NodePackage {
    /** System property naming the node executable. */
    public static final String NODE_PROPERTY = "digits.node";

    private final Path node;
    private final Path directory;

    private NodePackage(Path node, Path directory) {
        this.node = node;
        this.directory = directory;
    }

    /**
     * Finds the package and node, checking that the package's dependencies are installed.
     *
     * @param relative         the package's directory in the source tree, e.g. {@code convert/litert-runtime}
     * @param property         system property that may name the directory instead
     * @param what             what the package runs, for messages ("TensorFlow.js")
     * @param modules          the npm packages it needs, e.g. {@code @tensorflow/tfjs}
     * @throws IllegalStateException saying what is missing and how to install it
     */
    public static NodePackage locate(String relative, String property, String what, String... modules) {
        String install = installCommand(relative);
        Path dir = findDirectory(relative, property);
        for (String module : modules) {
            if (!Files.isRegularFile(dir.resolve("node_modules/" + module + "/package.json"))) {
                throw new IllegalStateException(what + " (" + module + ") is not installed in " + dir + "; " + install);
            }
        }
        return new NodePackage(findNode(what, install), dir);
    }

    /** What to run to install a package's dependencies. */
    public static String installCommand(String relative) {
        return "run `npm ci --prefix " + relative + "` in the Digits source tree";
    }

    private static Path findDirectory(String relative, String property) {
        String configured = System.getProperty(property);
        if (configured != null && !configured.isBlank()) {
            Path dir = Path.of(configured).toAbsolutePath().normalize();
            if (!Files.isRegularFile(dir.resolve("run.mjs"))) {
                throw new IllegalStateException("-D" + property + "=" + configured + " has no run.mjs; point it at the "
                        + relative + " directory of the Digits source tree");
            }
            return dir;
        }
        // Found from where Digits is installed (its jar or classes inside a checkout), not from where it is run.
        Path installed = installation();
        for (Path p = installed; p != null; p = p.getParent()) {
            Path candidate = p.resolve(relative);
            if (Files.isRegularFile(candidate.resolve("run.mjs"))) return candidate.normalize();
        }
        throw new IllegalStateException("cannot find " + relative + "/run.mjs above the Digits installation " + installed
                + "; build Digits from its source tree or set -D" + property + "=<path to " + relative + ">");
    }

    /** The jar or class directory this class was loaded from. */
    public static Path installation() {
        try {
            java.security.CodeSource source = NodePackage.class.getProtectionDomain().getCodeSource();
            if (source != null && source.getLocation() != null) return Path.of(source.getLocation().toURI()).toAbsolutePath();
        } catch (java.net.URISyntaxException | IllegalArgumentException | SecurityException e) {
            // Fall back to the working directory below.
        }
        return Path.of("").toAbsolutePath();
    }

    private static Path findNode(String what, String install) {
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
        throw new IllegalStateException("running " + what + " models needs Node.js 18 or newer, and no node is on the PATH;"
                + " install Node.js (or set -D" + NODE_PROPERTY + "=<path to node>), then " + install);
    }

    /** The node executable. */
    public Path node() {
        return node;
    }

    /** The package directory (with {@code run.mjs} and {@code node_modules}). */
    public Path directory() {
        return directory;
    }

    /** Starts {@code node run.mjs arguments…} in the package directory. */
    public NodeModelProcess start(String runtimeName, String... arguments) throws java.io.IOException {
        return NodeModelProcess.start(runtimeName, node, directory.resolve("run.mjs"), arguments);
    }
}
