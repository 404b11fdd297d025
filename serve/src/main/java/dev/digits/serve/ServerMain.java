package dev.digits.serve;

import dev.digits.core.error.DigitsException;
import dev.digits.serve.inference.VersionVerifier;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * The server on its own: {@code java -jar digits-server.jar [--port N] [--host H] [--models DIR]
 * [--default-model NAME]}, with {@code DIGITS_ADMIN_TOKEN} enabling administration. Its runtime is core, ONNX Runtime
 * and the HTTP stack — no training or conversion — so it runs wherever ONNX Runtime's jar has natives (Linux x86-64
 * and aarch64, macOS, Windows). It serves exported models only: a model directory without a verified ONNX export is
 * refused with the command that makes one.
 */
public final class ServerMain {
    static final String USAGE = "usage: java -jar digits-server.jar [--port N] [--host ADDRESS] [--models DIR] [--default-model NAME]"
            + " [--verification-data DIR] [--registry JDBC_URL]\n"
            + "  --port N             port to listen on, 0 for a free one (default 8080)\n"
            + "  --host ADDRESS       address to bind (default 0.0.0.0)\n"
            + "  --models DIR         models exported with `digits export` (default: the embedded cnn)\n"
            + "  --default-model NAME model answering requests that name none\n"
            + "  --verification-data DIR  the MNIST test set uploads are held to their cards on (1,000 digits;\n"
            + "                       default: DIGITS_DATA_DIR's when it holds one, else the 100 packaged)\n"
            + "  --registry JDBC_URL  a registry shared by replicas, jdbc:postgresql://HOST:PORT/DB?user=… (default:\n"
            + "                       DIGITS_REGISTRY); --models then only seeds an empty registry\n"
            + "  DIGITS_ADMIN_TOKEN   environment variable: enables the administration API (bearer token)";

    private ServerMain() {
    }

    public static void main(String[] args) {
        // Before the first logger: the server's own lines at info, the HTTP stack's chatter only when it warns.
        defaultProperty("org.slf4j.simpleLogger.defaultLogLevel", "info");
        defaultProperty("org.slf4j.simpleLogger.showThreadName", "false");
        defaultProperty("org.slf4j.simpleLogger.showShortLogName", "true");
        defaultProperty("org.slf4j.simpleLogger.log.org.eclipse.jetty", "warn");
        defaultProperty("org.slf4j.simpleLogger.log.io.javalin", "warn");
        System.exit(run(args, System.out, System.err));
    }

    private static void defaultProperty(String key, String value) {
        if (System.getProperty(key) == null) System.setProperty(key, value);
    }

    /** Parses {@code args}, serves until the JVM is asked to stop, and returns the exit code. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        ServerConfig.Builder config = ServerConfig.builder().host("0.0.0.0").port(8080);
        boolean verificationDataGiven = false;
        boolean registryGiven = false;
        try {
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("-h") || a.equals("--help")) {
                    out.println(USAGE);
                    return 0;
                }
                if (i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value");
                String v = args[++i];
                switch (a) {
                    case "--port", "-p" -> config.port(Integer.parseInt(v));
                    case "--host" -> config.host(v);
                    case "--models", "-m" -> config.models(Path.of(v));
                    case "--default-model" -> config.defaultModel(v);
                    case "--registry" -> {
                        config.registry(v);
                        registryGiven = true;
                    }
                    case "--verification-data" -> {
                        config.verificationData(Path.of(v));
                        verificationDataGiven = true;
                    }
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
        } catch (IllegalArgumentException e) {
            err.println("digits-server: " + e.getMessage() + "\n" + USAGE);
            return 2;
        }
        // As `digits serve` does: the MNIST test set of DIGITS_DATA_DIR, when it is there, checks uploads on 1,000 digits.
        String data = System.getenv("DIGITS_DATA_DIR");
        if (!verificationDataGiven && data != null && !data.isBlank()
                && VersionVerifier.holdsMnistTestSet(Path.of(data))) {
            config.verificationData(Path.of(data));
        }
        String token = System.getenv("DIGITS_ADMIN_TOKEN");
        if (token != null && !token.isBlank()) config.adminToken(token);
        if (!registryGiven) config.registry(System.getenv("DIGITS_REGISTRY"));
        try {
            serveUntilStopped(config.build(), out);
            return 0;
        } catch (DigitsException e) {
            err.println("digits-server: " + e.getMessage());
            return e.kind().exitCode();
        } catch (Exception e) {
            err.println("digits-server: " + e);
            e.printStackTrace(err);
            return 1;
        }
    }

    /**
     * Starts the server and blocks until the JVM is asked to stop (Ctrl-C, SIGTERM), then stops accepting, lets
     * requests in flight finish and unloads the models. Meanwhile {@code System.err}, where the log goes, is written
     * in batches ({@link BatchedStandardError}).
     */
    public static void serveUntilStopped(ServerConfig config, PrintStream out) throws Exception {
        try (BatchedStandardError log = BatchedStandardError.install()) {
            serveUntilStopped(config, out, log);
        }
    }

    private static void serveUntilStopped(ServerConfig config, PrintStream out, BatchedStandardError log)
            throws Exception {
        DigitsServer server = DigitsServer.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runnable stop = () -> {
            server.close();
            // On an exit through the shutdown hook the JVM may halt before the caller closes the batches.
            log.flush();
            stopped.countDown();
        };
        // SIGTERM and Ctrl-C are taken here, before the JVM begins to shut down: the server drains its requests and
        // closes its models while ONNX Runtime is alive. ONNX Runtime closes its environment in a shutdown hook of
        // its own, which runs alongside every other hook, so a drain inside a hook raced it and crashed the JVM in a
        // session still running. The caller exits (0) once the drain is done; the hook stays for other exits.
        for (String name : new String[] {"TERM", "INT"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> new Thread(stop, "digits-stop").start());
            } catch (IllegalArgumentException e) {
                // The platform has no such signal (INT/TERM exist on Linux, macOS and Windows' JVM alike).
            }
        }
        Runtime.getRuntime().addShutdownHook(new Thread(stop, "digits-shutdown"));
        // The start's log lines come before the announcement, as they did when every line was written at once.
        log.flush();
        String host = "0.0.0.0".equals(config.host()) ? "localhost" : config.host();
        out.println("Digits is serving on http://" + host + ":" + server.port() + "/  (API: /api/v1/predict,"
                + " models: /api/v1/models, OpenAPI: /openapi.json; Ctrl-C to stop)");
        if (config.adminToken() != null) out.println("Administration enabled (bearer token from DIGITS_ADMIN_TOKEN).");
        stopped.await();
    }
}
