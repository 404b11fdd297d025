package dev.digits.core.client;

import dev.digits.core.artifact.Digests;
import dev.digits.core.artifact.InputContract;
import dev.digits.core.error.InvalidInputException;
import dev.digits.core.io.AtomicFiles;
import dev.digits.core.json.Json;
import dev.digits.core.recognition.DigitCheck;

import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Keeps an on-device model up to date from a Digits server, safely: the app always has a model that works.
 *
 * <p>{@link #update()} asks the server for its model list ({@code GET /api/v1/models}), picks the latest version of
 * the model in the wanted format and quantization, and downloads it with {@code If-None-Match} set to the SHA-256 of
 * the installed file, so an unchanged model costs a 304 and no bytes. A download is checked against the size and
 * SHA-256 the list gives, then by the app's {@link ModelValidator} (can the runtime load it?), and only then renamed
 * over the installed file, atomically. On any failure (no network, server error, corrupt or truncated download,
 * refused model, full storage) the installed file is left as it was and the {@link UpdateResult} says what happened.
 * A download that breaks off (the connection drops, or the body ends before its Content-Length) keeps the bytes that
 * arrived, in a file named by the SHA-256 it must end up with; the next update asks for the rest only
 * ({@code Range}, with {@code If-Range} so that the rest comes from that same file), which on a phone's bad network
 * is the difference between finishing a download and starting it over at every try.
 *
 * <p>On disk, in the directory given to the builder: {@code <model>-<quantization>.<format>} and beside it
 * {@code <same>.json} with its version and SHA-256. {@link #installed()} re-checks the file against that record,
 * so a damaged file is never used: the app then falls back to its bundled model.
 *
 * <pre>{@code
 * ModelUpdater updater = ModelUpdater.builder()
 *         .server("http://192.168.1.20:8080")
 *         .directory(new File(context.getFilesDir(), "models"))
 *         .validator(file -> new Classifier(file).close())
 *         .build();
 * UpdateResult r = updater.update();          // on a background thread: it does network I/O
 * File model = r.installed() != null ? r.installed().file() : null;   // null: use the bundled model
 * }</pre>
 *
 * <p>Thread-safe: updates of one instance run one at a time.
 */
public final class ModelUpdater {
    /** The model list endpoint, relative to the server URL. */
    public static final String MODELS_PATH = "/api/v1/models";

    /** Upper bound on a download whose size the server does not list. */
    private static final long MAX_UNLISTED_BYTES = 512L << 20;

    private final HttpTransport http;
    private final File directory;
    private final String model;
    private final String format;
    private final String quantization;
    private final ModelValidator validator;

    private ModelUpdater(Builder b) {
        this.http = b.server == null ? null : new HttpTransport(b.server, b.connectTimeoutMillis, b.readTimeoutMillis);
        this.directory = b.directory;
        this.model = b.model;
        this.format = b.format;
        this.quantization = b.quantization;
        this.validator = b.validator;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The file the installed model lives in (it may not exist yet). */
    public File modelFile() {
        return new File(directory, baseName() + "." + format);
    }

    private File recordFile() {
        return new File(directory, baseName() + "." + format + ".json");
    }

    private String baseName() {
        return safeName(model) + "-" + safeName(quantization);
    }

    /**
     * The file as a {@link java.nio.file.Path}. {@code File.toPath()} needs Android 8 (API 26); {@code Paths} is
     * there on older versions through the app's library desugaring, which supplies {@code java.nio.file}.
     */
    private static java.nio.file.Path path(File file) {
        return java.nio.file.Paths.get(file.getPath());
    }

    private static String safeName(String s) {
        return s.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    /**
     * The model installed by an earlier update, re-verified against its recorded SHA-256; null when there is none
     * or the file is missing or damaged (the app then uses its bundled model). Reads the whole file to hash it.
     */
    public synchronized InstalledModel installed() {
        File record = recordFile();
        File file = modelFile();
        if (!record.isFile() || !file.isFile()) return null;
        try {
            Map<String, Object> r = Json.parseObject(new String(Files.readAllBytes(path(record)),
                    StandardCharsets.UTF_8));
            String sha = String.valueOf(r.get("sha256"));
            Object size = r.get("size");
            if (!(size instanceof Number) || ((Number) size).longValue() != file.length()) return null;
            if (!sha.equals(Digests.sha256(path(file)))) return null;
            DigitCheck check = r.get("digitCheck") == null ? DigitCheck.NONE : DigitCheck.fromJson(r.get("digitCheck"));
            InputContract.Preprocessing how = r.get("preprocessing") == null ? InputContract.Preprocessing.DIGIT
                    : InputContract.Preprocessing.of(String.valueOf(r.get("preprocessing")));
            return new InstalledModel(file, model, String.valueOf(r.get("version")), quantization, sha,
                    file.length(), check, how);
        } catch (IOException | IllegalArgumentException e) {
            // An unreadable record (or one with a digit check this version cannot apply) is the same as none: the
            // file cannot be vouched for.
            return null;
        }
    }

    /**
     * Fetches the server's latest model when it differs from the installed one. Does network I/O: never call it on
     * Android's main thread. Never throws for a server, network or storage failure; the result says what happened.
     *
     * @throws IllegalStateException when the builder was given no server URL
     */
    public synchronized UpdateResult update() {
        if (http == null) {
            throw new IllegalStateException("no server URL was given to the builder: set one to check for updates");
        }
        InstalledModel before = installed();
        Offer offer;
        try {
            offer = latestOffer(http.json("GET", MODELS_PATH, null, null));
        } catch (ServerException e) {
            return failed(statusOf(e), before, null, e.getMessage());
        } catch (BadListingException e) {
            return failed(UpdateStatus.SERVER_ERROR, before, null, "The server at " + http.baseUrl()
                    + " sent a model list the app cannot read (" + e.getMessage() + ")");
        }
        if (offer.url == null) {
            return failed(UpdateStatus.NOT_ON_SERVER, before, null, offer.missing);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        if (before != null) headers.put("If-None-Match", "\"" + before.sha256() + "\"");
        File part = partFile(offer);
        removeOtherParts(part);
        long have = part.isFile() ? part.length() : 0;
        if (have > 0 && (offer.size < 0 || have >= offer.size)) {
            deleteQuietly(part);
            have = 0;
        }
        if (have > 0) {
            // The rest of a download that broke off, only if the server still has the very same file (If-Range).
            headers.put("Range", "bytes=" + have + "-");
            headers.put("If-Range", "\"" + offer.sha256 + "\"");
        }
        try (HttpTransport.Exchange ex = http.send("GET", offer.url, headers, null, null)) {
            if (ex.status() == 304) {
                return notModified(before, offer);
            }
            ex.requireSuccess();
            long from = 0;
            if (ex.status() == 206) {
                String range = ex.header("Content-Range");
                if (have == 0 || range == null || !range.trim().startsWith("bytes " + have + "-")) {
                    deleteQuietly(part);
                    return failed(UpdateStatus.CORRUPT_DOWNLOAD, before, offer.version, "The server at "
                            + http.baseUrl() + " answered a part of " + describe(offer) + " that was not asked for ("
                            + range + ")");
                }
                from = have;
            }
            return install(ex, before, offer, part, from);
        } catch (ServerException e) {
            return failed(statusOf(e), before, offer.version, e.getMessage());
        }
    }

    /**
     * Where the bytes of an unfinished download of {@code offer} are kept between updates: named by the SHA-256 it
     * must end up with, so that only the rest of that same file is ever appended to it.
     */
    private File partFile(Offer offer) {
        return new File(directory, "." + modelFile().getName() + "." + offer.sha256 + ".part");
    }

    /** Unfinished downloads of files the server no longer offers are of no use: removed. */
    private void removeOtherParts(File keep) {
        String prefix = "." + modelFile().getName() + ".";
        File[] left = directory.listFiles((d, n) -> n.startsWith(prefix) && n.endsWith(".part"));
        if (left == null) return;
        for (File f : left) if (!f.equals(keep)) deleteQuietly(f);
    }

    private static void deleteQuietly(File f) {
        if (f.exists() && !f.delete()) f.deleteOnExit();
    }

    private UpdateResult notModified(InstalledModel before, Offer offer) {
        if (before == null || !before.sha256().equals(offer.sha256)) {
            // 304 to a request without our tag, or for bytes the list says are different: the server contradicts itself.
            return failed(UpdateStatus.SERVER_ERROR, before, offer.version, "The server at " + http.baseUrl()
                    + " answered 304 Not Modified for " + describe(offer) + " although its list gives a different"
                    + " SHA-256");
        }
        if (!before.version().equals(offer.version)) {
            // Same bytes republished under a new version number: only the record changes.
            try {
                writeRecord(offer);
            } catch (IOException e) {
                return failed(UpdateStatus.STORAGE_ERROR, before, offer.version, "Cannot record the model's new"
                        + " version in " + directory + ": " + e.getMessage());
            }
            before = new InstalledModel(before.file(), model, offer.version, quantization, before.sha256(),
                    before.size(), offer.digitCheck, offer.preprocessing);
        }
        return new UpdateResult(UpdateStatus.UP_TO_DATE, before, offer.version, "The model is up to date ("
                + describe(offer) + ").");
    }

    /**
     * Receives the body into {@code part} (appending when {@code from} > 0: the rest of an earlier download), checks
     * size and SHA-256 of the whole, lets the validator look at it and installs it atomically. A body that breaks off —
     * the connection fails, or it ends before its Content-Length — keeps what arrived for the next update to resume;
     * a whole body that is wrong is discarded.
     */
    private UpdateResult install(HttpTransport.Exchange ex, InstalledModel before, Offer offer, File part, long from)
            throws ServerException {
        boolean keepPart = false;
        try {
            long limit = offer.size >= 0 ? offer.size : MAX_UNLISTED_BYTES;
            MessageDigest md = Digests.digest();
            long total = from;
            long announced = ex.contentLength();
            long received = 0;
            if (!directory.isDirectory() && !directory.mkdirs() && !directory.isDirectory()) {
                return failed(UpdateStatus.STORAGE_ERROR, before, offer.version, "Cannot create the models directory "
                        + directory);
            }
            InputStream body = ex.body();
            try (FileOutputStream out = new FileOutputStream(part, from > 0)) {
                if (from > 0) {
                    try (InputStream earlier = new java.io.FileInputStream(part)) {
                        byte[] b = new byte[1 << 16];
                        long left = from;
                        for (int n; left > 0 && (n = earlier.read(b, 0, (int) Math.min(b.length, left))) > 0; left -= n) {
                            md.update(b, 0, n);
                        }
                    }
                }
                byte[] buf = new byte[1 << 16];
                while (true) {
                    int n;
                    try {
                        n = body.read(buf);
                    } catch (IOException e) {
                        out.getFD().sync();
                        keepPart = true;
                        return interrupted(before, offer, total, http.failure(ex.url, e));
                    }
                    if (n < 0) break;
                    total += n;
                    received += n;
                    if (total > limit) {
                        return corrupt(before, offer, "more than the " + limit + " bytes listed");
                    }
                    md.update(buf, 0, n);
                    out.write(buf, 0, n);
                }
                out.getFD().sync();
                if (announced >= 0 && received < announced) {
                    keepPart = true;
                    return interrupted(before, offer, total, null);
                }
            } catch (IOException e) {
                return failed(UpdateStatus.STORAGE_ERROR, before, offer.version, "Cannot store the downloaded model in "
                        + directory + ": " + e.getMessage());
            } finally {
                try {
                    body.close();
                } catch (IOException e) {
                    // The bytes are in (or the failure is already being reported); nothing more comes of it.
                }
            }
            if (offer.size >= 0 && total != offer.size) {
                return corrupt(before, offer, total + " bytes instead of the " + offer.size + " listed");
            }
            String sha = Digests.hex(md.digest());
            if (!sha.equals(offer.sha256)) {
                return corrupt(before, offer, "SHA-256 " + sha + " instead of the listed " + offer.sha256);
            }
            if (validator != null) {
                try {
                    validator.validate(part);
                } catch (Exception e) {
                    return failed(UpdateStatus.REJECTED, before, offer.version, "The downloaded " + describe(offer)
                            + " cannot be used on this device (" + e.getMessage() + ") and was discarded");
                }
            }
            try {
                Files.move(path(part), path(modelFile()), StandardCopyOption.ATOMIC_MOVE,
                        StandardCopyOption.REPLACE_EXISTING);
                writeRecord(offer);
            } catch (IOException e) {
                return failed(UpdateStatus.STORAGE_ERROR, installed(), offer.version, "Cannot install the downloaded"
                        + " model in " + directory + ": " + e.getMessage());
            }
        } finally {
            if (!keepPart) deleteQuietly(part);
        }
        InstalledModel now = new InstalledModel(modelFile(), model, offer.version, quantization, offer.sha256,
                modelFile().length(), offer.digitCheck, offer.preprocessing);
        return new UpdateResult(UpdateStatus.DOWNLOADED, now, offer.version, "Downloaded " + describe(offer)
                + (from > 0 ? " (resumed at byte " + from + ")" : "")
                + (before == null ? "" : ", replacing version " + before.version()) + ".");
    }

    private UpdateResult corrupt(InstalledModel before, Offer offer, String why) {
        return failed(UpdateStatus.CORRUPT_DOWNLOAD, before, offer.version, "The download of " + describe(offer)
                + " was corrupt (" + why + ") and was discarded");
    }

    /** A download that broke off after {@code have} bytes: they are kept, and the next update asks for the rest. */
    private UpdateResult interrupted(InstalledModel before, Offer offer, long have, ServerException cause) {
        String size = offer.size >= 0 ? " of " + offer.size : "";
        return failed(UpdateStatus.UNREACHABLE, before, offer.version, "The download of " + describe(offer)
                + " broke off after " + have + size + " bytes" + (cause == null ? "" : " (" + cause.getMessage() + ")")
                + "; the next update resumes it from there");
    }

    private void writeRecord(Offer offer) throws IOException {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("model", model);
        r.put("version", offer.version);
        r.put("format", format);
        r.put("quantization", quantization);
        r.put("sha256", offer.sha256);
        r.put("size", modelFile().length());
        r.put("source", http.resolve(offer.url));
        if (offer.digitCheck.rejects()) r.put("digitCheck", offer.digitCheck.toJson());
        r.put("preprocessing", offer.preprocessing.id());
        r.put("installedAtMillis", System.currentTimeMillis());
        AtomicFiles.writeString(path(recordFile()), Json.writePretty(r));
    }

    private UpdateResult failed(UpdateStatus status, InstalledModel inUse, String offered, String why) {
        String keep = inUse == null ? "the app's bundled model stays in use" : "version " + inUse.version()
                + " stays in use";
        String msg = why.endsWith(".") ? why.substring(0, why.length() - 1) : why;
        return new UpdateResult(status, inUse, offered, msg + "; " + keep + ".");
    }

    private static UpdateStatus statusOf(ServerException e) {
        switch (e.reason()) {
            case UNREACHABLE:
            case TIMEOUT:
                return UpdateStatus.UNREACHABLE;
            default:
                return UpdateStatus.SERVER_ERROR;
        }
    }

    private String describe(Offer offer) {
        return model + " version " + offer.version + " (" + format + ", " + quantization + ")";
    }

    // ---- the model list ---------------------------------------------------------------------------------------

    /** The file the server offers for this model, format and quantization, or why there is none. */
    private static final class Offer {
        String version;
        String url;
        String sha256;
        long size = -1;
        String missing;
        DigitCheck digitCheck = DigitCheck.NONE;
        InputContract.Preprocessing preprocessing = InputContract.Preprocessing.DIGIT;
    }

    private static final class BadListingException extends Exception {
        private static final long serialVersionUID = 1L;

        BadListingException(String message) {
            super(message);
        }
    }

    private Offer latestOffer(Map<String, Object> listing) throws BadListingException {
        Object models = listing.get("models");
        if (!(models instanceof List)) throw new BadListingException("no \"models\" array");
        List<String> names = new ArrayList<>();
        for (Object m : (List<?>) models) {
            if (!(m instanceof Map)) throw new BadListingException("a model entry is not an object");
            Map<?, ?> entry = (Map<?, ?>) m;
            String name = String.valueOf(entry.get("name"));
            names.add(name);
            if (name.equals(model)) return offerOf(entry);
        }
        Offer none = new Offer();
        none.missing = "The server at " + http.baseUrl() + " has no model named '" + model + "' (it has "
                + (names.isEmpty() ? "none" : String.join(", ", names)) + ")";
        return none;
    }

    private Offer offerOf(Map<?, ?> entry) throws BadListingException {
        Object versions = entry.get("versions");
        if (!(versions instanceof List)) throw new BadListingException("model '" + model + "' has no \"versions\"");
        String latest = entry.get("latest") == null ? null : versionText(entry.get("latest"));
        Map<?, ?> chosen = null;
        for (Object v : (List<?>) versions) {
            if (!(v instanceof Map)) throw new BadListingException("a version of '" + model + "' is not an object");
            Map<?, ?> version = (Map<?, ?>) v;
            String number = versionText(version.get("version"));
            if (latest != null ? number.equals(latest) : chosen == null || newer(number, versionText(chosen.get("version")))) {
                chosen = version;
            }
        }
        if (chosen == null) throw new BadListingException("model '" + model + "' lists no version " + latest);
        Offer offer = new Offer();
        offer.version = versionText(chosen.get("version"));
        if (chosen.get("digitCheck") != null) {
            try {
                offer.digitCheck = DigitCheck.fromJson(chosen.get("digitCheck"));
            } catch (IllegalArgumentException e) {
                throw new BadListingException("version " + offer.version + " of '" + model + "': " + e.getMessage());
            }
        }
        Object input = chosen.get("input");
        if (input instanceof Map && ((Map<?, ?>) input).get("preprocessing") != null) {
            String how = String.valueOf(((Map<?, ?>) input).get("preprocessing"));
            try {
                offer.preprocessing = InputContract.Preprocessing.of(how);
            } catch (InvalidInputException e) {
                throw new BadListingException("version " + offer.version + " of '" + model + "' needs the preprocessing '"
                        + how + "', which this version of the app does not do; update the app");
            }
        }
        Object formats = chosen.get("formats");
        if (!(formats instanceof List)) {
            throw new BadListingException("version " + offer.version + " of '" + model + "' has no \"formats\"");
        }
        List<String> available = new ArrayList<>();
        for (Object f : (List<?>) formats) {
            if (!(f instanceof Map)) continue;
            Map<?, ?> fm = (Map<?, ?>) f;
            String fmt = String.valueOf(fm.get("format"));
            String q = String.valueOf(fm.get("quantization"));
            available.add(fmt + " " + q);
            if (!fmt.equals(format) || !q.equals(quantization)) continue;
            Object url = fm.get("url");
            Object sha = fm.get("sha256");
            Object size = fm.get("size");
            if (!(url instanceof String) || !(sha instanceof String)) {
                throw new BadListingException(format + " " + quantization + " of version " + offer.version
                        + " has no \"url\" or \"sha256\"");
            }
            offer.url = (String) url;
            offer.sha256 = ((String) sha).toLowerCase(Locale.ROOT);
            offer.size = size instanceof Number ? ((Number) size).longValue() : -1;
            return offer;
        }
        offer.missing = "The server's latest " + model + " (version " + offer.version + ") has no " + format + " "
                + quantization + " file (it has " + (available.isEmpty() ? "none" : String.join(", ", available))
                + ")";
        return offer;
    }

    private static String versionText(Object v) {
        if (v instanceof Number && ((Number) v).doubleValue() == Math.rint(((Number) v).doubleValue())) {
            return Long.toString(((Number) v).longValue());
        }
        return String.valueOf(v);
    }

    /** Numeric comparison when both are numbers, text otherwise. */
    private static boolean newer(String a, String b) {
        try {
            return Long.parseLong(a) > Long.parseLong(b);
        } catch (NumberFormatException e) {
            return a.compareTo(b) > 0;
        }
    }

    /** Settings: {@code directory} is required, {@code server} is required for {@link #update()}, the rest optional. */
    public static final class Builder {
        private String server;
        private File directory;
        private String model = "cnn";
        private String format = "tflite";
        private String quantization = "float32";
        private int connectTimeoutMillis = 5_000;
        private int readTimeoutMillis = 30_000;
        private ModelValidator validator;

        /** The server's base URL, e.g. {@code http://192.168.1.20:8080} (required for {@link #update()}). */
        public Builder server(String url) {
            this.server = url;
            return this;
        }

        /** Where downloaded models are kept, e.g. {@code new File(context.getFilesDir(), "models")} (required). */
        public Builder directory(File dir) {
            this.directory = dir;
            return this;
        }

        /** The model's name on the server (default {@code cnn}, the model every Digits server carries). */
        public Builder model(String name) {
            this.model = name;
            return this;
        }

        /** The format to download (default {@code tflite}). */
        public Builder format(String format) {
            this.format = format;
            return this;
        }

        /** The quantization variant: {@code float32} (default), {@code float16}, {@code int8-dynamic}, {@code int8}. */
        public Builder quantization(String quantization) {
            this.quantization = quantization;
            return this;
        }

        /** How long to wait for a connection (default 5 s). */
        public Builder connectTimeoutMillis(int millis) {
            this.connectTimeoutMillis = millis;
            return this;
        }

        /** How long a read may stall (default 30 s; a slow download that keeps moving is not cut off). */
        public Builder readTimeoutMillis(int millis) {
            this.readTimeoutMillis = millis;
            return this;
        }

        /** A last check of a verified download before it is installed (default: none). */
        public Builder validator(ModelValidator validator) {
            this.validator = validator;
            return this;
        }

        /** @throws IllegalArgumentException naming the setting that is missing or malformed */
        public ModelUpdater build() {
            if (directory == null) {
                throw new IllegalArgumentException("directory for downloaded models is required, e.g. the app's"
                        + " files directory");
            }
            for (String[] setting : new String[][]{{"model", model}, {"format", format}, {"quantization", quantization}}) {
                if (setting[1] == null || setting[1].trim().isEmpty()) {
                    throw new IllegalArgumentException(setting[0] + " must not be empty");
                }
            }
            return new ModelUpdater(this);
        }
    }
}
