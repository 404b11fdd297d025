package dev.digits.serve;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A request refused before its body was read (unknown model, no admin token, bad route) whose body is still on its
 * way: the answer reaches the client and the kept-alive connection carries the next request, or the answer says
 * {@code Connection: close}. A server that answers and then closes a connection that looks reusable makes an HTTP
 * client fail the next request sent on it ("header parser received no bytes"), and one that closes with the body
 * unread makes the client's TCP stack drop the answer itself.
 *
 * <p>The body is sent only after the server could have answered, which is what a busy machine does by chance.
 */
class RefusedBodyTest {
    private static DigitsServer server;

    @BeforeAll
    static void start() throws Exception {
        TestModels.ensureEmbeddedModel();
        server = DigitsServer.start(ServerConfig.builder().port(0).host("127.0.0.1").accessLog(false).build());
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void anUnknownModelsAnswerLeavesTheConnectionReusable() throws Exception {
        assertNextRequestAnswered("/v2/models/nope/infer", "application/json", 1_649, 404);
        assertNextRequestAnswered("/api/v1/predict", "text/plain", 8_000, 415);
    }

    @Test
    void anUploadRefusedForWantOfATokenIsAnsweredAndTheConnectionGoesOn() throws Exception {
        assertNextRequestAnswered("/api/v1/admin/models/cnn/versions", "application/zip", 400_000, 403);
    }

    @Test
    void aRouteThatDoesNotExistLeavesTheConnectionReusable() throws Exception {
        assertNextRequestAnswered("/api/v1/nothing-here", "application/json", 2_000, 404);
    }

    @Test
    void aBodyAnnouncedTooLargeIsRefusedAtOnceAndTheAnswerClosesTheConnection() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.getOutputStream().write(("POST /api/v1/predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\n"
                    + "Content-Length: " + (64L << 20) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
            String answer = Http.readAnswer(s, 10_000);
            assertTrue(answer.startsWith("HTTP/1.1 413 "), answer);
            assertTrue(answer.toLowerCase(java.util.Locale.ROOT).contains("\nconnection: close"), answer);
        }
    }

    /**
     * Sends a POST's headers, waits until the server has had time to answer, sends its {@code bodyBytes}, then a GET of
     * {@code /health} on the same connection: both must be answered, unless the first answer closes the connection.
     */
    private static void assertNextRequestAnswered(String path, String type, int bodyBytes, int status) throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            out.write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: " + type + "\r\nContent-Length: "
                    + bodyBytes + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(300);
            byte[] body = new byte[bodyBytes];
            java.util.Arrays.fill(body, (byte) '0');
            String sendFailed = null;
            try {
                out.write(body);
                out.write("GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
            } catch (java.net.SocketException e) {
                sendFailed = e.toString();
            }
            List<String> heads = readAnswers(s.getInputStream(), 2);
            assertFalse(heads.isEmpty(), "no answer at all to POST " + path);
            assertTrue(heads.get(0).startsWith("HTTP/1.1 " + status + " "), heads.get(0));
            boolean closes = heads.get(0).toLowerCase(java.util.Locale.ROOT).contains("\nconnection: close");
            if (!closes) {
                assertEquals(null, sendFailed, "the server closed the connection while the body of POST " + path
                        + " was arriving, after an answer that did not say Connection: close: " + heads.get(0));
                assertEquals(2, heads.size(), "the answer to POST " + path + " kept the connection open but the next "
                        + "request on it got no answer: " + heads);
                assertTrue(heads.get(1).startsWith("HTTP/1.1 200 "), heads.get(1));
            }
        }
    }

    private static final Pattern LENGTH = Pattern.compile("(?im)^content-length:\\s*(\\d+)");

    /** The header blocks of up to {@code count} answers with Content-Length bodies, until the connection ends. */
    private static List<String> readAnswers(InputStream in, int count) throws IOException {
        List<String> heads = new ArrayList<>();
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        int start = 0;
        try {
            while (heads.size() < count) {
                byte[] all = buf.toByteArray();
                int end = Http.headerEnd(all, start);
                if (end >= 0) {
                    String head = new String(all, start, end - start, StandardCharsets.ISO_8859_1);
                    Matcher m = LENGTH.matcher(head);
                    int length = m.find() ? Integer.parseInt(m.group(1)) : 0;
                    if (all.length >= end + 4 + length) {
                        heads.add(head);
                        start = end + 4 + length;
                        continue;
                    }
                }
                int n = in.read(chunk);
                if (n < 0) break;
                buf.write(chunk, 0, n);
            }
        } catch (SocketTimeoutException | java.net.SocketException e) {
            // the connection ended or went silent: what arrived is the answer
        }
        return heads;
    }
}
