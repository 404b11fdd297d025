package dev.digits.core.error;

/** The input given was wrong; the message names the file or field and the fix. */
public class InvalidInputException extends DigitsException {
    public InvalidInputException(String message) {
        super(Kind.INVALID_INPUT, message);
    }

    public InvalidInputException(String message, Throwable cause) {
        super(Kind.INVALID_INPUT, message, cause);
    }
}
