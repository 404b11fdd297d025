package dev.digits.serve.api;

import io.javalin.http.HttpStatus;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;
import java.util.Map;

/**
 * Answers that Jetty makes itself, before a request reaches the API — a 503 to a kept-alive connection while the
 * server drains, a 400 for a malformed request line, a 431 for oversized headers, a 408 for a body that stalled —
 * in the API's error shape ({@code {"error", "detail"}}, JSON) instead of Jetty's HTML page, so that a client
 * parses every error the same way. A 503 adds {@code Retry-After}.
 */
public final class JsonErrorHandler extends ErrorHandler {
    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) {
        HttpFields.Mutable headers = response.getHeaders();
        if (code == 503) headers.put(HttpHeader.RETRY_AFTER, "1");
        byte[] body = bodyOf(code, message);
        headers.put(HttpHeader.CONTENT_TYPE, Json.CONTENT_TYPE);
        headers.put(HttpHeader.CONTENT_LENGTH, body.length);
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    private static byte[] bodyOf(int code, String message) {
        HttpStatus status = HttpStatus.forStatus(code);
        String detail = code == 503 ? "the server is shutting down or not ready; send the request again (to another "
                + "replica, if there is one)" : message == null || message.isBlank() ? status.getMessage() : message;
        Map<String, Object> body = ErrorMapping.body(status, detail);
        try {
            return Json.MAPPER.writeValueAsBytes(body);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write an error as JSON", e);
        }
    }
}
