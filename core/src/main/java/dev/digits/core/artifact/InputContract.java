package dev.digits.core.artifact;

import dev.digits.core.error.InvalidInputException;
import dev.digits.core.model.Shape;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a model expects as input, written down so that no stage has to guess: the image size and channels, the
 * range its pixels are scaled to, an optional normalisation, the polarity of ink and background, and the
 * preprocessing that turns a user's picture into that input. Every exporter writes it into its file's metadata,
 * the server and the apps apply it.
 *
 * @param height        input height in pixels
 * @param width         input width in pixels
 * @param channels      channels (1: grey)
 * @param low           value of a black pixel after scaling (0 for x/255)
 * @param high          value of a white pixel after scaling (1 for x/255)
 * @param mean          subtracted after scaling (0: none)
 * @param std           divided by after subtracting the mean (1: none)
 * @param polarity      how ink and background look in the input the model was trained on
 * @param preprocessing how a user's picture becomes the input
 */
public record InputContract(int height, int width, int channels, float low, float high, float mean, float std,
                            Polarity polarity, Preprocessing preprocessing) {

    /** Ink against background, as the training images show it. */
    public enum Polarity {
        /** Light ink on a dark background, as MNIST. */
        LIGHT_ON_DARK("light-on-dark"),
        /** Dark ink on a light background, as paper. */
        DARK_ON_LIGHT("dark-on-light");

        private final String id;

        Polarity(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        static Polarity of(String text) {
            String t = text.toLowerCase(Locale.ROOT);
            // Cards written before the contract was typed describe the polarity in words.
            if (t.equals("light-on-dark") || t.startsWith("light ink") || t.startsWith("white")) return LIGHT_ON_DARK;
            if (t.equals("dark-on-light") || t.startsWith("dark ink") || t.startsWith("black")) return DARK_ON_LIGHT;
            throw new InvalidInputException("input polarity '" + text + "' is neither light-on-dark nor dark-on-light");
        }
    }

    /** How a picture becomes the model's input. */
    public enum Preprocessing {
        /** Handwriting: crop to the ink, scale into a 20-pixel box, centre by mass in 28×28, either polarity (MNIST). */
        DIGIT("digit"),
        /**
         * As {@link #DIGIT}, then the digit's slant removed by a shear from its moments
         * ({@link dev.digits.core.preprocess.Deskew}): for models trained on deskewed digits.
         */
        DIGIT_DESKEWED("digit-deskewed"),
        /** The whole picture resized to the input size, as photographed (retrained models on object photos). */
        RESIZE("resize");

        private final String id;

        Preprocessing(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        /** Whether the digit is found in the picture, cropped and centred ({@code digit}, {@code digit-deskewed}). */
        public boolean findsDigit() {
            return this != RESIZE;
        }

        /** The preprocessing called {@code id} ({@code digit}, {@code digit-deskewed} or {@code resize}). */
        public static Preprocessing of(String id) {
            for (Preprocessing p : values()) if (p.id.equals(id)) return p;
            throw new InvalidInputException("preprocessing '" + id + "' is unknown; use digit, digit-deskewed or resize");
        }
    }

    public InputContract {
        if (height < 1 || width < 1 || channels < 1) {
            throw new InvalidInputException("input shape " + height + "×" + width + "×" + channels + " must be positive");
        }
        if (!(high > low)) throw new InvalidInputException("input range [" + low + ", " + high + "] is empty");
        if (!(std > 0)) throw new InvalidInputException("input normalisation std " + std + " must be positive");
        if (polarity == null || preprocessing == null) throw new InvalidInputException("input polarity and preprocessing are required");
    }

    /** The MNIST contract for an input of {@code shape}: x/255 in [0,1], light ink on dark, digit preprocessing. */
    public static InputContract mnist(Shape shape) {
        int side = (int) Math.round(Math.sqrt(shape.size()));
        if (shape.isFlat() && side * side == shape.size()) {
            // A flat input of a square's size (the ML Kit MLP) still reads a grey image, row by row; any other flat
            // input is a vector of features, 1×1 with that many channels.
            return new InputContract(side, side, 1, 0f, 1f, 0f, 1f, Polarity.LIGHT_ON_DARK, Preprocessing.DIGIT);
        }
        return new InputContract(shape.height(), shape.width(), shape.channels(), 0f, 1f, 0f, 1f,
                Polarity.LIGHT_ON_DARK, Preprocessing.DIGIT);
    }

    /** This contract with another preprocessing. */
    public InputContract withPreprocessing(Preprocessing p) {
        return new InputContract(height, width, channels, low, high, mean, std, polarity, p);
    }

    /** Values in one input example. */
    public int size() {
        return height * width * channels;
    }

    /** The model's input value for a pixel {@code v} in [0,1] (black 0, white 1) of the polarity above. */
    public float apply(float v) {
        return ((low + v * (high - low)) - mean) / std;
    }

    /** The values this contract feeds, in words: e.g. {@code (x/255 − 0.1307)/0.3081, light ink on dark}. */
    public String valuesInWords() {
        String range;
        if (mean != 0f || std != 1f) {
            String base = low == 0f && high == 1f ? "x/255" : "[" + number(low) + "," + number(high) + "]";
            range = "(" + base + " − " + number(mean) + ")/" + number(std);
        } else if (low == 0f && high == 1f) {
            range = "[0,1] (x/255)";
        } else {
            range = "[" + number(low) + "," + number(high) + "]";
        }
        return range + ", " + (polarity == Polarity.LIGHT_ON_DARK ? "light ink on dark" : "dark ink on light");
    }

    private static String number(float v) {
        return v == Math.rint(v) ? Integer.toString((int) v) : Float.toString(v);
    }

    /** Whether the model's input is the plain x/255 scaling, with no normalisation. */
    public boolean isUnitRange() {
        return low == 0f && high == 1f && mean == 0f && std == 1f;
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("shape", List.of(height, width, channels));
        m.put("range", List.of(low, high));
        if (mean != 0f || std != 1f) m.put("normalization", Map.of("mean", mean, "std", std));
        m.put("polarity", polarity.id());
        m.put("preprocessing", preprocessing.id());
        return m;
    }

    static InputContract fromJson(Object json, Shape specInput, String trainedPreprocessing) {
        InputContract fallback = mnist(specInput);
        if (json == null) return trainedPreprocessing == null ? fallback : fallback.withPreprocessing(Preprocessing.of(trainedPreprocessing));
        Map<?, ?> m = Fields.object(json, "input");
        int h = fallback.height();
        int w = fallback.width();
        int c = fallback.channels();
        if (m.get("shape") != null) {
            List<Integer> s = new ArrayList<>();
            for (Object o : Fields.list(m.get("shape"), "input.shape")) s.add(Fields.integer(o, "input.shape"));
            if (s.size() == 3) {
                h = s.get(0);
                w = s.get(1);
                c = s.get(2);
            } else if (s.size() == 1) {
                // A flat input (the ML Kit MLP): its values are still a square grey image.
                int side = (int) Math.round(Math.sqrt(s.get(0)));
                h = side;
                w = side;
                c = 1;
            } else {
                throw new InvalidInputException("input.shape " + s + " must be [height, width, channels]");
            }
        }
        float lo = 0f;
        float hi = 1f;
        if (m.get("range") != null) {
            List<?> r = Fields.list(m.get("range"), "input.range");
            if (r.size() != 2) throw new InvalidInputException("input.range must be [low, high], was " + r);
            lo = Fields.number(r.get(0), "input.range").floatValue();
            hi = Fields.number(r.get(1), "input.range").floatValue();
        }
        float mean = 0f;
        float std = 1f;
        if (m.get("normalization") != null) {
            Map<?, ?> n = Fields.object(m.get("normalization"), "input.normalization");
            mean = Fields.number(n.get("mean"), "input.normalization.mean").floatValue();
            std = Fields.number(n.get("std"), "input.normalization.std").floatValue();
        }
        if ((long) h * w * c != specInput.size()) {
            throw new InvalidInputException("input.shape " + h + "×" + w + "×" + c + " does not hold the " + specInput.size()
                    + " values the architecture takes");
        }
        Polarity polarity = m.get("polarity") == null ? Polarity.LIGHT_ON_DARK : Polarity.of(String.valueOf(m.get("polarity")));
        // Cards written before the contract carried it name a retrained model's preprocessing under training.
        Object declared = m.get("preprocessing") != null ? m.get("preprocessing") : trainedPreprocessing;
        Preprocessing prep = declared == null ? Preprocessing.DIGIT : Preprocessing.of(String.valueOf(declared));
        return new InputContract(h, w, c, lo, hi, mean, std, polarity, prep);
    }
}
