package dev.digits.serve.registry;

/** A model name or version the registry does not hold; the message lists what it does hold. */
public class UnknownModelException extends RuntimeException {
    public UnknownModelException(String message) {
        super(message);
    }
}
