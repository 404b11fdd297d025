package dev.digits.core.json;

/** Malformed JSON, or JSON of the wrong shape; the message says where. */
public class JsonException extends IllegalArgumentException {
    public JsonException(String message) {
        super(message);
    }
}
