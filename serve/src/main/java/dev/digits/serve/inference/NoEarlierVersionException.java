package dev.digits.serve.inference;

/** A rollback was asked for a model whose latest version is its first. */
public class NoEarlierVersionException extends RuntimeException {
    public NoEarlierVersionException(String message) {
        super(message);
    }
}
