package dev.digits.android;

import com.sun.net.httpserver.HttpServer;
import dev.digits.core.artifact.InputContract;
import dev.digits.core.client.InstalledModel;
import dev.digits.core.client.ModelUpdater;
import dev.digits.core.client.UpdateResult;
import dev.digits.core.client.UpdateStatus;
import dev.digits.train.TestData;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The app's model updates ({@link ModelUpdates}, i.e. core's ModelUpdater plus the TFLite load check) against a real
 * Digits server, in the order a phone lives them: first start, nothing new, a new version, a rollback, then a
 * corrupt download, a server error and no network, each of which must leave the model in use untouched.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ModelUpdateTest {
    private static Path work;
    private static DigitsServerFixture server;
    private static File appFiles;
    private static Path v1Tflite;
    private static Path v2Tflite;
    private static float[] digit;

    @BeforeAll
    static void startServer() throws IOException {
        work = Files.createTempDirectory("digits-updates");
        Path small = ExportedModels.smallModelDirectory();
        v1Tflite = small.resolve("export/cnn.tflite");
        v2Tflite = ExportedModels.trainedExportedDirectory().resolve("export/cnn.tflite");
        server = DigitsServerFixture.start(work.resolve("models"), small);
        appFiles = work.resolve("app-files/models").toFile();
        digit = TestData.mnist().test().image(0);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) server.close();
    }

    private static ModelUpdater updater(String url) {
        return ModelUpdates.updater(appFiles, url);
    }

    private static float[] classifyWith(InstalledModel model) throws IOException {
        try (Classifier c = Classifier.open(model.file(), 1)) {
            return c.classify(digit, 0).probabilities();
        }
    }

    private static byte[] installedBytes() throws IOException {
        return Files.readAllBytes(updater(null).modelFile().toPath());
    }

    @Test
    @Order(1)
    void firstStartDownloadsTheServersModelAndTheAppRunsIt() throws IOException {
        assertNull(updater(null).installed(), "nothing is installed before the first update");
        UpdateResult r = updater(server.url()).update();
        assertEquals(UpdateStatus.DOWNLOADED, r.status(), r.message());
        InstalledModel m = r.installed();
        assertEquals("1", m.version());
        assertEquals(DigitsServerFixture.sha256(v1Tflite), m.sha256());
        assertArrayEquals(Files.readAllBytes(v1Tflite), Files.readAllBytes(m.file().toPath()));
        assertEquals(m.sha256(), updater(null).installed().sha256(), "installed() finds it again, offline");
        assertEquals(InputContract.Preprocessing.DIGIT, m.preprocessing(), "the server lists the model's preprocessing");
        assertEquals(TestData.mnist().test().label(0), argmax(classifyWith(m)));
    }

    @Test
    @Order(2)
    void anUnchangedModelIsRevalidatedWithA304AndNotDownloadedAgain() throws IOException {
        long notModifiedBefore = server.fileRequests(304);
        long downloadsBefore = server.fileRequests(200);
        long modified = updater(null).modelFile().lastModified();
        UpdateResult r = updater(server.url()).update();
        assertEquals(UpdateStatus.UP_TO_DATE, r.status(), r.message());
        assertEquals("1", r.installed().version());
        assertEquals(notModifiedBefore + 1, server.fileRequests(304), "the server answered 304 Not Modified");
        assertEquals(downloadsBefore, server.fileRequests(200), "no file was sent");
        assertEquals(modified, updater(null).modelFile().lastModified());
    }

    @Test
    @Order(3)
    void aNewVersionOnTheServerIsDownloadedAndReplacesTheOldOne() throws IOException {
        float[] before = classifyWith(updater(null).installed());
        server.publish(ExportedModels.trainedExportedDirectory());
        UpdateResult r = updater(server.url()).update();
        assertEquals(UpdateStatus.DOWNLOADED, r.status(), r.message());
        assertEquals("2", r.installed().version());
        assertTrue(r.message().contains("replacing version 1"), r.message());
        assertEquals(DigitsServerFixture.sha256(v2Tflite), updater(null).installed().sha256());
        assertFalse(Arrays.equals(before, classifyWith(updater(null).installed())),
                "the new model gives different probabilities");
        assertNoLeftovers();
    }

    @Test
    @Order(4)
    void aRollbackOnTheServerIsFollowed() throws IOException {
        server.rollback();
        UpdateResult r = updater(server.url()).update();
        assertEquals(UpdateStatus.DOWNLOADED, r.status(), r.message());
        assertEquals("1", r.installed().version());
        assertArrayEquals(Files.readAllBytes(v1Tflite), installedBytes());
        // Back to version 2 for the failure cases below: they must keep it.
        server.publish(ExportedModels.trainedExportedDirectory());
        assertEquals("3", updater(server.url()).update().installed().version());
    }

    @Test
    @Order(5)
    void aDownloadThatDoesNotMatchItsSha256IsRejectedAndTheModelInUseKept() throws IOException {
        byte[] inUse = installedBytes();
        // A server that lists the real model's size and SHA-256 but sends other bytes (one flipped): a corrupted
        // transfer, a broken cache or a tampered file look like this to the phone.
        byte[] served = Files.readAllBytes(v1Tflite);
        byte[] corrupt = served.clone();
        corrupt[corrupt.length / 2] ^= 0x40;
        try (LyingServer liar = new LyingServer(DigitsServerFixture.sha256(v1Tflite), corrupt.length, corrupt)) {
            UpdateResult r = updater(liar.url()).update();
            assertEquals(UpdateStatus.CORRUPT_DOWNLOAD, r.status(), r.message());
            assertTrue(r.message().contains("SHA-256") && r.message().contains("version 3 stays in use"),
                    r.message());
            assertEquals("3", r.installed().version());
        }
        assertArrayEquals(inUse, installedBytes());
        assertEquals("3", updater(null).installed().version());
        assertNoLeftovers();
    }

    @Test
    @Order(6)
    void aTruncatedDownloadIsRejected() throws IOException {
        byte[] inUse = installedBytes();
        byte[] whole = Files.readAllBytes(v1Tflite);
        byte[] half = Arrays.copyOf(whole, whole.length / 2);
        try (LyingServer liar = new LyingServer(DigitsServerFixture.sha256(v1Tflite), whole.length, half)) {
            UpdateResult r = updater(liar.url()).update();
            assertEquals(UpdateStatus.CORRUPT_DOWNLOAD, r.status(), r.message());
            assertTrue(r.message().contains("bytes instead of the " + whole.length), r.message());
        }
        assertArrayEquals(inUse, installedBytes());
        assertNoLeftovers();
    }

    @Test
    @Order(7)
    void anIntactFileThatIsNotAUsableModelIsRejectedByTheTfliteCheck() throws IOException {
        byte[] inUse = installedBytes();
        byte[] notAModel = "this is a text file, not a TFLite flatbuffer".getBytes(StandardCharsets.UTF_8);
        try (LyingServer server = new LyingServer(sha256(notAModel), notAModel.length, notAModel)) {
            UpdateResult r = updater(server.url()).update();
            assertEquals(UpdateStatus.REJECTED, r.status(), r.message());
            assertTrue(r.message().contains("cannot be used on this device"), r.message());
        }
        assertArrayEquals(inUse, installedBytes());
        assertNoLeftovers();
    }

    @Test
    @Order(8)
    void aServerErrorKeepsTheModelInUse() throws IOException {
        byte[] inUse = installedBytes();
        try (LyingServer broken = LyingServer.failing()) {
            UpdateResult r = updater(broken.url()).update();
            assertEquals(UpdateStatus.SERVER_ERROR, r.status(), r.message());
            assertTrue(r.message().contains("500") && r.message().contains("disk full"), r.message());
            assertEquals("3", r.installed().version());
        }
        assertArrayEquals(inUse, installedBytes());
    }

    @Test
    @Order(9)
    void noNetworkKeepsTheModelInUseAndItStillClassifies() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        UpdateResult r = updater("http://127.0.0.1:" + closedPort).update();
        assertEquals(UpdateStatus.UNREACHABLE, r.status(), r.message());
        assertTrue(r.message().startsWith("Cannot reach the Digits server at http://127.0.0.1:" + closedPort),
                r.message());
        assertEquals("3", r.installed().version());
        assertEquals(TestData.mnist().test().label(0), argmax(classifyWith(updater(null).installed())));
    }

    @Test
    @Order(10)
    void aDamagedModelFileOnThePhoneIsNotUsed() throws IOException {
        Path file = updater(null).modelFile().toPath();
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length - 1] ^= 1;
        Files.write(file, bytes);
        assertNull(updater(null).installed(), "a file that no longer matches its SHA-256 is ignored");
        // The next update repairs it: the damaged file's digest is not the server's, so it is downloaded again.
        UpdateResult r = updater(server.url()).update();
        assertEquals(UpdateStatus.DOWNLOADED, r.status(), r.message());
        assertNotNull(updater(null).installed());
    }

    /**
     * A download that breaks off halfway — the connection drops after half the bytes its Content-Length announced —
     * keeps those bytes; the next update asks the real server only for the rest (a 206 it counts) and installs the
     * whole, checked against its SHA-256.
     */
    @Test
    @Order(11)
    void aDownloadThatBreaksOffResumesFromWhereItStopped() throws IOException {
        server.publish(ExportedModels.smallModelDirectory());
        byte[] whole = Files.readAllBytes(v1Tflite);
        String sha = DigitsServerFixture.sha256(v1Tflite);
        try (LyingServer cut = LyingServer.cuttingOff(sha, whole, whole.length / 2)) {
            UpdateResult r = updater(cut.url()).update();
            assertEquals(UpdateStatus.UNREACHABLE, r.status(), r.message());
            assertTrue(r.message().contains("broke off after " + whole.length / 2 + " of " + whole.length)
                    && r.message().contains("resumes"), r.message());
            assertEquals("3", r.installed().version(), "the model in use stays");
        }
        long partials = server.fileRequests(206);
        UpdateResult r = updater(server.url()).update();
        assertEquals(UpdateStatus.DOWNLOADED, r.status(), r.message());
        assertTrue(r.message().contains("resumed at byte " + whole.length / 2), r.message());
        assertEquals(partials + 1, server.fileRequests(206), "the server sent only the rest (206 Partial Content)");
        assertArrayEquals(whole, installedBytes());
        assertEquals(sha, updater(null).installed().sha256());
        assertNoLeftovers();
    }

    @Test
    @Order(12)
    void theListedPreprocessingTravelsWithTheDownloadAndAnUnknownOneIsRefused() throws IOException {
        byte[] file = Files.readAllBytes(v2Tflite);
        String sha = DigitsServerFixture.sha256(v2Tflite);
        try (LyingServer deskewed = LyingServer.listing(5, "{\"preprocessing\":\"digit-deskewed\"}", sha, file)) {
            UpdateResult r = updater(deskewed.url()).update();
            assertEquals(UpdateStatus.DOWNLOADED, r.status(), r.message());
            assertEquals(InputContract.Preprocessing.DIGIT_DESKEWED, r.installed().preprocessing());
        }
        assertEquals(InputContract.Preprocessing.DIGIT_DESKEWED, updater(null).installed().preprocessing(),
                "recorded with the file, so it holds offline and after a restart");
        try (LyingServer unknown = LyingServer.listing(6, "{\"preprocessing\":\"sharpen\"}", sha, file)) {
            UpdateResult r = updater(unknown.url()).update();
            assertEquals(UpdateStatus.SERVER_ERROR, r.status(), r.message());
            assertTrue(r.message().contains("'sharpen'") && r.message().contains("update the app"), r.message());
            assertEquals("5", r.installed().version(), "the model in use stays");
        }
    }

    private static void assertNoLeftovers() throws IOException {
        try (Stream<Path> files = Files.list(appFiles.toPath())) {
            String left = files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("."))
                    .reduce("", (a, b) -> a + " " + b);
            assertEquals("", left, "temporary download files left behind");
        }
    }

    private static int argmax(float[] p) {
        int best = 0;
        for (int i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
        return best;
    }

    private static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A real HTTP server that speaks the Digits model API but does not keep its promises: it lists a model file with
     * one SHA-256 and size and sends whatever bytes it is given, or answers the list with a server error.
     */
    static final class LyingServer implements AutoCloseable {
        private final HttpServer http;

        LyingServer(String listedSha256, long listedSize, byte[] sent) throws IOException {
            http = HttpServer.create(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
            String listing = "{\"models\":[{\"name\":\"cnn\",\"latest\":4,\"versions\":[{\"version\":4,\"formats\":["
                    + "{\"format\":\"tflite\",\"quantization\":\"float32\",\"url\":\"/files/cnn.tflite\",\"size\":"
                    + listedSize + ",\"sha256\":\"" + listedSha256 + "\"}]}]}]}";
            http.createContext("/api/v1/models", ex -> send(ex, 200, "application/json",
                    listing.getBytes(StandardCharsets.UTF_8)));
            http.createContext("/files/cnn.tflite", ex -> send(ex, 200, "application/octet-stream", sent));
            http.start();
        }

        private LyingServer() throws IOException {
            http = HttpServer.create(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
            http.createContext("/api/v1/models", ex -> send(ex, 500, "application/json",
                    "{\"error\":\"disk full\",\"detail\":\"cannot read the models directory\"}"
                            .getBytes(StandardCharsets.UTF_8)));
            http.start();
        }

        /** Lists {@code file} truthfully as version {@code version} with the input description {@code input}. */
        static LyingServer listing(int version, String input, String sha256, byte[] file) throws IOException {
            return new LyingServer(version, input, sha256, file);
        }

        private LyingServer(int version, String input, String sha256, byte[] file) throws IOException {
            http = HttpServer.create(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
            String listing = "{\"models\":[{\"name\":\"cnn\",\"latest\":" + version + ",\"versions\":[{\"version\":"
                    + version + ",\"input\":" + input + ",\"formats\":[{\"format\":\"tflite\",\"quantization\":\"float32\","
                    + "\"url\":\"/files/cnn.tflite\",\"size\":" + file.length + ",\"sha256\":\"" + sha256 + "\"}]}]}]}";
            http.createContext("/api/v1/models", ex -> send(ex, 200, "application/json",
                    listing.getBytes(StandardCharsets.UTF_8)));
            http.createContext("/files/cnn.tflite", ex -> send(ex, 200, "application/octet-stream", file));
            http.start();
        }

        static LyingServer failing() throws IOException {
            return new LyingServer();
        }

        /** Lists {@code file} truthfully, then announces all of it and drops the connection after {@code sent} bytes. */
        static LyingServer cuttingOff(String sha256, byte[] file, int sent) throws IOException {
            return new LyingServer(sha256, file, sent);
        }

        private LyingServer(String sha256, byte[] file, int sent) throws IOException {
            http = HttpServer.create(new InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
            String listing = "{\"models\":[{\"name\":\"cnn\",\"latest\":4,\"versions\":[{\"version\":4,\"formats\":["
                    + "{\"format\":\"tflite\",\"quantization\":\"float32\",\"url\":\"/files/cnn.tflite\",\"size\":"
                    + file.length + ",\"sha256\":\"" + sha256 + "\"}]}]}]}";
            http.createContext("/api/v1/models", ex -> send(ex, 200, "application/json",
                    listing.getBytes(StandardCharsets.UTF_8)));
            http.createContext("/files/cnn.tflite", ex -> {
                ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
                ex.sendResponseHeaders(200, file.length);
                OutputStream out = ex.getResponseBody();
                out.write(file, 0, sent);
                out.flush();
                // Fewer bytes than announced: closing the exchange drops the connection, as a network would.
                ex.close();
            });
            http.start();
        }

        private static void send(com.sun.net.httpserver.HttpExchange ex, int status, String type, byte[] body)
                throws IOException {
            ex.getResponseHeaders().set("Content-Type", type);
            ex.sendResponseHeaders(status, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        }

        String url() {
            return "http://127.0.0.1:" + http.getAddress().getPort();
        }

        @Override
        public void close() {
            http.stop(0);
        }
    }
}
