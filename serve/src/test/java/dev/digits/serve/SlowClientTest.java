package dev.digits.serve;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Clients that announce a body and then send it slowly or not at all: the memory a connection holds follows what it
 * sent, not what it announced, and a body that stalls or trickles below the minimum data rate is answered 408 with the
 * JSON error shape, while the server keeps answering everyone else; during a drain, kept-alive connections get a
 * JSON 503 too.
 */
class SlowClientTest {
    private static DigitsServer server;
    private static Http http;

    @BeforeAll
    static void start() throws Exception {
        TestModels.ensureEmbeddedModel();
        server = DigitsServer.start(ServerConfig.builder().port(0).host("127.0.0.1").accessLog(false)
                .idleTimeout(Duration.ofSeconds(2)).minRequestDataRate(1024).build());
        http = new Http(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void aBodyThatStallsIsAnswered408AndTheServerGoesOn() throws Exception {
        try (Socket s = announce(100_000)) {
            s.getOutputStream().write(new byte[10]);
            s.getOutputStream().flush();
            long t0 = System.nanoTime();
            String answer = Http.readAnswer(s, 20_000);
            assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
            assertTrue(answer.contains("\"error\"") && answer.contains("did not arrive in time"), answer);
            assertTrue(System.nanoTime() - t0 < 15_000_000_000L, "answered after the idle timeout, not much later");
        }
        assertEquals(200, http.get("/health").status);
    }

    @Test
    void aBodyTricklingBelowTheMinimumRateIsAnswered408BeforeItEnds() throws Exception {
        try (Socket s = announce(100_000)) {
            OutputStream out = s.getOutputStream();
            s.setSoTimeout(100);
            // 10 bytes a second: every byte comes well within the idle timeout, so only the data rate can stop it.
            String answer = null;
            for (int i = 0; i < 200 && answer == null; i++) {
                try {
                    out.write('x');
                    out.flush();
                } catch (IOException e) {
                    break; // the server closed after answering
                }
                answer = readIfAny(s);
            }
            if (answer == null) answer = Http.readAnswer(s, 10_000);
            assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
        }
        assertEquals(200, http.get("/health").status);
    }

    @Test
    void connectionsHoldWhatTheySentNotWhatTheyAnnounced() throws Exception {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        long before = memory.getHeapMemoryUsage().getUsed();
        List<Socket> slow = new ArrayList<>();
        try {
            // 40 connections announcing the largest body a prediction may have (16 MiB), each sending one byte.
            for (int i = 0; i < 40; i++) {
                Socket s = announce(16 << 20);
                s.getOutputStream().write('x');
                s.getOutputStream().flush();
                slow.add(s);
            }
            Thread.sleep(500);
            System.gc();
            long held = memory.getHeapMemoryUsage().getUsed() - before;
            // Buffers of the announced size would hold 640 MiB; growing ones hold 64 KiB each.
            assertTrue(held < 100L << 20, "40 slow connections hold " + (held >> 20) + " MiB of heap");
            assertEquals(200, http.get("/health").status, "the server answers others meanwhile");
        } finally {
            for (Socket s : slow) s.close();
        }
    }

    /**
     * While a request in flight holds the drain open, a kept-alive connection that asks again is answered 503 in the
     * API's JSON error shape with Retry-After, not with Jetty's HTML page.
     */
    @Test
    void aKeptAliveConnectionAskingDuringTheDrainGetsJson503() throws Exception {
        DigitsServer draining = DigitsServer.start(ServerConfig.builder().port(0).host("127.0.0.1").accessLog(false)
                .minRequestDataRate(0).drainTimeout(Duration.ofSeconds(10)).build());
        Thread closer = new Thread(draining::close);
        try (Socket keptAlive = new Socket("127.0.0.1", draining.port());
             Socket inFlight = announce(draining.port(), 1000)) {
            String first = exchange(keptAlive, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            assertTrue(first.startsWith("HTTP/1.1 200"), first);
            inFlight.getOutputStream().write(new byte[10]);
            inFlight.getOutputStream().flush();
            Thread.sleep(200);
            closer.start();
            Thread.sleep(500);
            String during = exchange(keptAlive, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
            assertTrue(during.startsWith("HTTP/1.1 503"), during);
            assertTrue(during.toLowerCase(java.util.Locale.ROOT).contains("content-type: application/json"), during);
            assertTrue(during.contains("\"error\":\"service unavailable\"") && during.contains("Retry-After: "), during);
            inFlight.getOutputStream().write(new byte[990]);
            inFlight.getOutputStream().flush();
            String answered = Http.readAnswer(inFlight, 10_000);
            assertTrue(answered.startsWith("HTTP/1.1 4"), "the request in flight is answered (its bytes are no PNG): "
                    + answered);
        } finally {
            if (closer.isAlive() || closer.getState() == Thread.State.NEW) {
                if (closer.getState() == Thread.State.NEW) closer.start();
                closer.join(20_000);
            }
        }
    }

    /** Sends {@code request} and reads one whole answer (head and Content-Length body), keeping the connection. */
    private static String exchange(Socket s, String request) throws IOException {
        s.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        s.setSoTimeout(10_000);
        InputStream in = s.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) break;
            head.write(b);
        }
        String h = head.toString(StandardCharsets.ISO_8859_1);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(h);
        byte[] body = m.find() ? in.readNBytes(Integer.parseInt(m.group(1))) : new byte[0];
        return h + new String(body, StandardCharsets.UTF_8);
    }

    private static Socket announce(int contentLength) throws IOException {
        return announce(server.port(), contentLength);
    }

    private static Socket announce(int port, int contentLength) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.getOutputStream().write(("POST /api/v1/predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: image/png\r\n"
                + "Content-Length: " + contentLength + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        return s;
    }


    /** What the server has sent so far, or null when nothing arrived within the socket's timeout. */
    private static String readIfAny(Socket s) throws IOException {
        try {
            int first = s.getInputStream().read();
            if (first < 0) return "";
            return (char) first + Http.readAnswer(s, 2_000);
        } catch (SocketTimeoutException e) {
            return null;
        }
    }
}
