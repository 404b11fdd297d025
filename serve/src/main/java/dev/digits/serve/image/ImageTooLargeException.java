package dev.digits.serve.image;

/** An image whose header announces more pixels than the server decodes; refused before decoding. */
public class ImageTooLargeException extends RuntimeException {
    public ImageTooLargeException(String message) {
        super(message);
    }
}
