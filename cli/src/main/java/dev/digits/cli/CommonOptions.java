package dev.digits.cli;

import picocli.CommandLine.Option;

/** Options every subcommand shares. */
final class CommonOptions {
    @Option(names = "--verbose", description = "Show stack traces and engine logs.")
    boolean verbose;
}
