package dev.digits.train.data;

import dev.digits.core.data.IdxFile;
import dev.digits.core.artifact.Digests;
import dev.digits.core.data.ImageSet;
import dev.digits.core.error.InvalidInputException;
import dev.digits.core.io.AtomicFiles;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The MNIST dataset: finds the four standard IDX files (gzip or raw), downloads them into a per-user cache when they
 * are nowhere to be found, and rejects any file whose decompressed content is not the standard one (SHA-256).
 *
 * <p>Where it looks, in order: the directory given ({@code --data}), the {@code DIGITS_DATA_DIR} environment
 * variable, the {@code digits.data} system property, then {@link #cacheDirectory()}.
 */
public final class Mnist {
    /** Mirrors tried in order; override with {@code DIGITS_MNIST_MIRRORS} (comma-separated base URLs). */
    public static final List<String> DEFAULT_MIRRORS = List.of(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/");

    /** One of the four files. */
    public enum Part {
        TRAIN_IMAGES("train-images-idx3-ubyte", IdxFile.IMAGES_MAGIC, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
        TRAIN_LABELS("train-labels-idx1-ubyte", IdxFile.LABELS_MAGIC, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
        TEST_IMAGES("t10k-images-idx3-ubyte", IdxFile.IMAGES_MAGIC, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
        TEST_LABELS("t10k-labels-idx1-ubyte", IdxFile.LABELS_MAGIC, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2");

        final String fileName;
        final int magic;
        /** SHA-256 of the decompressed content. */
        final String sha256;

        Part(String fileName, int magic, String sha256) {
            this.fileName = fileName;
            this.magic = magic;
            this.sha256 = sha256;
        }

        /** The standard file name, without {@code .gz}. */
        public String fileName() {
            return fileName;
        }
    }

    private Mnist() {
    }

    /** The per-user cache: {@code $XDG_CACHE_HOME/digits/mnist}, else {@code ~/.cache/digits/mnist}. */
    public static Path cacheDirectory() {
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("digits").resolve("mnist");
    }

    /** The directory to read from: {@code explicit} if given, else the environment, system property or cache. */
    public static Path resolveDirectory(Path explicit) {
        if (explicit != null) return explicit;
        String env = System.getenv("DIGITS_DATA_DIR");
        if (env != null && !env.isBlank()) return Path.of(env);
        String prop = System.getProperty("digits.data");
        if (prop != null && !prop.isBlank()) return Path.of(prop);
        return cacheDirectory();
    }

    /** Loads MNIST from {@link #resolveDirectory}, downloading into the cache when allowed and needed. */
    public static Dataset load(Path explicitDirectory) throws IOException {
        return load(explicitDirectory, explicitDirectory == null, mirrors());
    }

    /**
     * Loads MNIST.
     *
     * @param download when the files are missing, fetch them from {@code mirrors} into the directory
     */
    public static Dataset load(Path explicitDirectory, boolean download, List<String> mirrors) throws IOException {
        Path dir = resolveDirectory(explicitDirectory);
        Map<Part, byte[]> content = new LinkedHashMap<>();
        for (Part part : Part.values()) {
            Path file = find(dir, part);
            if (file == null) {
                if (!download) {
                    throw new DatasetException("MNIST file " + part.fileName + "(.gz) is missing from " + dir.toAbsolutePath()
                            + "; put the four standard MNIST files there or point --data (or DIGITS_DATA_DIR) at a directory that has them");
                }
                file = fetch(dir, part, mirrors);
            }
            byte[] bytes = IdxFile.readContent(file);
            String sha = Digests.sha256(bytes);
            if (!sha.equals(part.sha256)) {
                throw new DatasetException(file + " is not the standard MNIST " + part.fileName + " (SHA-256 " + sha.substring(0, 12)
                        + "…, expected " + part.sha256.substring(0, 12) + "…): it is truncated, corrupt or another dataset;"
                        + " delete it and download it again");
            }
            content.put(part, bytes);
        }
        IdxFile trainImages = IdxFile.parse(content.get(Part.TRAIN_IMAGES), IdxFile.IMAGES_MAGIC, Part.TRAIN_IMAGES.fileName);
        IdxFile trainLabels = IdxFile.parse(content.get(Part.TRAIN_LABELS), IdxFile.LABELS_MAGIC, Part.TRAIN_LABELS.fileName);
        IdxFile testImages = IdxFile.parse(content.get(Part.TEST_IMAGES), IdxFile.IMAGES_MAGIC, Part.TEST_IMAGES.fileName);
        IdxFile testLabels = IdxFile.parse(content.get(Part.TEST_LABELS), IdxFile.LABELS_MAGIC, Part.TEST_LABELS.fileName);
        Map<String, String> checksums = new LinkedHashMap<>();
        for (Part p : Part.values()) checksums.put(p.fileName, p.sha256);
        return new Dataset("mnist", IdxDatasets.toImageSet(trainImages, trainLabels, ImageSet.digitClasses(), Part.TRAIN_IMAGES.fileName),
                IdxDatasets.toImageSet(testImages, testLabels, ImageSet.digitClasses(), Part.TEST_IMAGES.fileName), checksums);
    }

    /** Mirrors from {@code DIGITS_MNIST_MIRRORS}, else {@link #DEFAULT_MIRRORS}. */
    public static List<String> mirrors() {
        String env = System.getenv("DIGITS_MNIST_MIRRORS");
        if (env == null || env.isBlank()) return DEFAULT_MIRRORS;
        List<String> out = new ArrayList<>();
        for (String s : env.split(",")) if (!s.isBlank()) out.add(s.trim().endsWith("/") ? s.trim() : s.trim() + "/");
        return out;
    }

    static Path find(Path dir, Part part) {
        for (String name : new String[] {part.fileName, part.fileName + ".gz", part.fileName.replace("-idx", ".idx"),
                part.fileName.replace("-idx", ".idx") + ".gz"}) {
            Path p = dir.resolve(name);
            if (Files.isRegularFile(p)) return p;
        }
        return null;
    }

    private static Path fetch(Path dir, Part part, List<String> mirrors) throws IOException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
                .followRedirects(HttpClient.Redirect.NORMAL).build();
        List<String> failures = new ArrayList<>();
        for (String mirror : mirrors) {
            URI uri = URI.create(mirror + part.fileName + ".gz");
            try {
                HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).build(),
                        HttpResponse.BodyHandlers.ofInputStream());
                if (r.statusCode() != 200) {
                    r.body().close();
                    failures.add(uri + ": HTTP " + r.statusCode());
                    continue;
                }
                long length = r.headers().firstValueAsLong("Content-Length").orElse(-1);
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                try (InputStream in = r.body();
                     ProgressBar bar = new ProgressBarBuilder().setTaskName("Download " + part.fileName)
                             .setInitialMax(length).setStyle(ProgressBarStyle.ASCII).setUnit(" KB", 1024).build()) {
                    byte[] buf = new byte[1 << 16];
                    int n;
                    while ((n = in.read(buf)) > 0) {
                        out.write(buf, 0, n);
                        bar.stepBy(n);
                    }
                }
                byte[] gz = out.toByteArray();
                Path tmp = Files.createTempFile("digits-mnist", ".gz");
                try {
                    Files.write(tmp, gz);
                    String sha = Digests.sha256(IdxFile.readContent(tmp));
                    if (!sha.equals(part.sha256)) {
                        failures.add(uri + ": content does not match the standard file's SHA-256");
                        continue;
                    }
                } catch (InvalidInputException e) {
                    failures.add(uri + ": " + e.getMessage());
                    continue;
                } finally {
                    Files.deleteIfExists(tmp);
                }
                Path target = dir.resolve(part.fileName + ".gz");
                AtomicFiles.write(target, gz);
                return target;
            } catch (IOException e) {
                failures.add(uri + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("download interrupted", e);
            }
        }
        throw new DatasetException("MNIST is not in " + dir.toAbsolutePath() + " and could not be downloaded ("
                + String.join("; ", failures) + "). Copy the four standard files (train-images-idx3-ubyte.gz,"
                + " train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz) into that directory,"
                + " or pass --data DIR (or set DIGITS_DATA_DIR) to where they are; DIGITS_MNIST_MIRRORS sets other mirrors");
    }
}
