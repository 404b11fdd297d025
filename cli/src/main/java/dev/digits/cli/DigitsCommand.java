package dev.digits.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code digits} command: train, inspect, evaluate, export and serve handwritten-digit classifiers.
 * Each subcommand is a thin layer over the public Java API of the train, convert and serve modules.
 */
@Command(name = "digits", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Handwritten-digit classifiers from training to phone, browser and server.",
        subcommands = {TrainCommand.class, ImportCommand.class, SummaryCommand.class, EvaluateCommand.class, PredictCommand.class, ExportCommand.class, ServeCommand.class, RetrainCommand.class, RobustnessCommand.class,
                CommandLine.HelpCommand.class},
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:success",
                "1:unexpected failure (run with --verbose for the stack trace)",
                "2:invalid command line",
                "3:invalid input: data, model, architecture or image",
                "4:an exported file failed verification"})
public final class DigitsCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Runs the command line and exits with its code. */
    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns the exit code (for tests and embedding). */
    public static int run(String... args) {
        return newCommandLine().execute(args);
    }

    /** The configured command line: exception mapping, case-insensitive enums. */
    public static CommandLine newCommandLine() {
        CommandLine cl = new CommandLine(new DigitsCommand());
        cl.setExecutionExceptionHandler(new ErrorHandler());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        return cl;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }
}
