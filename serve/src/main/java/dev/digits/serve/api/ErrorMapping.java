package dev.digits.serve.api;

import com.fasterxml.jackson.core.JacksonException;
import dev.digits.core.error.DigitsException;
import dev.digits.serve.image.ImageTooLargeException;
import dev.digits.serve.image.ServerBusyException;
import dev.digits.serve.registry.RegistryWriteException;
import dev.digits.serve.inference.ModelLoadingException;
import dev.digits.serve.inference.NoEarlierVersionException;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import io.javalin.http.HttpStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;

/**
 * The one place where exceptions become HTTP answers. Every error is a JSON body {@code {"error", "detail"}}: the
 * error is the status's reason phrase, the detail says what was wrong and how to fix it. A client's mistake always
 * maps to a 4xx; only a fault of the server itself answers 500 (logged with its stack trace), and its detail reveals
 * nothing internal.
 *
 * <p>Every {@link DigitsException} — core's and the server's own (unknown model, invalid upload, failed
 * verification, model unavailable) — answers the status of its {@link DigitsException.Kind}; only what has no kind
 * is mapped here by type: the server's request errors ({@link ApiException}), an image too large to decode (413), a
 * rollback with nothing to roll back to (409), malformed JSON, and Javalin's own answers.
 */
public final class ErrorMapping {
    private static final Logger LOG = LoggerFactory.getLogger(ErrorMapping.class);

    private ErrorMapping() {
    }

    /** Registers the exception handlers. */
    public static void register(RoutesConfig routes) {
        routes.exception(DigitsException.class, ErrorMapping::digits);
        routes.exception(ApiException.class, (e, ctx) -> respond(ctx, e.status(), e.getMessage()));
        routes.exception(ImageTooLargeException.class,
                (e, ctx) -> respond(ctx, HttpStatus.CONTENT_TOO_LARGE, e.getMessage()));
        routes.exception(RegistryWriteException.class, (e, ctx) -> {
            // The operator's log gets the path (in the cause); the client the cause without it.
            LOG.error("{} {}: {}", ctx.method(), ctx.path(), e.getMessage(), e.getCause());
            respond(ctx, HttpStatus.INTERNAL_SERVER_ERROR, e.getMessage());
        });
        routes.exception(ServerBusyException.class, (e, ctx) -> {
            ctx.header("Retry-After", "1");
            respond(ctx, HttpStatus.SERVICE_UNAVAILABLE, e.getMessage());
        });
        routes.exception(JacksonException.class, (e, ctx) -> respond(ctx, HttpStatus.BAD_REQUEST,
                "the body is not valid JSON: " + e.getOriginalMessage()));
        routes.exception(NoEarlierVersionException.class, (e, ctx) -> respond(ctx, HttpStatus.CONFLICT, e.getMessage()));
        routes.exception(HttpResponseException.class, (e, ctx) -> {
            HttpStatus status = HttpStatus.forStatus(e.getStatus());
            if (e.getStatus() == 405) allow(ctx, e);
            respond(ctx, status, javalinDetail(ctx, e));
        });
        routes.exception(Exception.class, (e, ctx) -> {
            LOG.error("{} {} failed", ctx.method(), ctx.path(), e);
            respond(ctx, HttpStatus.INTERNAL_SERVER_ERROR, "the server failed to answer this request; the fault is logged");
        });
    }

    /** A {@link DigitsException}: the status of its kind; a version still loading adds {@code Retry-After}. */
    private static void digits(DigitsException e, Context ctx) {
        HttpStatus status = HttpStatus.forStatus(e.kind().httpStatus());
        if (e instanceof ModelLoadingException) {
            ctx.header("Retry-After", Integer.toString(((ModelLoadingException) e).retryAfterSeconds()));
        }
        String detail = e.getMessage();
        if (e.kind() == DigitsException.Kind.VERIFICATION_FAILED) detail = "the model was refused: " + detail;
        respond(ctx, status, detail);
    }

    /**
     * A 405 names the methods the path does answer in {@code Allow} (RFC 9110 §15.5.6); Javalin lists them as the one
     * detail of its exception.
     */
    private static void allow(Context ctx, HttpResponseException e) {
        for (String methods : e.getDetails().values()) {
            StringJoiner allow = new StringJoiner(", ");
            for (String m : methods.split(",")) if (!m.isBlank()) allow.add(m.trim());
            if (allow.length() > 0) ctx.header("Allow", allow.toString());
        }
    }

    /**
     * Answers {@code status} with an error body: the API's {@code {"error", "detail"}}, or under {@code /v2} the Open
     * Inference Protocol's {@code {"error": "<message>"}}, which its clients read. What the client still sends of its
     * body is read first (or the answer closes the connection), since requests are often refused before it is read.
     */
    public static void respond(Context ctx, HttpStatus status, String detail) {
        if (!RequestBody.discardRest(ctx, status.getCode())) ctx.header("Connection", "close");
        if (ctx.path().equals("/v2") || ctx.path().startsWith("/v2/")) {
            Json.respond(ctx, status, Map.of("error", detail == null ? status.getMessage() : detail));
            return;
        }
        Json.respond(ctx, status, body(status, detail));
    }

    /** The error body for {@code status}. */
    public static Map<String, Object> body(HttpStatus status, String detail) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", status.getMessage().toLowerCase(Locale.ROOT));
        m.put("detail", detail);
        return m;
    }

    private static String javalinDetail(Context ctx, HttpResponseException e) {
        if (e.getStatus() == 404) {
            return "no route " + ctx.method() + " " + ctx.path() + "; the API is described at /openapi.json";
        }
        if (e.getStatus() == 405) {
            return ctx.method() + " is not allowed on " + ctx.path() + "; the API is described at /openapi.json";
        }
        if (e.getStatus() == 413) {
            return "the request body is larger than the server accepts";
        }
        return e.getMessage();
    }
}
