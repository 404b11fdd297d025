package dev.digits.core.artifact;

import dev.digits.core.error.InvalidInputException;
import dev.digits.core.error.VerificationFailedException;
import dev.digits.core.io.AtomicFiles;
import dev.digits.core.json.Json;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What {@code export/} holds ({@code export/manifest.json}): every exported file with its format, quantization,
 * input contract, SHA-256 and size, how it did in its own runtime against the trained weights, the weights digest it
 * was compared against, the CPU that verified it, and the {@link VerificationSample} with the reference
 * probabilities. Only files that passed verification are listed; whoever serves or downloads a file checks it
 * against this manifest. The one reader and writer of the file.
 */
public final class ExportManifest {
    /** The format this class reads and writes. */
    public static final String FORMAT = "digits-export-manifest/1";
    /** The manifest's file name inside the export directory. */
    public static final String FILE = "manifest.json";

    /** One file of a multi-file export (TF.js: model.json and its weight shards), relative to the export directory. */
    public record Part(String path, String sha256, long bytes) {
    }

    /**
     * How a file did in its runtime on the test images, against the trained weights.
     *
     * @param runtime       the runtime that ran it (e.g. {@code ONNX Runtime 1.23.2})
     * @param testImages    images it ran on
     * @param accuracy      its top-1 accuracy
     * @param agreement     share of images with the trained weights' top-1 class
     * @param maxDifference largest probability difference from the trained weights
     * @param latencyMillis mean single-image latency on the verifying machine
     */
    public record Verification(String runtime, int testImages, double accuracy, double agreement, double maxDifference,
                               double latencyMillis) {
    }

    /**
     * One exported model file.
     *
     * @param path         the main file, relative to the export directory ({@code cnn.onnx}, {@code tfjs/model.json})
     * @param format       {@code tflite}, {@code onnx} or {@code tfjs}
     * @param quantization {@code float32}, {@code float16}, {@code int8-dynamic} or {@code int8}
     * @param inputLayout  {@code NCHW}, {@code NHWC} or {@code FLAT}
     * @param inputType    {@code float32}, {@code uint8} or {@code int8}
     * @param parts        every file it consists of, the main file first
     */
    public record Entry(String path, String format, String quantization, String inputLayout, String inputType,
                        List<Part> parts, Verification verification) {
        public Entry {
            parts = List.copyOf(parts);
            if (parts.isEmpty() || !parts.get(0).path().equals(path)) {
                throw new InvalidInputException("manifest entry " + path + " must list its own file first among its parts");
            }
        }

        /** The main file's SHA-256. */
        public String sha256() {
            return parts.get(0).sha256();
        }

        /** Bytes of every part together. */
        public long bytes() {
            long n = 0;
            for (Part p : parts) n += p.bytes();
            return n;
        }
    }

    private final String model;
    private final String weightsSha256;
    private final String created;
    private final Map<String, Object> verifiedOn;
    private final List<Entry> entries;
    private final int[] sampleLabels;
    private final float[][] sampleExpected;
    private final String sampleSha256;

    /**
     * @param weightsSha256 the SHA-256 of the weights every file was compared against
     * @param verifiedOn    the machine that verified: CPU model and SIMD features, OS, Java
     * @param sample        the held-out images with the trained weights' probabilities
     */
    public ExportManifest(String model, String weightsSha256, String created, Map<String, Object> verifiedOn,
                          List<Entry> entries, VerificationSample sample) {
        this(model, weightsSha256, created, verifiedOn, entries, sample.labels(), sample.expectedRows(),
                Digests.sha256(sample.idx()));
    }

    private ExportManifest(String model, String weightsSha256, String created, Map<String, Object> verifiedOn,
                           List<Entry> entries, int[] labels, float[][] expected, String sampleSha256) {
        this.model = model;
        this.weightsSha256 = weightsSha256;
        this.created = created;
        this.verifiedOn = Collections.unmodifiableMap(new LinkedHashMap<>(verifiedOn));
        this.entries = List.copyOf(entries);
        this.sampleLabels = labels;
        this.sampleExpected = expected;
        this.sampleSha256 = sampleSha256;
    }

    /** Writes the manifest and the sample's images into {@code exportDir}, the images first. */
    public static void write(Path exportDir, ExportManifest manifest, VerificationSample sample) throws IOException {
        Files.createDirectories(exportDir);
        sample.writeImages(exportDir.resolve(VerificationSample.FILE));
        AtomicFiles.writeString(exportDir.resolve(FILE), Json.writePretty(manifest.toJson()) + "\n");
    }

