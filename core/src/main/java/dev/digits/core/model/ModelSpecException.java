package dev.digits.core.model;

/** An architecture description that cannot be built; the message names the layer and what to change. */
public class ModelSpecException extends IllegalArgumentException {
    public ModelSpecException(String message) {
        super(message);
    }
}
