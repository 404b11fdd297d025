package dev.digits.core.client;

import dev.digits.core.json.Json;
import dev.digits.core.preprocess.PreprocessedDigit;
import dev.digits.core.recognition.Recognition;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Asks a Digits server to classify a digit ({@code POST /api/v1/predict}), either as 784 preprocessed pixels or as an
 * image file the server preprocesses itself. Every failure is a {@link ServerException} with one message for the
 * user; an unreachable server is {@link ServerException.Reason#UNREACHABLE} rather than a stack of socket errors.
 *
 * <pre>{@code
 * PredictionClient client = PredictionClient.builder().server("http://192.168.1.20:8080").build();
 * ServerPrediction p = client.predictPixels(DigitPreprocessor.defaults().process(argb, w, h));
 * }</pre>
 *
 * <p>Instances are immutable and thread-safe; each call opens its own connection.
 */
public final class PredictionClient {
    /** The prediction endpoint, relative to the server URL. */
    public static final String PREDICT_PATH = "/api/v1/predict";

    private final HttpTransport http;
    private final String model;
    private final String version;

    private PredictionClient(Builder b) {
        this.http = new HttpTransport(b.server, b.connectTimeoutMillis, b.readTimeoutMillis);
        this.model = b.model;
        this.version = b.version;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The server's base URL, normalised (no trailing slash). */
    public String server() {
        return http.baseUrl();
    }

    /**
     * Classifies a preprocessed digit.
     *
     * @throws IllegalArgumentException when no digit was found in the image: there is nothing to send
     * @throws ServerException          when the server is unreachable, too slow or answers with an error
     */
    public ServerPrediction predictPixels(PreprocessedDigit digit) throws ServerException {
        if (!digit.found()) {
            throw new IllegalArgumentException("no digit found in the image: draw or photograph a digit first");
        }
        return predictPixels(digit.pixels());
    }

    /**
     * Classifies 784 intensities in [0, 1] (28&times;28, row-major, white digit on black) as JSON
     * {@code {"pixels":[...]}}; the server runs them through the model as they are.
     *
     * @throws IllegalArgumentException when there are not exactly 784 finite values
     */
    public ServerPrediction predictPixels(float[] pixels) throws ServerException {
        if (pixels == null || pixels.length != PreprocessedDigit.PIXELS) {
            throw new IllegalArgumentException("need " + PreprocessedDigit.PIXELS + " pixels, got "
                    + (pixels == null ? "none" : Integer.toString(pixels.length)));
        }
        for (int i = 0; i < pixels.length; i++) {
            if (Float.isNaN(pixels[i]) || Float.isInfinite(pixels[i])) {
                throw new IllegalArgumentException("pixel " + i + " is " + pixels[i] + "; pixels must be finite");
            }
        }
        Map<String, Object> request = new LinkedHashMap<>();
        request.put("pixels", pixels);
        byte[] body = Json.write(request).getBytes(StandardCharsets.UTF_8);
        return post("application/json", body);
    }

    /**
     * Classifies an image file (PNG, JPEG, GIF or BMP) sent as the raw request body; the server decodes and
     * preprocesses it with the same algorithm as {@link dev.digits.core.preprocess.DigitPreprocessor}.
     *
     * @param contentType its media type, e.g. {@code image/png}
     */
    public ServerPrediction predictImage(byte[] image, String contentType) throws ServerException {
        if (image == null || image.length == 0) {
            throw new IllegalArgumentException("the image is empty");
        }
        if (contentType == null || !contentType.startsWith("image/")) {
            throw new IllegalArgumentException("content type must be an image/* type such as image/png, was "
                    + contentType);
        }
        return post(contentType, image);
    }

    private ServerPrediction post(String contentType, byte[] body) throws ServerException {
        String path = PREDICT_PATH + query();
        long start = System.nanoTime();
        Map<String, Object> json = http.json("POST", path, contentType, body);
        double roundTrip = (System.nanoTime() - start) / 1e6;
        return parse(json, roundTrip);
    }

    // Image bodies cannot carry the model in JSON, so it goes in the query string for every kind of request.
    private String query() {
        StringBuilder q = new StringBuilder();
        if (model != null) q.append(q.length() == 0 ? '?' : '&').append("model=").append(urlEncode(model));
        if (version != null) q.append(q.length() == 0 ? '?' : '&').append("version=").append(urlEncode(version));
        return q.toString();
    }

    private static String urlEncode(String s) {
        try {
            return java.net.URLEncoder.encode(s, "UTF-8");
        } catch (java.io.UnsupportedEncodingException e) {
            throw new IllegalStateException("UTF-8 is always supported", e);
        }
    }

    private float[] probabilities(Object array) throws ServerException {
        List<?> list = (List<?>) array;
        float[] p = new float[list.size()];
        for (int i = 0; i < p.length; i++) {
            if (!(list.get(i) instanceof Number)) throw badAnswer("probability " + i + " is not a number");
            p[i] = ((Number) list.get(i)).floatValue();
        }
        return p;
    }

    private ServerPrediction parse(Map<String, Object> json, double roundTrip) throws ServerException {
        String name = null;
        String version = null;
        String sha = null;
        Object m = json.get("model");
        if (m instanceof Map) {
            Map<?, ?> mm = (Map<?, ?>) m;
            name = text(mm.get("name"));
            version = text(mm.get("version"));
            sha = text(mm.get("sha256"));
        }
        double preprocess = 0;
        double inference = 0;
        Object timing = json.get("timing");
        if (timing instanceof Map) {
            preprocess = number(((Map<?, ?>) timing).get("preprocessMs"));
            inference = number(((Map<?, ?>) timing).get("inferenceMs"));
        }
        if (Boolean.FALSE.equals(json.get("found"))) {
            // No digit in the image (nothing drawn, or the model's digit check rejected it) and, rightly, no label.
            String reason = ServerPrediction.NOT_A_DIGIT.equals(json.get("reason")) ? ServerPrediction.NOT_A_DIGIT
                    : ServerPrediction.EMPTY;
            // A rejected answer carries the model's probabilities (servers before the digit check send none).
            Object rejected = json.get("probabilities");
            float[] p = ServerPrediction.NOT_A_DIGIT.equals(reason) && rejected instanceof List
                    && !((List<?>) rejected).isEmpty() ? probabilities(rejected) : null;
            return new ServerPrediction(null, reason, p, name, version, sha, roundTrip);
        }
        Object probs = json.get("probabilities");
        if (!(probs instanceof List) || ((List<?>) probs).isEmpty()) {
            throw badAnswer("it has no \"probabilities\" array");
        }
        float[] p = probabilities(probs);
        Recognition r = new Recognition(p, ServerPrediction.indexLabels(p.length), preprocess, inference);
        return new ServerPrediction(r, name, version, sha, roundTrip);
    }

    private ServerException badAnswer(String why) {
        return new ServerException(ServerException.Reason.BAD_RESPONSE, 200, null, "The server at " + http.baseUrl()
                + " gave a prediction the app cannot read (" + why + "); check that it is a Digits server.", null);
    }

    private static double number(Object o) {
        return o instanceof Number ? ((Number) o).doubleValue() : 0;
    }

    private static String text(Object o) {
        return o == null ? null : String.valueOf(o);
    }

    /** Settings: {@code server} is required, the rest optional. */
    public static final class Builder {
        private String server;
        private int connectTimeoutMillis = 5_000;
        private int readTimeoutMillis = 10_000;
        private String model;
        private String version;

        /** The server's base URL, e.g. {@code http://192.168.1.20:8080} (required). */
        public Builder server(String url) {
            this.server = url;
            return this;
        }

        /** How long to wait for a connection (default 5 s). */
        public Builder connectTimeoutMillis(int millis) {
            this.connectTimeoutMillis = millis;
            return this;
        }

        /** How long to wait for the answer once connected (default 10 s). */
        public Builder readTimeoutMillis(int millis) {
            this.readTimeoutMillis = millis;
            return this;
        }

        /** The model to ask for (default: the server's default model). */
        public Builder model(String name) {
            this.model = name;
            return this;
        }

        /** The model version to ask for (default: the latest). */
        public Builder version(String version) {
            this.version = version;
            return this;
        }

        /**
         * @throws IllegalArgumentException naming the setting when the server URL is missing or malformed or a
         *                                  timeout is not positive
         */
        public PredictionClient build() {
            if (server == null) {
                throw new IllegalArgumentException("server URL is required, e.g. http://192.168.1.20:8080");
            }
            return new PredictionClient(this);
        }
    }
}
