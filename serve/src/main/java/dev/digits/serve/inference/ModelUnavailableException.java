package dev.digits.serve.inference;

import dev.digits.core.error.DigitsException;

/**
 * A request needs a model that exists but is not loaded (it failed to load, or no model is loaded at all): 503
 * ({@link DigitsException.Kind#UNAVAILABLE}).
 */
public class ModelUnavailableException extends DigitsException {
    public ModelUnavailableException(String message) {
        super(Kind.UNAVAILABLE, message);
    }
}
