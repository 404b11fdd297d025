package dev.digits.train.robustness;

import dev.digits.core.data.ImageSet;
import dev.digits.core.preprocess.DigitPreprocessor;
import dev.digits.core.preprocess.PreprocessedDigit;
import dev.digits.train.data.ImageFiles;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Images that are not digits, for training a model to say so: some of the robustness benchmark's non-digit families,
 * drawn with seeds the benchmark never uses, and turned into 28×28 inputs by the same preprocessing the server
 * applies (pictures in which it finds nothing are left out: they never reach a model).
 *
 * <p>Only {@link #TRAINING_FAMILIES} are drawn — pictures on a drawing pad, quick to make — so the benchmark's other
 * non-digit families (shapes, rings, textures, photos of objects) measure pictures of a kind the model never saw.
 */
public final class NotDigitTrainingImages {
    /** The benchmark categories whose kind of picture a model is trained on. */
    public static final Set<String> TRAINING_FAMILIES = Set.of("letters", "scribbles");

    /** Seeds for training images start here; the benchmark's run from 1. */
    static final long SEED_OFFSET = 1_000_000_007L;

    private NotDigitTrainingImages() {
    }

    /**
     * Generates {@code count} preprocessed images (as evenly as possible from each family), in 28×28 MNIST form.
     *
     * @param progress told how many images are done, for long runs
     */
    public static ImageSet generate(InstalledFonts fonts, int count, long seed, IntConsumer progress) {
        if (count < 1) throw new IllegalArgumentException("need at least one image, got " + count);
        List<RobustnessCategory> families = new ArrayList<>();
        for (RobustnessCategory c : RobustnessSuite.categories(emptyDigits(), fonts)) {
            if (TRAINING_FAMILIES.contains(c.name())) families.add(c);
        }
        DigitPreprocessor preprocessor = DigitPreprocessor.defaults();
        byte[] pixels = new byte[count * PreprocessedDigit.PIXELS];
        int made = 0;
        // Bounded: a family that kept producing pictures without ink would otherwise loop forever.
        for (int index = 0; made < count && index < 20L * count; index++) {
            RobustnessCategory family = families.get(index % families.size());
            RobustnessImage image = family.image(SEED_OFFSET + seed, index / families.size());
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
            made++;
            if (progress != null) progress.accept(made);
        }
        if (made < count) throw new IllegalStateException("only " + made + " of " + count + " pictures held any ink");
        // Labels are not used: these images are trained toward every class equally.
        return new ImageSet(28, 28, pixels, new int[count], ImageSet.digitClasses());
    }

    /** The digit families need MNIST digits; only non-digit families are drawn here, so none are given. */
    private static ImageSet emptyDigits() {
        return new ImageSet(28, 28, new byte[0], new int[0], ImageSet.digitClasses());
    }

    /** What a model card records as the source of these images. */
    public static String describe(int count, long seed) {
        return count + " pictures that are not digits (" + String.join(", ", TRAINING_FAMILIES.stream().sorted().toList())
                + ", seed " + seed + " + " + SEED_OFFSET + "), preprocessed as the server does";
    }
}
