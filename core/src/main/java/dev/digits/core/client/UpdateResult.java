package dev.digits.core.client;

/**
 * The outcome of one {@link ModelUpdater#update()}: what happened, the model to use from now on, and a sentence for
 * the user. Immutable.
 */
public final class UpdateResult {
    private final UpdateStatus status;
    private final InstalledModel installed;
    private final String offeredVersion;
    private final String message;

    UpdateResult(UpdateStatus status, InstalledModel installed, String offeredVersion, String message) {
        this.status = status;
        this.installed = installed;
        this.offeredVersion = offeredVersion;
        this.message = message;
    }

    public UpdateStatus status() {
        return status;
    }

    /**
     * The downloaded model to use after this update: the new one after {@link UpdateStatus#DOWNLOADED}, otherwise
     * the one installed before; null when none has ever been installed, in which case the app uses its bundled model.
     */
    public InstalledModel installed() {
        return installed;
    }

    /** The version the server offered as its latest, or null when the list could not be read. */
    public String offeredVersion() {
        return offeredVersion;
    }

    /** What happened, in one sentence for the user (on failure: why, and that the previous model stays in use). */
    public String message() {
        return message;
    }

    @Override
    public String toString() {
        return status + ": " + message;
    }
}
