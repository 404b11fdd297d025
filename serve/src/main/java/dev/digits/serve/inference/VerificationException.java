package dev.digits.serve.inference;

import dev.digits.core.error.VerificationFailedException;

/**
 * An uploaded model failed the server's own check on known digits ({@link VersionVerifier}); the message says which
 * and why. 422, as every {@link VerificationFailedException}.
 */
public class VerificationException extends VerificationFailedException {
    public VerificationException(String message) {
        super(message);
    }
}
