package dev.digits.convert;

import dev.digits.core.artifact.InputContract;

/** The input contract in words, as the exported files' metadata shows it to people reading them. */
public final class InputDescriptions {
    private InputDescriptions() {
    }

    /** E.g. "28x28 grayscale, light ink on a dark background; the digit scaled into a 20x20 box and centred …". */
    public static String of(InputContract c) {
        String polarity = c.polarity() == InputContract.Polarity.LIGHT_ON_DARK
                ? "light ink on a dark background" : "dark ink on a light background";
        String prep = switch (c.preprocessing()) {
            case DIGIT -> "the digit cropped to its ink, scaled into a 20x20 box and centred by its centre of mass, as MNIST";
            case DIGIT_DESKEWED -> "the digit cropped to its ink, scaled into a 20x20 box and centred by its centre of mass, as MNIST,"
                    + " then its slant removed by a horizontal shear from its second moments";
            case RESIZE -> "the whole picture resized to " + c.width() + "x" + c.height();
        };
        return c.width() + "x" + c.height() + (c.channels() == 1 ? " grayscale" : " × " + c.channels() + " channels")
                + ", " + polarity + "; " + prep;
    }
}
