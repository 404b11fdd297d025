package dev.digits.cli;

import dev.digits.core.model.Architectures;
import dev.digits.core.model.ModelSpec;
import dev.digits.core.artifact.ModelArtifact;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** {@code digits summary}: the layer table of an architecture, as Keras' {@code model.summary()} prints it. */
@Command(name = "summary", mixinStandardHelpOptions = true,
        description = "Print an architecture's layers with output shapes and parameter counts.",
        footer = {"", "Examples:", "  digits summary --model cnn", "  digits summary models/cnn", "  digits summary --model my-net.json"})
final class SummaryCommand implements Callable<Integer> {
    @Option(names = {"-m", "--model"}, paramLabel = "NAME|FILE", description = "Architecture name or spec file.")
    String model;

    @Parameters(arity = "0..1", paramLabel = "MODEL_DIR", description = "A trained model directory (instead of --model).")
    Path dir;

    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        ModelSpec spec;
        if (dir != null) {
            spec = Files.isDirectory(dir) ? ModelArtifact.open(dir).spec() : Architectures.get(dir.toString());
        } else {
            spec = Architectures.get(model == null ? "cnn" : model);
        }
        System.out.print(table(spec));
        return ExitCodes.OK;
    }

    static String table(ModelSpec spec) {
        StringBuilder sb = new StringBuilder();
        String line = "─".repeat(78) + "\n";
        sb.append(String.format("Model: \"%s\"%n", spec.name()));
        if (!spec.description().isEmpty()) sb.append(spec.description()).append('\n');
        sb.append(line);
        sb.append(String.format("%-44s %-20s %12s%n", "Layer (type)", "Output shape", "Param #"));
        sb.append(line.replace('─', '═'));
        sb.append(String.format("%-44s %-20s %12s%n", "input", spec.inputShape(), "0"));
        for (ModelSpec.Node n : spec.nodes()) {
            String indent = "  ".repeat(n.depth());
            String label = indent + n.layer().name() + " (" + n.layer().describe() + ")";
            if (label.length() > 44) label = label.substring(0, 43) + "…";
            sb.append(String.format(Locale.ROOT, "%-44s %-20s %,12d%n", label, n.outputShape(), n.parameterCount()));
        }
        sb.append(line.replace('─', '═'));
        sb.append(String.format(Locale.ROOT, "Total params: %,d (%s as float32)%n", spec.parameterCount(),
                humanBytes(4 * spec.parameterCount())));
        sb.append(String.format("Output: %d classes (softmax)%n", spec.classes()));
        return sb.toString();
    }

    static String humanBytes(long b) {
        if (b < 1024) return b + " B";
        if (b < 1024 * 1024) return String.format(Locale.ROOT, "%.1f KB", b / 1024.0);
        return String.format(Locale.ROOT, "%.2f MB", b / (1024.0 * 1024));
    }
}
