package dev.digits.convert;

/**
 * The model uses something a format (or a quantization in that format) cannot express; the message names the
 * layer and the formats that can.
 */
public class UnsupportedModelException extends RuntimeException {
    public UnsupportedModelException(String message) {
        super(message);
    }
}
