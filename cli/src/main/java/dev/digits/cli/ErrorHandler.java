package dev.digits.cli;

import dev.digits.convert.ExportFailedException;
import dev.digits.convert.UnsupportedModelException;
import dev.digits.core.model.ModelSpecException;
import dev.digits.serve.ServerStartException;
import dev.digits.serve.registry.ModelRegistryException;
import dev.digits.train.ModelDirectoryException;
import dev.digits.train.data.DatasetException;
import picocli.CommandLine;

import java.io.FileNotFoundException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

/**
 * Turns exceptions into one clear line and a documented exit code. Mistakes a user can make (a bad file, an unknown
 * model, an impossible architecture) are {@link ExitCodes#INVALID_INPUT}; anything else is a failure of ours, shown
 * with its stack trace only under {@code --verbose}.
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

    static int exitCode(Throwable e) {
        if (e instanceof ExportFailedException) return ExitCodes.VERIFICATION_FAILED;
        if (e instanceof DatasetException || e instanceof ModelSpecException || e instanceof ModelDirectoryException
                || e instanceof NoSuchFileException || e instanceof FileNotFoundException || e instanceof AccessDeniedException
                || e instanceof UserInputException || e instanceof IllegalArgumentException
                || e instanceof UnsupportedModelException || e instanceof ServerStartException
                || e instanceof ModelRegistryException) {
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
