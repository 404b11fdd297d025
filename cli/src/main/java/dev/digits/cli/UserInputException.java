package dev.digits.cli;

/** Something the user gave the command that cannot be used; the message says what and how to fix it. */
final class UserInputException extends RuntimeException {
    UserInputException(String message) {
        super(message);
    }
}
