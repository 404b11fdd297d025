package dev.digits.cli;

import dev.digits.train.data.Dataset;
import dev.digits.train.data.Mnist;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;

/** Where MNIST comes from: {@code --data DIR}, else {@code DIGITS_DATA_DIR}, else the per-user cache (downloading). */
final class DataOptions {
    @Option(names = "--data", paramLabel = "DIR",
            description = "MNIST's four files (gzip or raw); for a model trained on other data, that data. Default: $DIGITS_DATA_DIR, else ~/.cache/digits/mnist (downloaded when missing).")
    Path data;

    Dataset loadMnist() throws IOException {
        return Mnist.load(data);
    }
}
