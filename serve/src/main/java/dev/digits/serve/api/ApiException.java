package dev.digits.serve.api;

import io.javalin.http.HttpStatus;

/**
 * A request the server refuses, with the HTTP status to answer and a detail that tells the client what to change.
 * Answered as {@code {"error": "<status reason>", "detail": "<detail>"}}.
 */
public class ApiException extends RuntimeException {
    private final HttpStatus status;

    public ApiException(HttpStatus status, String detail) {
        super(detail);
        this.status = status;
    }

    public HttpStatus status() {
        return status;
    }

    /** 400: the request is malformed or its values are out of range. */
    public static ApiException badRequest(String detail) {
        return new ApiException(HttpStatus.BAD_REQUEST, detail);
    }

    /** 413: the request or one of its parts is larger than the server accepts. */
    public static ApiException tooLarge(String detail) {
        return new ApiException(HttpStatus.CONTENT_TOO_LARGE, detail);
    }

    /** 415: the body's media type is not one the route reads. */
    public static ApiException unsupportedMediaType(String detail) {
        return new ApiException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, detail);
    }

    /** 408: the request's body did not arrive in time. */
    public static ApiException requestTimeout(String detail) {
        return new ApiException(HttpStatus.REQUEST_TIMEOUT, detail);
    }

    /** 404: the thing named does not exist. */
    public static ApiException notFound(String detail) {
        return new ApiException(HttpStatus.NOT_FOUND, detail);
    }
}
