package dev.digits.train.robustness;

import dev.digits.core.data.ImageSet;
import dev.digits.core.preprocess.DigitPreprocessor;
import dev.digits.core.preprocess.PreprocessedDigit;
import dev.digits.train.data.ImageFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Training images drawn by robustness generators: each picture encoded as a client would send it, decoded and
 * preprocessed as the server does, so that a model trains on exactly what it will be given. Pictures in which the
 * preprocessing finds nothing never reach a model and are left out.
 */
final class PreprocessedPictures {
    private PreprocessedPictures() {
    }

    /**
     * {@code count} images from {@code families} in turn, in 28×28 MNIST form.
     *
     * @param labelled whether each image keeps its picture's label (digits) or gets 0 (pictures trained toward no class)
     * @param progress told how many images are done, or null
     */
    static ImageSet draw(List<RobustnessCategory> families, long seed, int count, boolean labelled, IntConsumer progress) {
        if (count < 1) throw new IllegalArgumentException("need at least one image, got " + count);
        if (families.isEmpty()) throw new IllegalArgumentException("no families to draw from");
        DigitPreprocessor preprocessor = DigitPreprocessor.defaults();
        byte[] pixels = new byte[count * PreprocessedDigit.PIXELS];
        int[] labels = new int[count];
        int made = 0;
        // Bounded: a family that kept producing pictures without ink would otherwise loop forever.
        for (int index = 0; made < count && index < 20L * count; index++) {
            RobustnessCategory family = families.get(index % families.size());
            RobustnessImage image = family.image(seed, index / families.size());
            PreprocessedDigit d;
            try {
                ImageFiles.ArgbImage argb = ImageFiles.decode(image.bytes(), family.name() + " #" + index,
                        ImageFiles.MAX_SIDE);
                d = preprocessor.process(argb.argb, argb.width, argb.height);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (!d.found()) continue;
            float[] p = d.pixels();
            for (int k = 0; k < p.length; k++) {
                pixels[made * PreprocessedDigit.PIXELS + k] = (byte) Math.round(Math.max(0, Math.min(1, p[k])) * 255);
            }
            labels[made] = labelled ? image.label() : 0;
            made++;
            if (progress != null) progress.accept(made);
        }
        if (made < count) throw new IllegalStateException("only " + made + " of " + count + " pictures held any ink");
        return new ImageSet(28, 28, pixels, labels, ImageSet.digitClasses());
    }
}
