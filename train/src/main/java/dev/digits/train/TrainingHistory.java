package dev.digits.train;

import dev.digits.core.io.AtomicFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** Loss and accuracy per epoch, on the training and the validation data; kept as CSV beside the model. */
public final class TrainingHistory {
    /** One epoch's numbers. */
    public static final class Epoch {
        public final int epoch;
        public final double loss;
        public final double accuracy;
        public final double validationLoss;
        public final double validationAccuracy;
        public final double seconds;
        public final double imagesPerSecond;

        public Epoch(int epoch, double loss, double accuracy, double validationLoss, double validationAccuracy,
                     double seconds, double imagesPerSecond) {
            this.epoch = epoch;
            this.loss = loss;
            this.accuracy = accuracy;
            this.validationLoss = validationLoss;
            this.validationAccuracy = validationAccuracy;
            this.seconds = seconds;
            this.imagesPerSecond = imagesPerSecond;
        }
    }

    static final String HEADER = "epoch,loss,accuracy,val_loss,val_accuracy,seconds,images_per_second";

    private final List<Epoch> epochs = new ArrayList<>();

    void add(Epoch e) {
        epochs.add(e);
    }

    public List<Epoch> epochs() {
        return Collections.unmodifiableList(epochs);
    }

    /** The last epoch, or null before the first. */
    public Epoch last() {
        return epochs.isEmpty() ? null : epochs.get(epochs.size() - 1);
    }

    /** Total training seconds over all epochs. */
    public double seconds() {
        return epochs.stream().mapToDouble(e -> e.seconds).sum();
    }

    public String toCsv() {
        StringBuilder sb = new StringBuilder(HEADER).append('\n');
        for (Epoch e : epochs) {
            sb.append(String.format(Locale.ROOT, "%d,%.6f,%.6f,%.6f,%.6f,%.3f,%.1f%n", e.epoch, e.loss, e.accuracy,
                    e.validationLoss, e.validationAccuracy, e.seconds, e.imagesPerSecond));
        }
        return sb.toString();
    }

    void write(Path file) throws IOException {
        AtomicFiles.writeString(file, toCsv());
    }

    /** Reads a history written by {@link #toCsv()}. */
    public static TrainingHistory read(Path file) throws IOException {
        TrainingHistory h = new TrainingHistory();
        List<String> lines = Files.readAllLines(file);
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) continue;
            String[] f = line.split(",");
            h.add(new Epoch(Integer.parseInt(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2]), Double.parseDouble(f[3]),
                    Double.parseDouble(f[4]), Double.parseDouble(f[5]), Double.parseDouble(f[6])));
        }
        return h;
    }
}
