package dev.digits.cli;

/** The documented exit codes of {@code digits}. */
public final class ExitCodes {
    public static final int OK = 0;
    public static final int FAILURE = 1;
    public static final int USAGE = 2;
    public static final int INVALID_INPUT = 3;
    public static final int VERIFICATION_FAILED = 4;

    private ExitCodes() {
    }
}
