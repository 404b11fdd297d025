package dev.digits.train;

import dev.digits.core.model.Architectures;
import dev.digits.core.model.Tensor;
import dev.digits.train.data.Dataset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

class ReproducibilityTest {
    @TempDir
    Path dir;

    private Map<String, Tensor> train(long seed, String name) throws Exception {
        Dataset mnist = TestData.mnist();
        Dataset slice = new Dataset("mnist", mnist.train().head(3000), mnist.test().head(500), mnist.checksums());
        Trainer t = Trainer.builder().architecture(Architectures.get("cnn")).epochs(1).seed(seed).augmentation(Augmentation.standard())
                .progress(false, new PrintStream(OutputStream.nullOutputStream())).build();
        try (TrainedModel m = t.train(slice, dir.resolve(name))) {
            return m.weights();
        }
    }

    @Test
    void theSameSeedGivesTheSameWeightsAndAnotherSeedDoesNot() throws Exception {
        Map<String, Tensor> a = train(5, "a");
        Map<String, Tensor> b = train(5, "b");
        Map<String, Tensor> c = train(6, "c");
        for (String k : a.keySet()) assertArrayEquals(a.get(k).data(), b.get(k).data(), k);
        assertFalse(java.util.Arrays.equals(a.get("dense_2.weight").data(), c.get("dense_2.weight").data()));
    }
}
