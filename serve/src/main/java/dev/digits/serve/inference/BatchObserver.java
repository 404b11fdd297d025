package dev.digits.serve.inference;

/** Told about every batch a model runs, for metrics. */
@FunctionalInterface
public interface BatchObserver {
    /** Does nothing. */
    BatchObserver NONE = (model, images, nanos) -> { };

    /**
     * @param model  the model's name
     * @param images images in the batch
     * @param nanos  time the model took for it
     */
    void batch(String model, int images, long nanos);
}
