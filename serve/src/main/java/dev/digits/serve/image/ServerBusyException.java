package dev.digits.serve.image;

/** No room to decode an image within the queue time: the request is answered 503 with {@code Retry-After}. */
public class ServerBusyException extends RuntimeException {
    public ServerBusyException(String message) {
        super(message);
    }
}
