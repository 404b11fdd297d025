package dev.digits.serve.inference;

/**
 * A request named a version that exists and is being loaded in the background: 503 with {@code Retry-After}, so the
 * client asks again shortly instead of a request thread waiting for the load.
 */
public final class ModelLoadingException extends ModelUnavailableException {
    private final int retryAfterSeconds;

    public ModelLoadingException(String message, int retryAfterSeconds) {
        super(message);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** Seconds after which the version is likely loaded. */
    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
