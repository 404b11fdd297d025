package dev.digits.serve.registry;

/** An uploaded model version that cannot be unpacked or is incomplete; the message says what is wrong. */
public class InvalidUploadException extends RuntimeException {
    public InvalidUploadException(String message) {
        super(message);
    }
}
