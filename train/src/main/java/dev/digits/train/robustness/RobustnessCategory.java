package dev.digits.train.robustness;

import java.util.Random;

/**
 * One named kind of image users send, with a deterministic generator: image {@code i} of seed {@code s} is always
 * the same file, however many images are asked for and in whichever order.
 */
public final class RobustnessCategory {
    /** What a category's images hold, which decides how its results are read. */
    public enum Kind {
        /** Digits: accuracy and false rejections count. */
        DIGIT,
        /** Pictures that are not digits: every answer other than "no digit" is wrong. */
        NOT_A_DIGIT,
        /**
         * Not digits, but shaped like a "0" (rings, ovals): a person would hesitate too, so they are reported apart
         * and left out of the non-digit totals.
         */
        ZERO_LIKE,
        /** Nothing drawn at all: empty canvases and blank paper. */
        EMPTY;

        /** Whether a "no digit" answer is the right one for this kind. */
        public boolean wantsRejection() {
            return this != DIGIT;
        }
    }

    /** Draws image {@code index} from a random source seeded for it. */
    @FunctionalInterface
    interface Renderer {
        RobustnessImage render(Random random, int index);
    }

    private final String name;
    private final String description;
    private final Kind kind;
    private final Renderer renderer;

    RobustnessCategory(String name, String description, Kind kind, Renderer renderer) {
        this.name = name;
        this.description = description;
        this.kind = kind;
        this.renderer = renderer;
    }

    /** A short identifier, as the table and the example grid name it. */
    public String name() {
        return name;
    }

    /** One sentence on what its images are. */
    public String description() {
        return description;
    }

    public Kind kind() {
        return kind;
    }

    /** Image {@code index} of this category for {@code seed}: a function of the three alone. */
    public RobustnessImage image(long seed, int index) {
        // String.hashCode is specified, so the stream of a category is the same on every JVM.
        long mixed = seed * 0x9E3779B97F4A7C15L + name.hashCode() * 0xC2B2AE3D27D4EB4FL + index * 0x165667B19E3779F9L;
        return renderer.render(new Random(mixed), index);
    }
}
