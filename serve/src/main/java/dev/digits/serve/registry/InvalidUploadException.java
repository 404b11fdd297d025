package dev.digits.serve.registry;

import dev.digits.core.error.InvalidInputException;

/** An uploaded model version that cannot be unpacked or is incomplete; the message says what is wrong. 400. */
public class InvalidUploadException extends InvalidInputException {
    public InvalidUploadException(String message) {
        super(message);
    }
}
