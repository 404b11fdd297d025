package dev.digits.train.robustness;

import dev.digits.core.data.ImageSet;

import java.util.ArrayList;
import java.util.List;

/**
 * The project's own robustness images: every category, generated in the repository from MNIST and the installed
 * fonts, with no image data committed.
 */
public final class RobustnessSuite {
    private RobustnessSuite() {
    }

    /**
     * Every category, digits first.
     *
     * @param mnistDigits the 28×28 MNIST digits to redraw: the <em>test</em> set to report results, a held-out slice
     *                    of the training set for anything that chooses a setting
     * @param fonts       the fonts other writing styles and letters are drawn in
     */
    public static List<RobustnessCategory> categories(ImageSet mnistDigits, InstalledFonts fonts) {
        FontCharacters characters = new FontCharacters(fonts);
        List<RobustnessCategory> all = new ArrayList<>(new UserLikeDigits(mnistDigits).categories());
        all.addAll(characters.digitCategories());
        all.add(characters.letters());
        all.addAll(NonDigitPictures.categories());
        return List.copyOf(all);
    }
}
