package dev.digits.convert.importer;

import dev.digits.convert.UnsupportedModelException;

/**
 * A model file holds something Digits cannot import (a layer or operator it has no form for, a shape it cannot
 * run); the message names it, where it is, and what is supported. Nothing is written.
 */
public final class ImportException extends UnsupportedModelException {
    public ImportException(String message) {
        super(message);
    }
}
