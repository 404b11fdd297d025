package dev.digits.train.data;

import dev.digits.core.error.InvalidInputException;

/** A dataset that cannot be used as given: missing, truncated, corrupt or inconsistent files. The message says how to fix it. */
public class DatasetException extends InvalidInputException {
    public DatasetException(String message) {
        super(message);
    }

    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }
}
