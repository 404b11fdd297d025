package dev.digits.core.error;

/** A file failed its verification: it does not compute what it should. */
public class VerificationFailedException extends DigitsException {
    public VerificationFailedException(String message) {
        super(Kind.VERIFICATION_FAILED, message);
    }

    public VerificationFailedException(String message, Throwable cause) {
        super(Kind.VERIFICATION_FAILED, message, cause);
    }
}
