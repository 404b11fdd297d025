package dev.digits.serve.registry;

/** The models directory cannot be used as it is; the message names the problem and the fix. */
public class ModelRegistryException extends dev.digits.core.error.InvalidInputException {
    public ModelRegistryException(String message) {
        super(message);
    }

    public ModelRegistryException(String message, Throwable cause) {
        super(message, cause);
    }
}
