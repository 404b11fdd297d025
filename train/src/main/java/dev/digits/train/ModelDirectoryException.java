package dev.digits.train;

/** A model directory that is missing or incomplete; the message says what to do. */
public class ModelDirectoryException extends RuntimeException {
    public ModelDirectoryException(String message) {
        super(message);
    }
}
