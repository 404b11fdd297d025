package dev.digits.train.robustness;

import dev.digits.core.data.ImageSet;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.IntConsumer;

/**
 * Digits as users send them, for training a model on more than MNIST's tidy strokes: some of the robustness
 * benchmark's digit families — MNIST <em>training</em> digits redrawn on pads of other sizes, off-centre and with
 * thick and thin pens, and digits in the installed fonts — drawn with seeds the benchmark never uses, labelled, and
 * turned into 28×28 inputs by the server's preprocessing ({@link PreprocessedPictures}).
 *
 * <p>Only {@link #TRAINING_FAMILIES} are drawn, so the benchmark's other digit families (the 280×280 canvas, paper
 * photos, JPEG-compressed canvases, elastically bent font digits) measure kinds of picture the model never saw.
 */
public final class UserDigitTrainingImages {
    /** The benchmark categories whose kind of picture a model is trained on. */
    public static final Set<String> TRAINING_FAMILIES = Set.of("canvas-small-off-centre", "canvas-large", "pen-thick",
            "pen-thin", "font-digits");

    /** Seeds for training images start here; the benchmark's run from 1, the pictures that are not digits' elsewhere. */
    static final long SEED_OFFSET = 2_000_000_011L;

    private UserDigitTrainingImages() {
    }

    /**
     * Generates {@code count} labelled images (as evenly as possible from each family), in 28×28 MNIST form.
     *
     * @param trainingDigits MNIST digits to redraw: training digits only, never the test set or a held-out slice
     * @param progress       told how many images are done, or null
     */
    public static ImageSet generate(ImageSet trainingDigits, InstalledFonts fonts, int count, long seed,
                                    IntConsumer progress) {
        return draw(trainingDigits, fonts, count, SEED_OFFSET + seed, progress);
    }

    /** Seeds for the held-out digits a digit check is fitted on: apart from training's, the benchmark's and the negatives'. */
    static final long HELD_OUT_SEED_OFFSET = 3_000_000_019L;

    /**
     * {@code count} labelled digits drawn as users send them, for fitting a digit check and nothing else: the same
     * families as {@link #generate}, redrawing digits the model never trained on, with seeds training never uses.
     *
     * @param heldOutDigits MNIST digits kept out of training (never the test set)
     */
    public static ImageSet generateHeldOut(ImageSet heldOutDigits, InstalledFonts fonts, int count, long seed) {
        return draw(heldOutDigits, fonts, count, HELD_OUT_SEED_OFFSET + seed, null);
    }

    private static ImageSet draw(ImageSet digits, InstalledFonts fonts, int count, long seed, IntConsumer progress) {
        List<RobustnessCategory> families = new ArrayList<>();
        for (RobustnessCategory c : RobustnessSuite.categories(digits, fonts)) {
            if (TRAINING_FAMILIES.contains(c.name())) families.add(c);
        }
        return PreprocessedPictures.draw(families, seed, count, true, progress);
    }

    /** What a model card records as the source of these images. */
    public static String describe(int count, long seed) {
        return count + " digits drawn as users send them (" + String.join(", ", TRAINING_FAMILIES.stream().sorted().toList())
                + ", seed " + seed + " + " + SEED_OFFSET + "; MNIST training digits and the installed fonts), preprocessed "
                + "as the server does";
    }
}
