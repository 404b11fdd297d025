package dev.digits.serve.inference;

/** A request needs a model that exists but is not loaded (it failed to load, or no model is loaded at all). */
public class ModelUnavailableException extends RuntimeException {
    public ModelUnavailableException(String message) {
        super(message);
    }
}
