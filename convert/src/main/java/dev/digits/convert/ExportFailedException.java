package dev.digits.convert;

import dev.digits.core.error.VerificationFailedException;

/**
 * An export that must not count as done: a float32 file disagreed with the trained model beyond the tolerance, a
 * file could not be written or run in its runtime, or nothing at all could be exported. The failed files have been
 * deleted; the report (also written to the export directory) says what happened to every format.
 */
public class ExportFailedException extends VerificationFailedException {
    private final transient ExportReport report;

    public ExportFailedException(String message, ExportReport report) {
        super(message);
        this.report = report;
    }

    /** Every format × quantization's outcome, the failed ones included. */
    public ExportReport report() {
        return report;
    }
}
