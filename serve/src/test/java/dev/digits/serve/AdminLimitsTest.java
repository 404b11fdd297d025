package dev.digits.serve;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The administration API's limits, against a real server over raw sockets: an upload announced larger than the limit
 * is refused before its body is read, no more than two uploads are received at once, and an address that keeps
 * sending wrong tokens is locked out for a minute while other addresses are not.
 */
class AdminLimitsTest {
    private static final String TOKEN = "limits-token-0123456789";

    private DigitsServer server;

    @BeforeEach
    void start() throws Exception {
        TestModels.ensureEmbeddedModel();
        server = DigitsServer.start(ServerConfig.builder().port(0).host("127.0.0.1").accessLog(false)
                .adminToken(TOKEN).maxUploadBytes(1 << 20).build());
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void anUploadAnnouncedTooLargeIsRefusedBeforeItsBodyIsSent() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.port())) {
            send(s, upload(TOKEN, 200L << 20));
            String answer = Http.readAnswer(s, 10_000);
            assertTrue(answer.startsWith("HTTP/1.1 413"), answer);
            assertTrue(answer.contains("at most 1048576 bytes"), answer);
        }
    }

    @Test
    void aThirdUploadAtOnceIsAskedToComeBack() throws Exception {
        List<Socket> receiving = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                Socket s = new Socket("127.0.0.1", server.port());
                send(s, upload(TOKEN, 500_000));
                s.getOutputStream().write(new byte[] {'P', 'K', 3, 4});
                s.getOutputStream().flush();
                receiving.add(s);
            }
            Thread.sleep(500);
            try (Socket third = new Socket("127.0.0.1", server.port())) {
                send(third, upload(TOKEN, 500_000));
                String answer = Http.readAnswer(third, 10_000);
                assertTrue(answer.startsWith("HTTP/1.1 503"), answer);
                assertTrue(answer.contains("Retry-After: 5"), answer);
            }
        } finally {
            for (Socket s : receiving) s.close();
        }
    }

    @Test
    void repeatedWrongTokensLockOutTheirAddressOnly() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertTrue(rollback("127.0.0.1", "wrong-" + i).startsWith("HTTP/1.1 403"));
        }
        String locked = rollback("127.0.0.1", TOKEN);
        assertTrue(locked.startsWith("HTTP/1.1 429"), "the right token too, once locked out: " + locked);
        assertTrue(locked.contains("Retry-After: "), locked);
        // Another address (loopback has them all) is not affected: the right token passes the check.
        String other = rollback("127.0.0.2", TOKEN);
        assertTrue(!other.startsWith("HTTP/1.1 429") && !other.startsWith("HTTP/1.1 403"), other);
    }

    private String rollback(String from, String token) throws IOException {
        try (Socket s = new Socket(InetAddress.getByName("127.0.0.1"), server.port(), InetAddress.getByName(from), 0)) {
            send(s, "POST /api/v1/admin/models/cnn/rollback HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                    + token + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            return Http.readAnswer(s, 10_000);
        }
    }

    private static String upload(String token, long contentLength) {
        return "POST /api/v1/admin/models/cnn/versions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token
                + "\r\nContent-Type: application/zip\r\nContent-Length: " + contentLength + "\r\n\r\n";
    }

    private static void send(Socket s, String head) throws IOException {
        s.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
    }

}
