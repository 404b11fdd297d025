package dev.digits.core.error;

/**
 * The root of every error a user of Digits can cause or meet: a bad file, an unknown model, a layer a format cannot
 * express, an exported file that failed its check. Each carries a {@link Kind}, and the kind alone decides the
 * command line's exit code and the server's HTTP status, so the mapping exists once. Anything else thrown inside
 * Digits is a programming error: exit 1, HTTP 500, logged with its stack trace.
 */
public class DigitsException extends RuntimeException {
    /** What went wrong, as the user sees it; fixes the exit code and the HTTP status. */
    public enum Kind {
        /** The input given was wrong: data, model directory, architecture, image, request body. */
        INVALID_INPUT(3, 400),
        /** Something named does not exist: a model, a version, a file. */
        NOT_FOUND(3, 404),
        /** Valid, but beyond what this format or runtime can do (a layer an exporter cannot express). */
        UNSUPPORTED(3, 422),
        /** A file was produced or received but failed its verification. */
        VERIFICATION_FAILED(4, 422),
        /** Temporarily unable to answer (a model still loading, overload). */
        UNAVAILABLE(1, 503);

        private final int exitCode;
        private final int httpStatus;

        Kind(int exitCode, int httpStatus) {
            this.exitCode = exitCode;
            this.httpStatus = httpStatus;
        }

        /** The {@code digits} command's exit code for this kind. */
        public int exitCode() {
            return exitCode;
        }

        /** The server's HTTP status for this kind. */
        public int httpStatus() {
            return httpStatus;
        }
    }

    private final Kind kind;

    public DigitsException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public DigitsException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
