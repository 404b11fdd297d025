package dev.digits.core.client;

import java.io.IOException;

/**
 * A Digits server could not give an answer: it was unreachable, too slow, answered with an HTTP error, or answered
 * something that is not what the API promises. The message is one sentence meant for the person using the app: it
 * names the server and what to check.
 */
public class ServerException extends IOException {
    private static final long serialVersionUID = 1L;

    /** Why there is no answer. */
    public enum Reason {
        /** No connection could be made, or it broke: wrong address, server down, no network. */
        UNREACHABLE,
        /** Connected, but the server did not answer within the read timeout (or connecting took too long). */
        TIMEOUT,
        /** The server answered with an HTTP error status; {@link #status()} and {@link #serverError()} say which. */
        HTTP_ERROR,
        /** The server answered 2xx with a body that is not the JSON the API describes. */
        BAD_RESPONSE
    }

    private final Reason reason;
    private final int status;
    private final String serverError;

    ServerException(Reason reason, int status, String serverError, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.status = status;
        this.serverError = serverError;
    }

    public Reason reason() {
        return reason;
    }

    /** The HTTP status for {@link Reason#HTTP_ERROR} and {@link Reason#BAD_RESPONSE}, otherwise -1. */
    public int status() {
        return status;
    }

    /** The {@code error} field of the server's JSON error body, or null when it sent none. */
    public String serverError() {
        return serverError;
    }
}
