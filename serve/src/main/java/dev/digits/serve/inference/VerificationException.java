package dev.digits.serve.inference;

/** A model failed the checks it must pass before it is served; the message says which and why. */
public class VerificationException extends RuntimeException {
    public VerificationException(String message) {
        super(message);
    }
}
