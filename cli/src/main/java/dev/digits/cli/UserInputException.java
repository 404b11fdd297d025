package dev.digits.cli;

import dev.digits.core.error.InvalidInputException;

/** Something the user gave the command that cannot be used; the message says what and how to fix it. */
final class UserInputException extends InvalidInputException {
    UserInputException(String message) {
        super(message);
    }
}
