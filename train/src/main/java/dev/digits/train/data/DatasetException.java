package dev.digits.train.data;

/** A dataset that cannot be used as given: missing, truncated, corrupt or inconsistent files. The message says how to fix it. */
public class DatasetException extends RuntimeException {
    public DatasetException(String message) {
        super(message);
    }

    public DatasetException(String message, Throwable cause) {
        super(message, cause);
    }
}
