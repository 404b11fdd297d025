package dev.digits.serve.inference;

/** A model version held for the duration of one request; closing it lets the version be unloaded. */
public final class Lease implements AutoCloseable {
    private final ServingVersion version;
    private boolean closed;

    Lease(ServingVersion version) {
        this.version = version;
    }

    public ServingVersion version() {
        return version;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            version.release();
        }
    }
}
