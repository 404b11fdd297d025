package dev.digits.serve.image;

/** Bytes that are not an image in a supported format, or a damaged one; the message says which. */
public class UnreadableImageException extends RuntimeException {
    public UnreadableImageException(String message) {
        super(message);
    }
}
