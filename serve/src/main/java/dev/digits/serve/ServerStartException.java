package dev.digits.serve;

/** The server could not start; the message names the cause and the fix (e.g. a port already in use). */
public class ServerStartException extends dev.digits.core.error.InvalidInputException {
    public ServerStartException(String message, Throwable cause) {
        super(message, cause);
    }
}