    /** The manifest in {@code exportDir}, if there is one. */
    public static Optional<ExportManifest> readIfPresent(Path exportDir) throws IOException {
        Path f = exportDir.resolve(FILE);
        if (!Files.isRegularFile(f)) return Optional.empty();
        try {
            return Optional.of(parse(Files.readString(f, StandardCharsets.UTF_8)));
        } catch (InvalidInputException e) {
            throw new InvalidInputException(f + ": " + e.getMessage(), e);
        }
    }

    /** Parses a manifest's JSON text. */
    public static ExportManifest parse(String json) {
        Map<String, Object> m;
        try {
            m = Json.parseObject(json);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException("not valid JSON: " + e.getMessage(), e);
        }
        if (!FORMAT.equals(m.get("format"))) {
            throw new InvalidInputException("export manifest format '" + m.get("format") + "' is not " + FORMAT
                    + "; export the model again with this version of Digits");
        }
        List<Entry> entries = new ArrayList<>();
        for (Object o : Fields.list(m.get("files"), "files")) {
            Map<?, ?> e = Fields.object(o, "files[]");
            String path = safePath(Fields.text(e.get("path"), "files[].path"));
            List<Part> parts = new ArrayList<>();
            for (Object p : Fields.list(e.get("parts"), path + ".parts")) {
                Map<?, ?> pm = Fields.object(p, path + ".parts[]");
                parts.add(new Part(safePath(Fields.text(pm.get("path"), path + ".parts[].path")),
                        Fields.sha256(pm.get("sha256"), path + ".parts[].sha256"),
                        Fields.number(pm.get("bytes"), path + ".parts[].bytes").longValue()));
            }
            Map<?, ?> v = Fields.object(e.get("verification"), path + ".verification");
            Verification ver = new Verification(Fields.text(v.get("runtime"), path + ".verification.runtime"),
                    Fields.integer(v.get("testImages"), path + ".verification.testImages"),
                    Fields.number(v.get("accuracy"), path + ".verification.accuracy").doubleValue(),
                    Fields.number(v.get("agreement"), path + ".verification.agreement").doubleValue(),
                    Fields.number(v.get("maxDifference"), path + ".verification.maxDifference").doubleValue(),
                    v.get("latencyMillis") == null ? Double.NaN : Fields.number(v.get("latencyMillis"), "latencyMillis").doubleValue());
            entries.add(new Entry(path, Fields.text(e.get("format"), path + ".format"),
                    Fields.text(e.get("quantization"), path + ".quantization"),
                    Fields.text(e.get("inputLayout"), path + ".inputLayout"),
                    Fields.text(e.get("inputType"), path + ".inputType"), parts, ver));
        }
        Map<?, ?> s = Fields.object(m.get("sample"), "sample");
        List<?> labelList = Fields.list(s.get("labels"), "sample.labels");
        List<?> expectedList = Fields.list(s.get("expected"), "sample.expected");
        if (labelList.size() != expectedList.size()) {
            throw new InvalidInputException("sample: " + labelList.size() + " labels but " + expectedList.size() + " expected rows");
        }
        int[] labels = new int[labelList.size()];
        float[][] expected = new float[labels.length][];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = Fields.integer(labelList.get(i), "sample.labels");
            List<?> row = Fields.list(expectedList.get(i), "sample.expected");
            expected[i] = new float[row.size()];
            for (int j = 0; j < row.size(); j++) expected[i][j] = Fields.number(row.get(j), "sample.expected").floatValue();
        }
        Map<String, Object> verifiedOn = new LinkedHashMap<>();
        if (m.get("verifiedOn") != null) {
            for (Map.Entry<?, ?> e : Fields.object(m.get("verifiedOn"), "verifiedOn").entrySet()) verifiedOn.put(String.valueOf(e.getKey()), e.getValue());
        }
        return new ExportManifest(Fields.text(m.get("model"), "model"), Fields.sha256(m.get("weightsSha256"), "weightsSha256"),
                Fields.optionalText(m.get("created"), "created"), verifiedOn, entries, labels, expected,
                Fields.sha256(s.get("sha256"), "sample.sha256"));
    }

    /** Paths stay inside the export directory: relative, forward slashes, no {@code ..}. */
    private static String safePath(String p) {
        if (p.isEmpty() || p.startsWith("/") || p.contains("\\") || p.contains("\0")) {
            throw new InvalidInputException("manifest path '" + p + "' must be relative to the export directory");
        }
        for (String seg : p.split("/")) {
            if (seg.isEmpty() || seg.equals(".") || seg.equals("..")) {
                throw new InvalidInputException("manifest path '" + p + "' must stay inside the export directory");
            }
        }
        return p;
    }

    /** The manifest as JSON-ready maps and lists. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("format", FORMAT);
        m.put("model", model);
        m.put("weightsSha256", weightsSha256);
        if (created != null) m.put("created", created);
        m.put("verifiedOn", verifiedOn);
        List<Object> files = new ArrayList<>();
        for (Entry e : entries) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("path", e.path());
            f.put("format", e.format());
            f.put("quantization", e.quantization());
            f.put("inputLayout", e.inputLayout());
            f.put("inputType", e.inputType());
            List<Object> parts = new ArrayList<>();
            for (Part p : e.parts()) parts.add(Map.of("path", p.path(), "sha256", p.sha256(), "bytes", p.bytes()));
            f.put("parts", parts);
            Verification v = e.verification();
            Map<String, Object> vm = new LinkedHashMap<>();
            vm.put("runtime", v.runtime());
            vm.put("testImages", v.testImages());
            vm.put("accuracy", v.accuracy());
            vm.put("agreement", v.agreement());
            vm.put("maxDifference", v.maxDifference());
            if (!Double.isNaN(v.latencyMillis())) vm.put("latencyMillis", v.latencyMillis());
            f.put("verification", vm);
            files.add(f);
        }
        m.put("files", files);
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("file", VerificationSample.FILE);
        s.put("sha256", sampleSha256);
        List<Integer> labels = new ArrayList<>();
        for (int l : sampleLabels) labels.add(l);
        s.put("labels", labels);
        List<Object> expected = new ArrayList<>();
        for (float[] row : sampleExpected) {
            List<Float> r = new ArrayList<>();
            for (float v : row) r.add(v);
            expected.add(r);
        }
        s.put("expected", expected);
        m.put("sample", s);
        return m;
    }

    public String model() {
        return model;
    }

    /** The SHA-256 of the weights every listed file was verified against. */
    public String weightsSha256() {
        return weightsSha256;
    }

    public String created() {
        return created;
    }

    /** CPU (model, SIMD features), OS and Java of the machine that verified the files. */
    public Map<String, Object> verifiedOn() {
        return verifiedOn;
    }

    /** The verified files. */
    public List<Entry> entries() {
        return entries;
    }

    /** The entry of {@code format} × {@code quantization}, if it was exported and verified. */
    public Optional<Entry> entry(String format, String quantization) {
        for (Entry e : entries) if (e.format().equals(format) && e.quantization().equals(quantization)) return Optional.of(e);
        return Optional.empty();
    }

    /**
     * Reads the verification sample from {@code exportDir}, checking its images against the manifest's SHA-256.
     *
     * @throws VerificationFailedException when the images are not those the manifest was written with
     */
    public VerificationSample sample(Path exportDir) throws IOException {
        Path f = exportDir.resolve(VerificationSample.FILE);
        VerificationSample s = VerificationSample.read(f, sampleLabels, sampleExpected);
        String actual = Digests.sha256(s.idx());
        if (!actual.equals(sampleSha256)) {
            throw new VerificationFailedException(VerificationSample.FILE + " has sha256 " + actual + ", the manifest says "
                    + sampleSha256 + "; the export was changed after it was verified — export the model again");
        }
        return s;
    }

    /**
     * Checks every listed part in {@code exportDir} against its recorded SHA-256 and size, and that
     * {@code exportDir} holds nothing the manifest does not list (besides the manifest, the sample and the reports).
     *
     * @throws VerificationFailedException naming the first file that differs, is missing or is not listed
     */
    public void checkFiles(Path exportDir, List<String> alsoAllowed) throws IOException {
        checkFiles(exportDir, alsoAllowed, Digests::sha256);
    }

    /**
     * {@link #checkFiles(Path, List)} with the files' digests taken from {@code digest}.
     *
     * @throws VerificationFailedException naming the first file that differs, is missing or is not listed
     */
    public void checkFiles(Path exportDir, List<String> alsoAllowed, Digests.FileDigest digest) throws IOException {
        List<String> listed = new ArrayList<>(alsoAllowed);
        listed.add(FILE);
        listed.add(VerificationSample.FILE);
        for (Entry e : entries) {
            for (Part p : e.parts()) {
                Path f = exportDir.resolve(p.path());
                if (!Files.isRegularFile(f)) {
                    throw new VerificationFailedException("export/" + p.path() + " is listed in the manifest but missing");
                }
                String actual = digest.sha256(f);
                if (!actual.equals(p.sha256()) || Files.size(f) != p.bytes()) {
                    throw new VerificationFailedException("export/" + p.path() + " has sha256 " + actual + ", the manifest says "
                            + p.sha256() + "; the file was changed after it was verified");
                }
                listed.add(p.path());
            }
        }
        try (var walk = Files.walk(exportDir)) {
            for (Path f : (Iterable<Path>) walk::iterator) {
                if (!Files.isRegularFile(f)) continue;
                String rel = exportDir.relativize(f).toString().replace('\\', '/');
                if (!listed.contains(rel)) {
                    throw new VerificationFailedException("export/" + rel + " is not in the export manifest: only files that"
                            + " `digits export` verified may be shipped");
                }
            }
        }
    }
}
