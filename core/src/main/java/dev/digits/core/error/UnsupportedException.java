package dev.digits.core.error;

/** Valid, but beyond what a format or runtime can express; the message names what can. */
public class UnsupportedException extends DigitsException {
    public UnsupportedException(String message) {
        super(Kind.UNSUPPORTED, message);
    }

    public UnsupportedException(String message, Throwable cause) {
        super(Kind.UNSUPPORTED, message, cause);
    }
}
