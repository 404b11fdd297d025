package dev.digits.serve.registry;

import dev.digits.core.error.NotFoundException;

/** A model name or version the registry does not hold; the message lists what it does hold. 404. */
public class UnknownModelException extends NotFoundException {
    public UnknownModelException(String message) {
        super(message);
    }
}
