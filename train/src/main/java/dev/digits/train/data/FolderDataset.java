package dev.digits.train.data;

import dev.digits.core.preprocess.ResizePreprocessor;
import dev.digits.core.error.InvalidInputException;
import dev.digits.core.data.ImageSet;
import dev.digits.core.preprocess.DigitPreprocessor;
import dev.digits.core.preprocess.PreprocessedDigit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A dataset of one's own images: one subfolder per class, the folder's name being the class name.
 * <pre>
 *   my-images/
 *     cat/  1.png  2.jpg  …
 *     dog/  a.png  b.gif  …
 * </pre>
 * Classes are the folder names in sorted order; a class folder may hold subfolders, and files whose name starts with
 * a dot are ignored. Images may have any size and any format ImageIO decodes (PNG, JPEG, GIF, BMP); each becomes a
 * grayscale image of the model's input size by the chosen {@link Preprocessing}. The images are split, per class and
 * reproducibly (seeded), into training and validation parts: {@link #dataset()} holds them as its train and test sets.
 *
 * <pre>{@code
 * FolderDataset folder = FolderDataset.builder(Path.of("my-images")).preprocessing(Preprocessing.RESIZE).load();
 * System.out.print(folder.summary());
 * Dataset data = folder.dataset();
 * }</pre>
 *
 * <p>Data a classifier cannot be trained on is refused with one message naming the problem and the fix: no class
 * folders, a single class, an empty class folder, a class with a single image, files that cannot be decoded. Undecodable
 * files (and, with digit preprocessing, images where no digit is found) are left out only when asked
 * ({@link Builder#skipUnreadable(boolean)}), and are then listed in {@link #skipped()}.
 */
public final class FolderDataset {
    /** Default share of each class held out for validation. */
    public static final double DEFAULT_VALIDATION_FRACTION = 0.2;
    /** Largest / smallest class size above which {@link #warnings()} reports an imbalance. */
    public static final double IMBALANCE_RATIO = 3;
    /** How many unreadable files an error message lists before summarising the rest. */
    private static final int LISTED = 10;

    /** How an image file becomes the model's input. */
    public enum Preprocessing {
        /** Handwriting: core's DigitPreprocessor (polarity, background removal, crop, scale to 20 px, centre of mass) to 28×28. */
        DIGIT,
        /** Anything else: grayscale and a plain resize to the model's input size ({@link ResizePreprocessor}). */
        RESIZE;

        /** The name used on the command line and in model cards. */
        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Parses {@code digit} or {@code resize}; the error lists both. */
        public static Preprocessing parse(String id) {
            for (Preprocessing p : values()) if (p.id().equalsIgnoreCase(id)) return p;
            throw new InvalidInputException("unknown preprocessing '" + id + "'; choose digit (handwriting) or resize (other images)");
        }
    }

    /** A file left out of the dataset, and why. */
    public static final class SkippedFile {
        private final Path file;
        private final String reason;

        SkippedFile(Path file, String reason) {
            this.file = file;
            this.reason = reason;
        }

        public Path file() {
            return file;
        }

        public String reason() {
            return reason;
        }

        @Override
        public String toString() {
            return file + ": " + reason;
        }
    }

    private final Path root;
    private final Preprocessing preprocessing;
    private final double validationFraction;
    private final long seed;
    private final Dataset dataset;
    private final List<SkippedFile> skipped;
    private final List<String> warnings;

    private FolderDataset(Builder b, Dataset dataset, List<SkippedFile> skipped, List<String> warnings) {
        this.root = b.root;
        this.preprocessing = b.preprocessing;
        this.validationFraction = b.validationFraction;
        this.seed = b.seed;
        this.dataset = dataset;
        this.skipped = List.copyOf(skipped);
        this.warnings = List.copyOf(warnings);
    }

    /** Settings for reading {@code root}; every setting has a default. */
    public static Builder builder(Path root) {
        return new Builder(root);
    }

    /** Settings; {@link #load()} checks them and reads the images. */
    public static final class Builder {
        private final Path root;
        private Preprocessing preprocessing = Preprocessing.DIGIT;
        private int height = PreprocessedDigit.SIZE;
        private int width = PreprocessedDigit.SIZE;
        private double validationFraction = DEFAULT_VALIDATION_FRACTION;
        private long seed = 42;
        private boolean skipUnreadable;

        private Builder(Path root) {
            this.root = root;
        }

        /** How images become model input (default {@link Preprocessing#DIGIT}). */
        public Builder preprocessing(Preprocessing p) {
            this.preprocessing = p;
            return this;
        }

        /** Size of the images the model takes (default 28×28; digit preprocessing makes 28×28 only). */
        public Builder imageSize(int height, int width) {
            this.height = height;
            this.width = width;
            return this;
        }

        /** Share of each class held out for validation, in (0, 1) (default 0.2). */
        public Builder validationFraction(double fraction) {
            this.validationFraction = fraction;
            return this;
        }

        /** Seed of the split: the same files and seed always give the same split (default 42). */
        public Builder seed(long s) {
            this.seed = s;
            return this;
        }

        /** Leave out files that cannot be used instead of refusing the dataset (default: refuse). */
        public Builder skipUnreadable(boolean skip) {
            this.skipUnreadable = skip;
            return this;
        }

        /**
         * Checks the settings, reads and preprocesses every image and splits them.
         *
         * @throws DatasetException naming the folder or files at fault and the fix
         * @throws IllegalArgumentException naming a setting and the values it accepts
         */
        public FolderDataset load() throws IOException {
            if (root == null) throw new InvalidInputException("the dataset folder is required");
            if (preprocessing == null) throw new InvalidInputException("preprocessing is required: digit or resize");
            if (!(validationFraction > 0 && validationFraction < 1)) {
                throw new InvalidInputException("validation fraction must be between 0 and 1 (e.g. 0.2), got " + validationFraction);
            }
            if (preprocessing == Preprocessing.DIGIT && (height != PreprocessedDigit.SIZE || width != PreprocessedDigit.SIZE)) {
                throw new InvalidInputException("digit preprocessing makes 28×28 images but " + height + "×" + width
                        + " were asked for; use resize preprocessing for other sizes");
            }
            return read(this);
        }
    }

    /** The class folder's root. */
    public Path root() {
        return root;
    }

    public Preprocessing preprocessing() {
        return preprocessing;
    }

    public double validationFraction() {
        return validationFraction;
    }

    public long seed() {
        return seed;
    }

    /** Training part as {@code train()}, validation part as {@code test()}, per-class checksums of the files used. */
    public Dataset dataset() {
        return dataset;
    }

    /** Class names: the folder names, sorted. */
    public List<String> classNames() {
        return dataset.train().classNames();
    }

    /** Images per class actually used (training + validation), in class order. */
    public Map<String, Integer> classCounts() {
        int[] train = dataset.train().classCounts();
        int[] val = dataset.test().classCounts();
        Map<String, Integer> out = new LinkedHashMap<>();
        for (int c = 0; c < train.length; c++) out.put(classNames().get(c), train[c] + val[c]);
        return Collections.unmodifiableMap(out);
    }

    /** Files left out because they could not be used (only with {@link Builder#skipUnreadable(boolean)}). */
    public List<SkippedFile> skipped() {
        return skipped;
    }

    /** Things worth knowing before training, e.g. an imbalance between classes. */
    public List<String> warnings() {
        return warnings;
    }

    /**
     * How the images were read, for the model card's "training" section: the preprocessing (which an app must repeat
     * on its input), the validation share and seed of the split, and how many files were skipped.
     */
    public Map<String, Object> cardEntries() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("dataFormat", "folder");
        m.put("preprocessing", preprocessing.id());
        m.put("validationSplit", validationFraction);
        m.put("splitSeed", seed);
        m.put("skippedFiles", skipped.size());
        return m;
    }

    /** A report for the terminal: classes with their counts and split, skipped files, warnings. */
    public String summary() {
        StringBuilder sb = new StringBuilder();
        int[] train = dataset.train().classCounts();
        int[] val = dataset.test().classCounts();
        sb.append(String.format(Locale.ROOT, "%d classes, %,d images in %s (%s preprocessing, %.0f%% held out for validation, seed %d)%n",
                classNames().size(), dataset.train().size() + dataset.test().size(), root, preprocessing.id(),
                100 * validationFraction, seed));
        int w = 5;
        for (String c : classNames()) w = Math.max(w, c.length());
        sb.append(String.format(Locale.ROOT, "  %-" + w + "s %7s %7s %10s%n", "class", "images", "train", "validation"));
        for (int c = 0; c < train.length; c++) {
            sb.append(String.format(Locale.ROOT, "  %-" + w + "s %7d %7d %10d%n", classNames().get(c), train[c] + val[c], train[c], val[c]));
        }
        if (!skipped.isEmpty()) {
            sb.append(String.format("Skipped %d file(s) that cannot be used:%n", skipped.size()));
            for (SkippedFile f : skipped) sb.append("  ").append(f).append(System.lineSeparator());
        }
        for (String warning : warnings) sb.append("Warning: ").append(warning).append(System.lineSeparator());
        return sb.toString();
    }

    private static FolderDataset read(Builder b) throws IOException {
        Path root = b.root;
        if (!Files.exists(root)) throw new DatasetException("data folder " + root + " does not exist");
        if (!Files.isDirectory(root)) {
            throw new DatasetException(root + " is a file, not a folder: give a folder holding one subfolder of images per class");
        }
        List<Path> classDirs = children(root, true);
        if (classDirs.isEmpty()) {
            String found = children(root, false).isEmpty() ? "is empty" : "holds files but no class folders";
            throw new DatasetException(root + " " + found + ": put each class's images in a subfolder named after the class,"
                    + " e.g. " + root.resolve("cat").resolve("1.png") + " and " + root.resolve("dog").resolve("1.png"));
        }
        if (classDirs.size() == 1) {
            throw new DatasetException(root + " has a single class folder (" + classDirs.get(0).getFileName() + "): a classifier needs"
                    + " at least two classes; add one folder of images per class");
        }
        List<String> classNames = new ArrayList<>();
        List<List<Path>> files = new ArrayList<>();
        List<String> empty = new ArrayList<>();
        for (Path dir : classDirs) {
            classNames.add(dir.getFileName().toString());
            List<Path> images = imageFiles(dir);
            if (images.isEmpty()) empty.add(dir.toString());
            files.add(images);
        }
        if (!empty.isEmpty()) {
            throw new DatasetException((empty.size() == 1 ? "class folder " + empty.get(0) + " is empty" : "class folders "
                    + String.join(", ", empty) + " are empty") + ": put the class's images in it or remove the folder");
        }

        DigitPreprocessor digits = DigitPreprocessor.defaults();
        ResizePreprocessor resize = new ResizePreprocessor(b.height, b.width);
        int size = b.height * b.width;
        List<byte[]> pixels = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        List<SkippedFile> bad = new ArrayList<>();
        Map<String, String> checksums = new LinkedHashMap<>();
        for (int c = 0; c < classNames.size(); c++) {
            MessageDigest classDigest = sha256();
            int used = 0;
            for (Path file : files.get(c)) {
                byte[] bytes;
                byte[] image;
                try {
                    bytes = Files.readAllBytes(file);
                } catch (IOException e) {
                    bad.add(new SkippedFile(file, "cannot be read (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")"));
                    continue;
                }
                try {
                    ImageFiles.ArgbImage img = ImageFiles.decode(bytes, file.toString(), ImageFiles.MAX_SIDE);
                    image = b.preprocessing == Preprocessing.DIGIT ? digitImage(digits, img) : resize.resize(img.argb, img.width, img.height);
                } catch (ImageFiles.ImageException e) {
                    bad.add(new SkippedFile(file, reason(e.getMessage(), file)));
                    continue;
                }
                if (image == null) {
                    bad.add(new SkippedFile(file, "no digit found (blank, or too little contrast between ink and background)"));
                    continue;
                }
                pixels.add(image);
                labels.add(c);
                used++;
                // The file's place in the dataset and its content both count: a renamed or moved image changes the digest.
                classDigest.update(classDirs.get(c).relativize(file).toString().getBytes(StandardCharsets.UTF_8));
                classDigest.update((byte) 0);
                classDigest.update(sha256().digest(bytes));
            }
            if (used == 0 && !files.get(c).isEmpty() && b.skipUnreadable) {
                throw new DatasetException("class folder " + classDirs.get(c) + " has no usable image: all " + files.get(c).size()
                        + " file(s) were skipped (" + bad.get(bad.size() - 1) + ")");
            }
            checksums.put(classNames.get(c) + "/", HexFormat.of().formatHex(classDigest.digest()));
        }
        if (!bad.isEmpty() && !b.skipUnreadable) throw unusable(bad);
        int[] counts = new int[classNames.size()];
        for (int l : labels) counts[l]++;
        for (int c = 0; c < counts.length; c++) {
            if (counts[c] < 2) {
                throw new DatasetException("class folder " + classDirs.get(c) + " has only " + counts[c] + " usable image: each class"
                        + " needs at least two (one to train on, one to validate with); add images to it");
            }
        }

        byte[] all = new byte[pixels.size() * size];
        int[] allLabels = new int[labels.size()];
        for (int i = 0; i < allLabels.length; i++) {
            System.arraycopy(pixels.get(i), 0, all, i * size, size);
            allLabels[i] = labels.get(i);
        }
        ImageSet images = new ImageSet(b.height, b.width, all, allLabels, classNames);
        StratifiedSampling.Split split = StratifiedSampling.split(allLabels, classNames.size(), b.validationFraction, b.seed);
        Dataset dataset = new Dataset(root.toAbsolutePath().normalize().getFileName() + "", images.subset(split.train()),
                images.subset(split.validation()), checksums, dev.digits.core.artifact.InputContract.Preprocessing.of(b.preprocessing.id()));
        return new FolderDataset(b, dataset, b.skipUnreadable ? bad : List.of(), imbalance(classNames, counts));
    }

    /** Preprocessed as MNIST, or null when no digit is found. */
    private static byte[] digitImage(DigitPreprocessor digits, ImageFiles.ArgbImage img) {
        PreprocessedDigit d = digits.process(img.argb, img.width, img.height);
        if (!d.found()) return null;
        float[] v = d.pixels();
        byte[] out = new byte[v.length];
        for (int i = 0; i < v.length; i++) out[i] = (byte) Math.round(v[i] * 255f);
        return out;
    }

    private static List<String> imbalance(List<String> classNames, int[] counts) {
        int big = 0;
        int small = 0;
        for (int c = 1; c < counts.length; c++) {
            if (counts[c] > counts[big]) big = c;
            if (counts[c] < counts[small]) small = c;
        }
        if (counts[big] <= IMBALANCE_RATIO * counts[small]) return List.of();
        return List.of(String.format(Locale.ROOT, "the classes are imbalanced: '%s' has %d images but '%s' only %d (%.1f×);"
                        + " the model will favour the larger classes — add images to the small ones or leave some out of the large ones",
                classNames.get(big), counts[big], classNames.get(small), counts[small], (double) counts[big] / counts[small]));
    }

    private static DatasetException unusable(List<SkippedFile> bad) {
        StringBuilder sb = new StringBuilder();
        if (bad.size() == 1) {
            sb.append(bad.get(0));
        } else {
            sb.append(bad.size()).append(" files cannot be used:");
            for (int i = 0; i < Math.min(LISTED, bad.size()); i++) sb.append(System.lineSeparator()).append("  ").append(bad.get(i));
            if (bad.size() > LISTED) sb.append(System.lineSeparator()).append("  … and ").append(bad.size() - LISTED).append(" more");
            sb.append(System.lineSeparator());
        }
        sb.append(bad.size() == 1 ? "; " : "").append("fix or remove ").append(bad.size() == 1 ? "it" : "them")
                .append(", or skip unreadable files (--skip-bad) to train without ").append(bad.size() == 1 ? "it" : "them");
        return new DatasetException(sb.toString());
    }

    /** The decoder's message without the file name it starts with (the skipped-file entry names the file). */
    private static String reason(String message, Path file) {
        String prefix = file.toString();
        return message.startsWith(prefix) ? message.substring(prefix.length()).strip() : message;
    }

    /** Non-hidden entries of {@code dir} that are folders ({@code folders}) or anything ({@code !folders}), sorted by name. */
    private static List<Path> children(Path dir, boolean folders) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !hidden(p)).filter(p -> !folders || Files.isDirectory(p)).sorted().collect(Collectors.toList());
        }
    }

    /** Regular, non-hidden files anywhere under {@code dir}, sorted by path; linked folders are followed. */
    private static List<Path> imageFiles(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir, FileVisitOption.FOLLOW_LINKS)) {
            return s.filter(Files::isRegularFile).filter(p -> !hiddenBelow(dir, p)).sorted().collect(Collectors.toList());
        }
    }

    private static boolean hidden(Path p) {
        return p.getFileName().toString().startsWith(".");
    }

    private static boolean hiddenBelow(Path dir, Path p) {
        for (Path part : dir.relativize(p)) if (part.toString().startsWith(".")) return true;
        return false;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM lacks SHA-256", e);
        }
    }
}
