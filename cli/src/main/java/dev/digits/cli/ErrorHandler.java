package dev.digits.cli;

import dev.digits.core.error.DigitsException;
import picocli.CommandLine;

import java.io.FileNotFoundException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/**
 * Turns exceptions into one clear line and a documented exit code. Mistakes a user can make (a bad file, an unknown
 * model, an impossible architecture) are {@link DigitsException}s whose kind gives the code; anything else is a
 * failure of ours, exit code 1, shown with its stack trace under {@code --verbose}.
 */
final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
        boolean verbose = parsed.hasMatchedOption("--verbose")
                || (parsed.subcommand() != null && parsed.subcommand().hasMatchedOption("--verbose"));
        int code = exitCode(e);
        String message = message(e);
        cl.getErr().println(cl.getColorScheme().errorText("digits: " + message));
        if (verbose) {
            e.printStackTrace(cl.getErr());
        } else if (code == ExitCodes.FAILURE) {
            cl.getErr().println("(run with --verbose for the stack trace)");
        }
        return code;
    }

    /**
     * The exit code of {@code e}: a {@link DigitsException}'s kind decides it (the one mapping, shared with the
     * server's HTTP statuses); files the user named that are missing or unreadable are invalid input; anything else
     * is a failure of ours.
     */
    static int exitCode(Throwable e) {
        if (e instanceof DigitsException) return ((DigitsException) e).kind().exitCode();
        if (e instanceof NoSuchFileException || e instanceof FileNotFoundException || e instanceof AccessDeniedException) {
            return ExitCodes.INVALID_INPUT;
        }
        return ExitCodes.FAILURE;
    }

    static String message(Throwable e) {
        if (e instanceof NoSuchFileException) return "file not found: " + e.getMessage();
        if (e instanceof AccessDeniedException) return "permission denied: " + e.getMessage();
        String m = e.getMessage();
        if (m == null || m.isBlank()) m = e.getClass().getSimpleName();
        return m;
    }
}
