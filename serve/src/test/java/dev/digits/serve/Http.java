package dev.digits.serve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.UUID;

/** A small HTTP client for the tests: real requests over TCP to a started server, JSON answers parsed. */
public final class Http {
    /**
     * What a raw socket receives until a JSON error body has ended (its first {@code '}'}), the connection closes or
     * {@code timeoutMillis} pass — for tests that speak HTTP by hand to clients' misbehaviour.
     */
    public static String readAnswer(Socket s, int timeoutMillis) throws IOException {
        s.setSoTimeout(timeoutMillis);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        java.io.InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                got.write(buf, 0, n);
                if (got.toString(StandardCharsets.UTF_8).contains("}")) break;
            }
        } catch (java.net.SocketTimeoutException e) {
            // whatever arrived is the answer
        }
        return got.toString(StandardCharsets.UTF_8);
    }
    static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient client = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    private final URI base;

    public Http(URI base) {
        this.base = base;
    }

    public Http(DigitsServer server) {
        this(server.uri());
    }

    /** An answer: status, headers and body. */
    public static final class Response {
        public final int status;
        public final byte[] body;
        private final HttpResponse<byte[]> raw;

        Response(HttpResponse<byte[]> raw) {
            this.raw = raw;
            this.status = raw.statusCode();
            this.body = raw.body();
        }

        public String header(String name) {
            Optional<String> v = raw.headers().firstValue(name);
            return v.orElse(null);
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }

        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON (status " + status + "): " + text(), e);
            }
        }

        @Override
        public String toString() {
            return status + " " + text();
        }
    }

    public Response get(String path, String... headers) {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET(), headers);
    }

    /** A HEAD request (the client reads no body for it: see {@link #raw} to see what the server sent). */
    public Response head(String path, String... headers) {
        return request("HEAD", path, headers);
    }

    /** Where the header block starting at {@code from} ends (its blank line's {@code \r\n\r\n}), or -1. */
    public static int headerEnd(byte[] b, int from) {
        for (int i = from; i + 3 < b.length; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') return i;
        }
        return -1;
    }

    /** A request with any method name, without a body. */
    public Response request(String method, String path, String... headers) {
        return send(HttpRequest.newBuilder(base.resolve(path)).method(method, HttpRequest.BodyPublishers.noBody()),
                headers);
    }

    /** What the server sent on the wire for one request without a body: the status line, headers and body bytes. */
    public static final class Raw {
        public final int status;
        public final String head;
        /** Every byte after the header block, up to the end of the connection. */
        public final byte[] body;

        Raw(int status, String head, byte[] body) {
            this.status = status;
            this.head = head;
            this.body = body;
        }
    }

    /**
     * Sends {@code method path} over a socket of its own with {@code Connection: close} and reads the answer to the end
     * of the connection, so that bytes a client library would drop (such as a body sent for a HEAD) are seen.
     */
    public Raw raw(String method, String path, String... headers) {
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(30_000);
            StringBuilder req = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: " + base.getHost() + ":"
                    + base.getPort() + "\r\nConnection: close\r\n");
            for (int i = 0; i < headers.length; i += 2) req.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
            req.append("\r\n");
            OutputStream out = socket.getOutputStream();
            out.write(req.toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] all = socket.getInputStream().readAllBytes();
            int end = headerEnd(all, 0);
            if (end < 0) throw new AssertionError("no complete header block in: " + new String(all, StandardCharsets.ISO_8859_1));
            String head = new String(all, 0, end, StandardCharsets.ISO_8859_1);
            int status = Integer.parseInt(head.split(" ", 3)[1]);
            return new Raw(status, head, Arrays.copyOfRange(all, end + 4, all.length));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Response post(String path, String contentType, byte[] body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (contentType != null) b.header("Content-Type", contentType);
        return send(b, headers);
    }

    public Response postJson(String path, Object json, String... headers) {
        try {
            return post(path, "application/json", JSON.writeValueAsBytes(json), headers);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Response postMultipart(String path, Multipart form, String... headers) {
        return post(path, form.contentType(), form.bytes(), headers);
    }

    private Response send(HttpRequest.Builder b, String... headers) {
        for (int i = 0; i < headers.length; i += 2) b.header(headers[i], headers[i + 1]);
        b.timeout(Duration.ofSeconds(60));
        try {
            return new Response(client.send(b.build(), HttpResponse.BodyHandlers.ofByteArray()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A multipart/form-data body built part by part. */
    public static final class Multipart {
        private final String boundary = "----digits" + UUID.randomUUID().toString().replace("-", "");
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        public Multipart file(String field, String filename, String contentType, byte[] data) {
            write("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field + "\"; filename=\"" + filename
                    + "\"\r\nContent-Type: " + contentType + "\r\n\r\n");
            out.writeBytes(data);
            write("\r\n");
            return this;
        }

        public Multipart field(String field, String value) {
            write("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field + "\"\r\n\r\n" + value + "\r\n");
            return this;
        }

        public String contentType() {
            return "multipart/form-data; boundary=" + boundary;
        }

        public byte[] bytes() {
            ByteArrayOutputStream copy = new ByteArrayOutputStream();
            copy.writeBytes(out.toByteArray());
            copy.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
            return copy.toByteArray();
        }

        private void write(String s) {
            out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        }
    }
}
