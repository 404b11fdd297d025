package dev.digits.core.client;

/** What one {@link ModelUpdater#update()} did. Only {@link #DOWNLOADED} changes the model in use. */
public enum UpdateStatus {
    /** A newer (or different) model was downloaded, verified and installed; it is used from now on. */
    DOWNLOADED(false),
    /** The server's latest model is the one installed (the server answered 304 Not Modified). */
    UP_TO_DATE(false),
    /** The server lists no such model in the wanted format and quantization; nothing changed. */
    NOT_ON_SERVER(true),
    /**
     * The server could not be reached, did not answer in time, or a download broke off; nothing changed (the bytes of
     * a broken-off download are kept, and the next update resumes it).
     */
    UNREACHABLE(true),
    /** The server answered with an error or with something that is not the Digits API; nothing changed. */
    SERVER_ERROR(true),
    /** The downloaded bytes did not match the SHA-256 (or size) the server listed; they were discarded. */
    CORRUPT_DOWNLOAD(true),
    /** The download was intact but the app's check refused it (e.g. the runtime could not load it); discarded. */
    REJECTED(true),
    /** The download could not be written to the app's storage; nothing changed. */
    STORAGE_ERROR(true);

    private final boolean failure;

    UpdateStatus(boolean failure) {
        this.failure = failure;
    }

    /** Whether the update failed; the model in use is then the one that was in use before. */
    public boolean isFailure() {
        return failure;
    }
}
