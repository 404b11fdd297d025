package dev.digits.core.error;

/** A model, version or file that was asked for does not exist. */
public class NotFoundException extends DigitsException {
    public NotFoundException(String message) {
        super(Kind.NOT_FOUND, message);
    }

    public NotFoundException(String message, Throwable cause) {
        super(Kind.NOT_FOUND, message, cause);
    }
}
