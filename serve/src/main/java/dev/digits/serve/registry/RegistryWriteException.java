package dev.digits.serve.registry;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;

/**
 * The models directory could not be written — a fault of the server's storage, not of the request. Its message names
 * the cause (permission denied, disk full, read-only file system…) and what the operator must do, without paths: it
 * is shown to clients. The path is in {@link #getCause()}, for the server's log.
 */
public class RegistryWriteException extends RuntimeException {
    RegistryWriteException(String doing, IOException cause) {
        super("the server cannot write its models directory (" + doing + ": " + reason(cause) + "); the operator must "
                + "make it writable and give it room", cause);
    }

    /** The shared registry's database refused or failed a write; the message gives its reason, never the URL. */
    RegistryWriteException(String doing, java.sql.SQLException cause) {
        super("the server cannot write its registry database (" + doing + ": " + cause.getMessage()
                + "); the operator must check that the database is reachable and writable", cause);
    }

    private static String reason(IOException e) {
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof NoSuchFileException) return "a directory it needs is missing";
        if (e instanceof FileAlreadyExistsException || e instanceof NotDirectoryException) {
            return "a file is in the way of a directory it needs";
        }
        if (e instanceof FileSystemException && ((FileSystemException) e).getReason() != null) {
            return ((FileSystemException) e).getReason();
        }
        return e.getClass().getSimpleName();
    }
}
