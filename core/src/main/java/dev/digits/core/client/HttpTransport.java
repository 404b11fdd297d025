package dev.digits.core.client;

import dev.digits.core.json.Json;
import dev.digits.core.json.JsonException;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.MalformedURLException;
import java.net.SocketTimeoutException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;

/**
 * HTTP to one Digits server with {@link HttpURLConnection}, the client both the JVM and Android have. Every failure
 * becomes a {@link ServerException} whose message names the server and what to check, so the app can show it as is.
 */
final class HttpTransport {
    /** JSON answers are small; a bigger one means the URL points at something else. */
    private static final int MAX_JSON_BYTES = 8 << 20;

    private final String baseUrl;
    private final int connectTimeoutMillis;
    private final int readTimeoutMillis;

    HttpTransport(String serverUrl, int connectTimeoutMillis, int readTimeoutMillis) {
        this.baseUrl = normalizeServerUrl(serverUrl);
        if (connectTimeoutMillis <= 0 || readTimeoutMillis <= 0) {
            throw new IllegalArgumentException("timeouts must be positive milliseconds, were connect "
                    + connectTimeoutMillis + " and read " + readTimeoutMillis);
        }
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.readTimeoutMillis = readTimeoutMillis;
    }

    /**
     * The server's base URL without a trailing slash.
     *
     * @throws IllegalArgumentException when it is not an absolute http or https URL
     */
    static String normalizeServerUrl(String url) {
        String u = url == null ? "" : url.trim();
        while (u.endsWith("/")) u = u.substring(0, u.length() - 1);
        String lower = u.toLowerCase(Locale.ROOT);
        if (!(lower.startsWith("http://") || lower.startsWith("https://")) || u.indexOf("://") + 3 >= u.length()) {
            throw new IllegalArgumentException("server URL '" + url + "' is not an http:// or https:// address;"
                    + " enter one like http://192.168.1.20:8080");
        }
        try {
            new URL(u);
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("server URL '" + url + "' is not a valid address: " + e.getMessage()
                    + "; enter one like http://192.168.1.20:8080");
        }
        return u;
    }

    String baseUrl() {
        return baseUrl;
    }

    /** An absolute URL as is, or a path ({@code /api/...}) on this server. */
    String resolve(String pathOrUrl) {
        String lower = pathOrUrl.toLowerCase(Locale.ROOT);
        if (lower.startsWith("http://") || lower.startsWith("https://")) return pathOrUrl;
        return baseUrl + (pathOrUrl.startsWith("/") ? "" : "/") + pathOrUrl;
    }

    /**
     * Sends a request and returns once the status line and headers are in; the caller reads and closes the body.
     *
     * @param body        request body, or null for none
     * @param contentType the body's media type (ignored without a body)
     */
    Exchange send(String method, String pathOrUrl, Map<String, String> headers, String contentType, byte[] body)
            throws ServerException {
        String url = resolve(pathOrUrl);
        HttpURLConnection conn;
        try {
            conn = (HttpURLConnection) new URL(url).openConnection();
        } catch (IOException e) {
            throw unreachable(url, e);
        }
        conn.setConnectTimeout(connectTimeoutMillis);
        conn.setReadTimeout(readTimeoutMillis);
        conn.setUseCaches(false);
        try {
            conn.setRequestMethod(method);
            if (headers != null) {
                for (Map.Entry<String, String> h : headers.entrySet()) conn.setRequestProperty(h.getKey(), h.getValue());
            }
            if (body != null) {
                conn.setDoOutput(true);
                conn.setFixedLengthStreamingMode(body.length);
                conn.setRequestProperty("Content-Type", contentType);
                try (OutputStream out = conn.getOutputStream()) {
                    out.write(body);
                }
            }
            return new Exchange(this, url, conn, conn.getResponseCode());
        } catch (IOException e) {
            conn.disconnect();
            throw failure(url, e);
        }
    }

    /** GET or POST whose answer must be a 2xx JSON object; errors carry the server's {@code error} and detail. */
    Map<String, Object> json(String method, String pathOrUrl, String contentType, byte[] body) throws ServerException {
        try (Exchange ex = send(method, pathOrUrl, null, contentType, body)) {
            ex.requireSuccess();
            String text = ex.text();
            try {
                return Json.parseObject(text);
            } catch (JsonException e) {
                throw new ServerException(ServerException.Reason.BAD_RESPONSE, ex.status(), null,
                        "The server at " + baseUrl + " answered " + ex.url + " with something that is not Digits JSON ("
                                + e.getMessage() + "); check that the server URL points at a Digits server.", e);
            }
        }
    }

