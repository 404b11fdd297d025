package dev.digits.train;

import dev.digits.train.data.Dataset;
import dev.digits.train.data.Mnist;

import java.io.IOException;
import java.nio.file.Path;

/** The real MNIST files, from the directory the build passes in ({@code digits.data}); loaded once per JVM. */
public final class TestData {
    private static Dataset mnist;

    private TestData() {
    }

    public static synchronized Dataset mnist() throws IOException {
        if (mnist == null) {
            String dir = System.getProperty("digits.data");
            if (dir == null) throw new IllegalStateException("set -Ddigits.data to the directory holding the MNIST files");
            mnist = Mnist.load(Path.of(dir), false, Mnist.DEFAULT_MIRRORS);
        }
        return mnist;
    }
}
