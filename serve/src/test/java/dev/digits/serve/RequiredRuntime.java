package dev.digits.serve;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Something outside the JVM a test needs (a browser, node, packaged web assets). On a developer's machine a test whose
 * runtime is missing is skipped, saying what is missing and how to get it; under CI ({@code CI=true}) it fails
 * instead, since there a missing runtime is exactly the defect such a test exists to catch, and a skip would hide it.
 */
public final class RequiredRuntime {
    private RequiredRuntime() {
    }

    /** True when the environment variable {@code CI} is {@code true} (any case), as CI services set it. */
    public static boolean onCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /**
     * Returns when {@code present}; otherwise fails under CI and aborts (skips) the test elsewhere, with
     * {@code missing} (what is missing and how to provide it) as the message.
     */
    public static void require(boolean present, String missing) {
        if (present) return;
        if (onCi()) Assertions.fail(missing + " (CI=true: this test must run)");
        Assumptions.abort(missing + " (test skipped; with CI=true it fails)");
    }
}
