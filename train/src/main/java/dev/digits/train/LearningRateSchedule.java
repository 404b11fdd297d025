package dev.digits.train;

import dev.digits.core.error.InvalidInputException;
import ai.djl.training.tracker.Tracker;

import java.util.List;

/**
 * How the learning rate moves over a run. {@code cosine} (the default) starts at the learning rate given and decays
 * it along half a cosine to zero at the last step: the final epochs then average out the noise of batch-32 updates
 * (and of batchnorm statistics), which gains a few tenths of a point on MNIST over a constant rate in the same
 * epochs. {@code constant} keeps it fixed, as Keras does unless told otherwise.
 */
public final class LearningRateSchedule {
    /** Names accepted by {@link #parse}. */
    public static final List<String> NAMES = List.of("cosine", "constant");

    private LearningRateSchedule() {
    }

    /** Checks a schedule name; the error lists the accepted ones. */
    public static String parse(String name) {
        if (!NAMES.contains(name)) {
            throw new InvalidInputException("unknown learning-rate schedule '" + name + "'; choose one of " + NAMES);
        }
        return name;
    }

    /**
     * The tracker for one run.
     *
     * @param totalSteps   optimizer steps in the whole run (all epochs)
     * @param stepsDone    steps already taken before this tracker starts (when resuming)
     */
    static Tracker tracker(String name, double learningRate, long totalSteps, long stepsDone) {
        float base = (float) learningRate;
        if (name.equals("constant")) return Tracker.fixed(base);
        return numUpdate -> {
            double t = Math.min(1.0, (stepsDone + numUpdate) / (double) Math.max(1, totalSteps));
            return (float) (base * 0.5 * (1 + Math.cos(Math.PI * t)));
        };
    }
}
