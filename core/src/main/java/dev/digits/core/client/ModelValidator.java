package dev.digits.core.client;

import java.io.File;

/**
 * The app's last word on a downloaded model before it replaces the one in use, typically: can the on-device runtime
 * load it, and does it have the input and output the app feeds it. Its SHA-256 has already been verified.
 */
public interface ModelValidator {
    /**
     * @param candidate the verified download, not yet installed
     * @throws Exception with a message saying what is wrong; the candidate is then discarded
     */
    void validate(File candidate) throws Exception;
}
