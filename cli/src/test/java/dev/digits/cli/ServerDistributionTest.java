package dev.digits.cli;

import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The server distribution that serve's build leaves in {@code serve/target/} ({@code digits-server.jar} and its
 * {@code lib/}) runs on its own, in a JVM of its own: it serves the embedded model and maps no training or TFLite
 * library, and its jars hold nothing of train or convert.
 */
class ServerDistributionTest {
    private static final Path TARGET = Path.of("").toAbsolutePath().getParent().resolve("serve/target");

    @Test
    void theServerJarAndItsLibServeTheEmbeddedModelWithoutTheTrainingStack() throws Exception {
        Path jar = TARGET.resolve("digits-server.jar");
        assertTrue(Files.isRegularFile(jar), jar + " is built by serve's package phase");
        List<String> libs;
        try (Stream<Path> s = Files.list(TARGET.resolve("lib"))) {
            libs = s.map(p -> p.getFileName().toString()).sorted().toList();
        }
        assertTrue(libs.stream().anyMatch(l -> l.startsWith("onnxruntime-")), libs.toString());
        for (String forbidden : List.of("pytorch", "djl", "tflite", "xchart", "digits-train", "digits-convert", "progressbar")) {
            assertFalse(libs.stream().anyMatch(l -> l.contains(forbidden)), forbidden + " in " + libs);
        }

        Object[] started = startDistribution();
        Process p = (Process) started[0];
        int port = (Integer) started[1];
        try {
            String maps = healthyAndMapped(p, port);
            assertFalse(maps.contains("libtorch") || maps.contains("tensorflowlite"), "the server mapped a training or TFLite library");
            assertTrue(maps.contains("onnxruntime"), "ONNX Runtime is what serves");
        } finally {
            p.destroy();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the server stops on SIGTERM");
        }
        assertEquals(0, p.exitValue(), "exit code after SIGTERM and a clean drain");
    }

    /**
     * The launcher beside the jar runs it with the class-data archive the build recorded: the JVM maps
     * {@code digits-server.jsa} (so the archive fits this Java and this location), the embedded model is served, and
     * the server says how long after the JVM's start it was ready.
     */
    @Test
    void theLauncherRunsTheServerOnItsStartupArchive() throws Exception {
        Path launcher = TARGET.resolve("digits-server");
        assertTrue(Files.isExecutable(launcher), launcher + " is made by serve's package phase");
        assertTrue(Files.isRegularFile(TARGET.resolve("digits-server.jsa")), "the build records the start-up archive");
        ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "--port", "0", "--host", "127.0.0.1");
        pb.environment().put("JAVA", java());
        Object[] started = startDistribution(pb);
        Process p = (Process) started[0];
        int port = (Integer) started[1];
        try {
            String maps = healthyAndMapped(p, port);
            assertTrue(maps.contains("digits-server.jsa"), "the JVM did not map the start-up archive");
            assertTrue(((String) started[2]).matches("(?s).*ready \\d+ ms after the JVM started.*"), (String) started[2]);
        } finally {
            p.destroy();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the server stops on SIGTERM");
        }
        assertEquals(0, p.exitValue(), "exit code after SIGTERM and a clean drain");
    }

    /** Asserts that the server on {@code port} serves the embedded model; returns what process {@code p} maps. */
    private static String healthyAndMapped(Process p, int port) throws Exception {
        HttpResponse<String> health = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode(), health.body());
        assertTrue(health.body().contains("cnn.onnx"), health.body());
        return Files.readString(Path.of("/proc/" + p.pid() + "/maps"));
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Starts the distribution's jar on a free port; returns the process and its port. */
    private static Object[] startDistribution() throws Exception {
        return startDistribution(new ProcessBuilder(java(), "-jar", TARGET.resolve("digits-server.jar").toString(),
                "--port", "0", "--host", "127.0.0.1"));
    }

    /** Starts {@code command}, a server on a free port; returns the process, its port and its output up to then. */
    private static Object[] startDistribution(ProcessBuilder command) throws Exception {
        Process p = command.redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        Pattern serving = Pattern.compile("serving on http://127\\.0\\.0\\.1:(\\d+)/");
        StringBuilder seen = new StringBuilder();
        for (String line; (line = out.readLine()) != null; ) {
            seen.append(line).append('\n');
            Matcher m = serving.matcher(line);
            if (m.find()) {
                // Keep reading its output so that the server never blocks on a full pipe.
                Thread drain = new Thread(() -> {
                    try {
                        while (out.readLine() != null) {
                            // discarded
                        }
                    } catch (java.io.IOException e) {
                        // the process ended
                    }
                });
                drain.setDaemon(true);
                drain.start();
                return new Object[] {p, Integer.parseInt(m.group(1)), seen.toString()};
            }
        }
        throw new AssertionError("the server did not say where it serves:\n" + seen);
    }

    /**
     * SIGTERM while a 64-image batch is still being received: the request is answered in full (its results, or a
     * JSON 503 if it came too late), the JVM does not crash inside ONNX Runtime, and the process exits 0.
     */
    @Test
    void sigtermWithABatchInFlightDrainsItAndExitsZero() throws Exception {
        Object[] started = startDistribution();
        Process p = (Process) started[0];
        int port = (Integer) started[1];
        StringBuilder json = new StringBuilder("{\"pixels\": [");
        dev.digits.core.data.ImageSet test = dev.digits.train.TestData.mnist().test();
        for (int i = 0; i < 64; i++) {
            if (i > 0) json.append(',');
            json.append('[');
            float[] px = test.image(i);
            for (int k = 0; k < px.length; k++) json.append(k > 0 ? "," : "").append(px[k]);
            json.append(']');
        }
        byte[] body = json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        String response;
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            java.io.OutputStream o = socket.getOutputStream();
            o.write(("POST /api/v1/predict/batch HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            o.write(body, 0, body.length / 2);
            o.flush();
            Thread.sleep(300);
            p.destroy();
            Thread.sleep(300);
            o.write(body, body.length / 2, body.length - body.length / 2);
            o.flush();
            response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the server stops after draining");
        String status = response.isEmpty() ? "" : response.substring(0, response.indexOf('\r'));
        boolean answered = status.contains(" 200 ") && response.contains("\"results\"");
        boolean refused = status.contains(" 503 ") && response.contains("\"error\"");
        assertTrue(answered || refused, "the request in flight got a whole answer: " + (response.length() > 300
                ? response.substring(0, 300) : response));
        assertEquals(0, p.exitValue(), "exit code after a clean drain");
        try (Stream<Path> files = Files.list(Path.of(""))) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().startsWith("hs_err_pid" + p.pid())), "a JVM crash report");
        }
    }
}
