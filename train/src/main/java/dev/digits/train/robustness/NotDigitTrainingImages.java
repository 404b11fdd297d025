package dev.digits.train.robustness;

import dev.digits.core.data.ImageSet;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Images that are not digits, for training a model to say so: some of the robustness benchmark's non-digit families,
 * drawn with seeds the benchmark never uses, and turned into 28×28 inputs by the same preprocessing the server
 * applies ({@link PreprocessedPictures}).
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
        List<RobustnessCategory> families = new ArrayList<>();
        for (RobustnessCategory c : RobustnessSuite.categories(emptyDigits(), fonts)) {
            if (TRAINING_FAMILIES.contains(c.name())) families.add(c);
        }
        // Labels are not used: these images are trained toward every class equally.
        return PreprocessedPictures.draw(families, SEED_OFFSET + seed, count, false, progress);
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
