package dev.digits.convert;

import dev.digits.core.error.UnsupportedException;

/**
 * The model uses something a format (or a quantization in that format) cannot express; the message names the
 * layer and the formats that can.
 */
public class UnsupportedModelException extends UnsupportedException {
    public UnsupportedModelException(String message) {
        super(message);
    }
}