    /** Turns an I/O failure into the one message the user sees. */
    ServerException failure(String url, IOException e) {
        if (e instanceof ServerException) return (ServerException) e;
        if (e instanceof SocketTimeoutException) {
            return new ServerException(ServerException.Reason.TIMEOUT, -1, null,
                    "The Digits server at " + baseUrl + " did not answer in time (connect timeout "
                            + connectTimeoutMillis + " ms, read timeout " + readTimeoutMillis
                            + " ms); check that it is running and reachable from this device.", e);
        }
        return unreachable(url, e);
    }

    private ServerException unreachable(String url, IOException e) {
        String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + ": "
                + e.getMessage();
        return new ServerException(ServerException.Reason.UNREACHABLE, -1, null,
                "Cannot reach the Digits server at " + baseUrl + " (" + why + "); check the server URL, that the"
                        + " server is running, and that this device is on a network that reaches it.", e);
    }

    /** One request's answer. Closing it releases the connection. */
    static final class Exchange implements Closeable {
        private final HttpTransport transport;
        final String url;
        private final HttpURLConnection conn;
        private final int status;

        Exchange(HttpTransport transport, String url, HttpURLConnection conn, int status) {
            this.transport = transport;
            this.url = url;
            this.conn = conn;
            this.status = status;
        }

        int status() {
            return status;
        }

        /** A response header, or null. */
        String header(String name) {
            return conn.getHeaderField(name);
        }

        /** The declared body length, or -1. */
        long contentLength() {
            String v = conn.getHeaderField("Content-Length");
            if (v == null) return -1;
            try {
                return Long.parseLong(v.trim());
            } catch (NumberFormatException e) {
                return -1;
            }
        }

        /** The body of a successful answer; read failures are reported as {@link ServerException}s by the caller. */
        InputStream body() throws ServerException {
            try {
                return conn.getInputStream();
            } catch (IOException e) {
                throw transport.failure(url, e);
            }
        }

        /** The whole body as UTF-8 text (success or error body), at most 8 MB. */
        String text() throws ServerException {
            try {
                InputStream in = status >= 400 ? conn.getErrorStream() : conn.getInputStream();
                if (in == null) return "";
                try (InputStream body = in) {
                    ByteArrayOutputStream buf = new ByteArrayOutputStream();
                    byte[] chunk = new byte[8192];
                    for (int n; (n = body.read(chunk)) > 0; ) {
                        if (buf.size() + n > MAX_JSON_BYTES) {
                            throw new ServerException(ServerException.Reason.BAD_RESPONSE, status, null,
                                    "The server at " + transport.baseUrl + " sent more than " + MAX_JSON_BYTES
                                            + " bytes for " + url + "; check that the server URL points at a Digits"
                                            + " server.", null);
                        }
                        buf.write(chunk, 0, n);
                    }
                    return new String(buf.toByteArray(), StandardCharsets.UTF_8);
                }
            } catch (IOException e) {
                throw transport.failure(url, e);
            }
        }

        /**
         * Throws unless the status is 2xx, with the server's own {@code {"error","detail"}} in the message when it
         * sent one (Digits always does).
         */
        void requireSuccess() throws ServerException {
            if (status >= 200 && status < 300) return;
            String error = null;
            String detail = null;
            String body = "";
            try {
                body = text();
            } catch (ServerException e) {
                // The status alone still explains the failure.
            }
            try {
                Map<String, Object> json = Json.parseObject(body);
                Object e = json.get("error");
                Object d = json.get("detail");
                error = e == null ? null : String.valueOf(e);
                detail = d == null ? null : String.valueOf(d);
            } catch (JsonException notJson) {
                // Not a Digits error body (a proxy's HTML page, say): report the status.
            }
            StringBuilder msg = new StringBuilder("The server at ").append(transport.baseUrl).append(" answered ")
                    .append(status);
            if (error != null) msg.append(": ").append(error);
            if (detail != null && !detail.equals(error)) msg.append(" (").append(detail).append(')');
            if (error == null) msg.append(" for ").append(url).append("; check that the server URL points at a Digits server.");
            throw new ServerException(ServerException.Reason.HTTP_ERROR, status, error, msg.toString(), null);
        }

        @Override
        public void close() {
            conn.disconnect();
        }
    }
}
