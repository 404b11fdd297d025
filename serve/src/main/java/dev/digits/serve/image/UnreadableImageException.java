package dev.digits.serve.image;

import dev.digits.core.error.InvalidInputException;

/** Bytes that are not an image in a supported format, or a damaged one; the message says which. 400. */
public class UnreadableImageException extends InvalidInputException {
    public UnreadableImageException(String message) {
        super(message);
    }
}
