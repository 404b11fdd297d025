package dev.digits.core.model;

import dev.digits.core.error.InvalidInputException;

/** An architecture description that cannot be built; the message names the layer and what to change. */
public class ModelSpecException extends InvalidInputException {
    public ModelSpecException(String message) {
        super(message);
    }
}
