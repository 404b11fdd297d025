package dev.digits.train.data;

import dev.digits.core.error.InvalidInputException;
import dev.digits.core.data.ImageSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Seeded, per-class selections of images: a train/validation split that keeps every class's share, and a subsample
 * of N images per class. Each class is shuffled by its own generator derived from the seed, so adding images to one
 * class does not reshuffle the others.
 */
public final class StratifiedSampling {
    private StratifiedSampling() {
    }

    /** Indices of the training and validation parts of a split, each in ascending order of class, then of shuffle. */
    public static final class Split {
        private final int[] train;
        private final int[] validation;

        Split(int[] train, int[] validation) {
            this.train = train;
            this.validation = validation;
        }

        public int[] train() {
            return train.clone();
        }

        public int[] validation() {
            return validation.clone();
        }
    }

    /**
     * Splits the images of each class into training and validation: {@code round(n × fraction)} of a class's
     * {@code n} images go to validation, but at least one and never all of them.
     *
     * @param labels  one class index per image, in {@code [0, classes)}
     * @param classes number of classes; each needs at least two images
     * @throws IllegalArgumentException when the fraction is not in (0, 1) or a class has fewer than two images
     */
    public static Split split(int[] labels, int classes, double validationFraction, long seed) {
        if (!(validationFraction > 0 && validationFraction < 1)) {
            throw new InvalidInputException("the validation fraction must be between 0 and 1 (e.g. 0.2), got " + validationFraction);
        }
        List<int[]> byClass = shuffledByClass(labels, classes, seed);
        List<Integer> train = new ArrayList<>();
        List<Integer> validation = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            int[] members = byClass.get(c);
            if (members.length < 2) {
                throw new InvalidInputException("class " + c + " has " + members.length
                        + " image(s); a split needs at least two per class (one to train on, one to validate with)");
            }
            int v = (int) Math.max(1, Math.min(members.length - 1, Math.round(members.length * validationFraction)));
            for (int i = 0; i < members.length; i++) (i < v ? validation : train).add(members[i]);
        }
        return new Split(toArray(train), toArray(validation));
    }

    /**
     * Up to {@code perClass} images of each class, chosen at random (seeded); classes with fewer keep all theirs.
     * The result is ordered by class.
     */
    public static ImageSet perClass(ImageSet set, int perClass, long seed) {
        if (perClass < 1) throw new InvalidInputException("images per class must be at least 1, got " + perClass);
        int[] labels = new int[set.size()];
        for (int i = 0; i < labels.length; i++) labels[i] = set.label(i);
        List<Integer> chosen = new ArrayList<>();
        for (int[] members : shuffledByClass(labels, set.classNames().size(), seed)) {
            for (int i = 0; i < Math.min(perClass, members.length); i++) chosen.add(members[i]);
        }
        return set.subset(toArray(chosen));
    }

    private static List<int[]> shuffledByClass(int[] labels, int classes, long seed) {
        List<int[]> out = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            int n = 0;
            for (int l : labels) if (l == c) n++;
            int[] members = new int[n];
            int k = 0;
            for (int i = 0; i < labels.length; i++) if (labels[i] == c) members[k++] = i;
            Random rng = new Random(seed * 1_000_003L + c);
            for (int i = n - 1; i > 0; i--) {
                int j = rng.nextInt(i + 1);
                int t = members[i];
                members[i] = members[j];
                members[j] = t;
            }
            out.add(members);
        }
        return out;
    }

    private static int[] toArray(List<Integer> list) {
        int[] a = new int[list.size()];
        for (int i = 0; i < a.length; i++) a[i] = list.get(i);
        return a;
    }
}
