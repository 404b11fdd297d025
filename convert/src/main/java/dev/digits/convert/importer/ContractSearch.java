package dev.digits.convert.importer;

import dev.digits.convert.LoadedModel;
import dev.digits.core.artifact.InputContract;
import dev.digits.core.artifact.InputContract.Polarity;
import dev.digits.core.artifact.InputContract.Preprocessing;
import dev.digits.core.data.ImageSet;
import dev.digits.core.recognition.Recognition;

import java.util.ArrayList;
import java.util.List;

/**
 * Finds the input a foreign model expects by running it on MNIST test digits under each plausible contract — the
 * pixel range, a normalisation and the polarity of ink — and keeping the one that answers best. A file does not say
 * whether it wants x/255, 0–255 or (x/255 − 0.1307)/0.3081; fed the wrong one a model answers garbage without any
 * error, so the choice is measured, not assumed.
 */
final class ContractSearch {
    /** Test digits the search runs each contract on: enough to separate a right contract (≥ 90 %) from a wrong one. */
    static final int IMAGES = 1000;

    /**
     * One contract tried and what it gave: top-1 accuracy and the mean cross-entropy of the true labels. The choice
     * goes by the cross-entropy: networks with ReLUs often stay accurate under a nearby contract (x/255 instead of
     * the normalised pixels they were trained on), but only the contract they were trained on fits them best.
     */
    record Trial(InputContract contract, double accuracy, double loss) {
    }

    private ContractSearch() {
    }

    /** The contracts tried, in order of preference when two score the same. */
    static List<InputContract> candidates() {
        List<InputContract> out = new ArrayList<>();
        for (Polarity p : Polarity.values()) {
            out.add(contract(0f, 1f, 0f, 1f, p));
            out.add(contract(0f, 255f, 0f, 1f, p));
            out.add(contract(0f, 1f, 0.1307f, 0.3081f, p));
            out.add(contract(-1f, 1f, 0f, 1f, p));
        }
        return out;
    }

    static InputContract contract(float low, float high, float mean, float std, Polarity p) {
        return new InputContract(SourceInput.SIDE, SourceInput.SIDE, 1, low, high, mean, std, p, Preprocessing.DIGIT);
    }

    /** {@code {scale, offset}} such that the file's input is {@code scale·p + offset} for a Digits pixel p in [0,1], light on dark. */
    static double[] affine(InputContract c) {
        double at0 = c.apply(0f);
        double at1 = c.apply(1f);
        return c.polarity() == Polarity.LIGHT_ON_DARK ? new double[] {at1 - at0, at0} : new double[] {at0 - at1, at1};
    }

    /** The contract in words, e.g. {@code (x/255 − 0.1307)/0.3081, light ink on dark}. */
    static String describe(InputContract c) {
        return c.valuesInWords();
    }

    /**
     * Runs {@code network} (the imported network without any input scaling) on {@code images} under every candidate.
     */
    static List<Trial> run(LoadedModel network, ImageSet images, List<InputContract> contracts) {
        int n = images.size();
        float[] pixels = ModelImporter.pixels(images);
        List<Trial> out = new ArrayList<>();
        float[] fed = new float[pixels.length];
        for (InputContract c : contracts) {
            double[] a = affine(c);
            for (int i = 0; i < pixels.length; i++) fed[i] = (float) (a[0] * pixels[i] + a[1]);
            float[][] p = network.predict(fed, n);
            out.add(new Trial(c, accuracy(p, images), loss(p, images)));
        }
        return out;
    }

    /** The trial with the lowest cross-entropy; the earlier one on a tie. */
    static Trial best(List<Trial> trials) {
        Trial best = trials.get(0);
        for (Trial t : trials) if (t.loss() < best.loss()) best = t;
        return best;
    }

    /** Mean −ln p(true label), each probability floored at 1e-7 as Keras does. */
    static double loss(float[][] p, ImageSet images) {
        double sum = 0;
        for (int i = 0; i < p.length; i++) sum -= Math.log(Math.max(p[i][images.label(i)], 1e-7));
        return sum / p.length;
    }

    static double accuracy(float[][] p, ImageSet images) {
        int correct = 0;
        for (int i = 0; i < p.length; i++) if (Recognition.argmax(p[i]) == images.label(i)) correct++;
        return (double) correct / p.length;
    }
}
