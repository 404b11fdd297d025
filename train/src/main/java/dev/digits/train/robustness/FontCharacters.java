package dev.digits.train.robustness;

import dev.digits.train.robustness.RobustnessCategory.Kind;
import dev.digits.train.robustness.Surface.Polarity;

import java.util.List;
import java.util.Random;

/**
 * Characters from the installed fonts drawn as other people shape them: digits (another writing style than MNIST's)
 * and letters (not digits).
 *
 * <p>Letters exclude the shapes that are digits in some hand or font, so that "not a digit" is the only fair
 * answer for every letter left: O, o, Q and D (0), I, l, i and j (1), Z and z (2), S and s (5), b and G (6), B (8),
 * g and q (9). T, J, L and the rest stay: a reader does not take them for digits even when a model does.
 */
final class FontCharacters {
    /** The letters drawn; see the class comment for those left out and why. */
    static final String LETTERS = "ACEFHJKLMNPRTUVWXYacdefhkmnprtuvwxy";

    private final InstalledFonts fonts;

    FontCharacters(InstalledFonts fonts) {
        this.fonts = fonts;
    }

    List<RobustnessCategory> digitCategories() {
        return List.of(
                new RobustnessCategory("font-digits", "digits 0–9 in the installed fonts on a 280×280 pad: slant ±0.35, rotation ±15°, added stroke, either polarity",
                        Kind.DIGIT, (r, i) -> character(r, (char) ('0' + i % 10), i % 10, 0)),
                new RobustnessCategory("font-digits-elastic", "as font-digits, bent by an elastic distortion (strength 3–6% of the pad, smoothness 10%)",
                        Kind.DIGIT, (r, i) -> character(r, (char) ('0' + i % 10), i % 10, 0.03 + 0.03 * r.nextDouble())));
    }

    RobustnessCategory letters() {
        return new RobustnessCategory("letters", "letters " + LETTERS + " in the installed fonts, drawn as font-digits",
                Kind.NOT_A_DIGIT, (r, i) -> character(r, LETTERS.charAt(i % LETTERS.length()), RobustnessImage.NOT_A_DIGIT, 0));
    }

    private RobustnessImage character(Random r, char c, int label, double elastic) {
        int pad = 280;
        InkMask mask = fonts.glyph(r, c, pad, pad, InstalledFonts.Style.random(r, pad), 0.3);
        if (elastic > 0) mask = mask.elastic(r, elastic * pad, 0.1 * pad);
        Polarity p = Polarity.any(r);
        return RobustnessImage.png(Surface.canvas(pad, pad, p).render(mask, 0, 0), label, p.description);
    }
}
