package dev.digits.core.client;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How the prediction client fails: each way a server can let the app down becomes one {@link ServerException} with
 * a message for the user. The servers here are real HTTP servers on the loopback interface that misbehave on purpose.
 */
class PredictionClientFailureTest {
    private HttpServer http;
    private final CountDownLatch release = new CountDownLatch(1);

    @AfterEach
    void stop() {
        release.countDown();
        if (http != null) http.stop(0);
    }

    private String serve(int status, String type, String body, boolean stall) throws IOException {
        http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        http.createContext("/", ex -> {
            try {
                if (stall) release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", type);
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        });
        http.start();
        return "http://127.0.0.1:" + http.getAddress().getPort();
    }

    private static float[] pixels() {
        float[] p = new float[784];
        for (int y = 4; y < 24; y++) p[y * 28 + 14] = 1f;
        return p;
    }

    @Test
    void aServerThatDoesNotAnswerInTimeIsATimeoutNamingTheLimits() throws IOException {
        String url = serve(200, "application/json", "{}", true);
        PredictionClient client = PredictionClient.builder().server(url).readTimeoutMillis(300).build();
        long start = System.nanoTime();
        ServerException e = assertThrows(ServerException.class, () -> client.predictPixels(pixels()));
        long millis = (System.nanoTime() - start) / 1_000_000;
        assertEquals(ServerException.Reason.TIMEOUT, e.reason());
        assertTrue(millis < 5_000, "gave up after " + millis + " ms");
        assertTrue(e.getMessage().contains("did not answer in time") && e.getMessage().contains("read timeout 300 ms"),
                e.getMessage());
    }

    @Test
    void aServersJsonErrorIsPassedOnWithItsStatus() throws IOException {
        String url = serve(400, "application/json",
                "{\"error\":\"pixels must be in [0, 1]\",\"detail\":\"pixel 17 is 3.5\"}", false);
        ServerException e = assertThrows(ServerException.class,
                () -> PredictionClient.builder().server(url).build().predictPixels(pixels()));
        assertEquals(ServerException.Reason.HTTP_ERROR, e.reason());
        assertEquals(400, e.status());
        assertEquals("pixels must be in [0, 1]", e.serverError());
        assertTrue(e.getMessage().contains("answered 400: pixels must be in [0, 1] (pixel 17 is 3.5)"), e.getMessage());
    }

    @Test
    void somethingThatIsNotADigitsServerIsSaidToBeSo() throws IOException {
        String url = serve(200, "text/html", "<html><body>Router login</body></html>", false);
        ServerException e = assertThrows(ServerException.class,
                () -> PredictionClient.builder().server(url).build().predictPixels(pixels()));
        assertEquals(ServerException.Reason.BAD_RESPONSE, e.reason());
        assertTrue(e.getMessage().contains("points at a Digits server"), e.getMessage());
    }

    @Test
    void aMalformedServerUrlIsRefusedWithAnExample() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PredictionClient.builder().server("192.168.1.20:8080").build());
        assertTrue(e.getMessage().contains("'192.168.1.20:8080'") && e.getMessage().contains("http://"),
                e.getMessage());
    }

    @Test
    void wrongPixelsAreRefusedBeforeAnythingIsSent() {
        PredictionClient client = PredictionClient.builder().server("http://127.0.0.1:9").build();
        assertTrue(assertThrows(IllegalArgumentException.class, () -> client.predictPixels(new float[783]))
                .getMessage().contains("783"));
        float[] nan = pixels();
        nan[5] = Float.NaN;
        assertTrue(assertThrows(IllegalArgumentException.class, () -> client.predictPixels(nan))
                .getMessage().contains("pixel 5"));
    }
}
