package dev.digits.serve.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;

import java.io.IOException;
import java.io.UncheckedIOException;

/** The server's one JSON mapper and the way every route writes a JSON answer. */
final class Json {
    /** Media type of every JSON answer. */
    static final String CONTENT_TYPE = "application/json";

    /**
     * NaN and Infinity are read (not rejected as syntax errors) so that a pixel array holding them gets an answer
     * naming the offending value instead of a parser message.
     */
    static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build()).build();

    private Json() {
    }

    /**
     * Writes {@code value} (maps, lists, arrays, numbers, strings) as the response body with {@code status}. The bytes
     * go straight to the servlet response: handing them to Javalin as a result would copy them through a fresh 32 kB
     * buffer per request, and its output stream wraps the response for compression, which the API has off, at a cost
     * per request all the same.
     */
    static void respond(Context ctx, HttpStatus status, Object value) {
        byte[] body;
        try {
            body = MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a response as JSON", e);
        }
        ctx.status(status).contentType(CONTENT_TYPE);
        ctx.res().setContentLength(body.length);
        try {
            ctx.res().getOutputStream().write(body);
        } catch (IOException e) {
            // The client went away while the answer was being sent: nobody is left to tell.
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code value} with status 200. */
    static void ok(Context ctx, Object value) {
        respond(ctx, HttpStatus.OK, value);
    }
}
