package dev.digits.serve.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.digits.core.preprocess.PreprocessedDigit;
import io.javalin.http.Context;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * The images and model choice of a prediction request, read from any of the accepted bodies:
 * <ul>
 * <li>{@code multipart/form-data} with the image file(s) in a field ({@code image}; {@code mnist_image} for the
 *     seed route) and optional text fields {@code model} and {@code version};</li>
 * <li>a raw {@code image/*} body holding one image file;</li>
 * <li>{@code application/json}: {@code {"pixels": [784 numbers]}} or {@code {"image": "<base64>"}} for one image;
 *     {@code {"images": ["<base64>", …]}} and/or {@code {"pixels": [[784], …]}} for a batch; optional
 *     {@code "model"} and {@code "version"}.</li>
 * </ul>
 * Query parameters {@code model} and {@code version} apply to every kind of body; a field in the body takes
 * precedence. Every malformed or out-of-range value is a 400 naming it; an unknown media type a 415.
 */
final class PredictionRequest {
    final List<ImageInput> images;
    final String model;
    final Integer version;

    private PredictionRequest(List<ImageInput> images, String model, Integer version) {
        this.images = images;
        this.model = model;
        this.version = version;
    }

    /**
     * @param batch      whether several images may be sent
     * @param imageField the multipart field holding image files
     * @param maxImages  most images accepted (413 beyond)
     */
    static PredictionRequest parse(Context ctx, byte[] body, boolean batch, String imageField, int maxImages)
            throws IOException {
        String type = RequestBody.mediaType(ctx);
        String model = emptyToNull(ctx.queryParam("model"));
        String version = emptyToNull(ctx.queryParam("version"));
        List<ImageInput> images = new ArrayList<>();
        if (type.equals("multipart/form-data")) {
            MultipartForm form = MultipartForm.parse(body, ctx.contentType());
            List<MultipartForm.Part> files = form.all(imageField);
            int i = 0;
            for (MultipartForm.Part p : files) {
                String source = files.size() == 1 ? imageField : imageField + "[" + i + "]";
                images.add(ImageInput.encoded(source, p.data, p.filename));
                i++;
            }
            if (form.field("model") != null) model = emptyToNull(form.field("model"));
            if (form.field("version") != null) version = emptyToNull(form.field("version"));
            if (images.isEmpty()) {
                throw ApiException.badRequest("the multipart body has no '" + imageField + "' field; send the image file in"
                        + " a field named " + imageField);
            }
        } else if (type.startsWith("image/")) {
            images.add(ImageInput.encoded("the request body", body, null));
        } else if (type.equals("application/json") || type.endsWith("+json")) {
            JsonFields fields = readJson(body, batch, maxImages);
            images.addAll(fields.images);
            if (fields.model != null) model = fields.model;
            if (fields.version != null) version = fields.version;
        } else {
            throw ApiException.unsupportedMediaType((type.isEmpty() ? "the request has no Content-Type" : "Content-Type "
                    + type + " is not accepted") + "; send multipart/form-data with an '" + imageField + "' file, an "
                    + "image/* body (PNG, JPEG, GIF or BMP), or application/json with \"pixels\" or \"image\"");
        }
        if (images.size() > maxImages) {
            throw ApiException.tooLarge(batch ? "the request holds " + images.size() + " images; a batch may hold at most "
                    + maxImages : "this route classifies one image; send several to /api/v1/predict/batch");
        }
        return new PredictionRequest(images, model, parseVersion(version));
    }

    /** A version parameter: null or "latest" for the latest, else a positive whole number. */
    static Integer parseVersion(String v) {
        if (v == null || v.equalsIgnoreCase("latest")) return null;
        if (v.matches("[1-9][0-9]{0,8}")) return Integer.parseInt(v);
        throw ApiException.badRequest("version must be a positive whole number or 'latest', was '" + v + "'");
    }

    static final class JsonFields {
        final List<ImageInput> images = new ArrayList<>();
        String model;
        String version;
    }

    static JsonFields readJson(byte[] body, boolean batch, int maxImages) throws IOException {
        PixelsBody pixelsOnly = PixelsBody.read(body, batch, maxImages);
        if (pixelsOnly == null) return readJsonWithParser(body, batch, maxImages);
        JsonFields out = new JsonFields();
        for (float[] image : pixelsOnly.pixels) {
            out.images.add(ImageInput.pixels(batch ? "pixels[" + out.images.size() + "]" : "pixels", image));
        }
        out.model = pixelsOnly.model;
        out.version = pixelsOnly.version;
        return out;
    }

    /** {@link #readJson} by Jackson's parser: any JSON body, each mistake in it named. */
    static JsonFields readJsonWithParser(byte[] body, boolean batch, int maxImages) throws IOException {
        JsonFields out = new JsonFields();
        List<ImageInput> encoded = new ArrayList<>();
        List<ImageInput> pixels = new ArrayList<>();
        try (JsonParser p = Json.MAPPER.getFactory().createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw ApiException.badRequest("the JSON body must be an object such as {\"pixels\": [784 numbers]} or "
                        + "{\"image\": \"<base64>\"}");
            }
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "pixels":
                        readPixelsField(p, value, batch, maxImages, pixels);
                        break;
                    case "image":
                        encoded.add(ImageInput.encoded("image", base64(p, value, "image"), null));
                        break;
                    case "images":
                        if (!batch) {
                            throw ApiException.badRequest("\"images\" is for /api/v1/predict/batch; send one image as "
                                    + "\"image\"");
                        }
                        expect(value, JsonToken.START_ARRAY, "\"images\" must be an array of base64 strings");
                        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                            String source = "images[" + encoded.size() + "]";
                            encoded.add(ImageInput.encoded(source, base64(p, e, source), null));
                            if (encoded.size() > maxImages) break;
                        }
                        break;
                    case "model":
                        out.model = value == JsonToken.VALUE_NULL ? null : text(p, value, "model");
                        break;
                    case "version":
                        out.version = value == JsonToken.VALUE_NULL ? null
                                : value == JsonToken.VALUE_NUMBER_INT ? p.getText() : text(p, value, "version");
                        break;
                    default:
                        p.skipChildren();
                }
                if (encoded.size() + pixels.size() > maxImages) break;
            }
        }
        out.images.addAll(encoded);
        out.images.addAll(pixels);
        if (out.images.isEmpty()) {
            throw ApiException.badRequest("the JSON body holds no image; send " + (batch
                    ? "{\"images\": [\"<base64>\", …]} and/or {\"pixels\": [[784 numbers], …]}"
                    : "{\"pixels\": [784 numbers in 0..1]} or {\"image\": \"<base64 PNG/JPEG>\"}"));
        }
        if (!batch && out.images.size() > 1) {
            throw ApiException.badRequest("send either \"pixels\" or \"image\", not both");
        }
        return out;
    }

    private static void readPixelsField(JsonParser p, JsonToken value, boolean batch, int maxImages,
                                        List<ImageInput> out) throws IOException {
        expect(value, JsonToken.START_ARRAY, batch ? "\"pixels\" must be an array of images, each an array of 784 "
                + "numbers" : "\"pixels\" must be an array of 784 numbers in [0, 1]");
        if (!batch) {
            out.add(ImageInput.pixels("pixels", readPixels(p, "pixels")));
            return;
        }
        for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
            String source = "pixels[" + out.size() + "]";
            expect(e, JsonToken.START_ARRAY, source + " must be an array of 784 numbers in [0, 1]");
            out.add(ImageInput.pixels(source, readPixels(p, source)));
            if (out.size() > maxImages) return;
        }
    }

    /** Reads the numbers of an array whose START_ARRAY has just been read. */
    private static float[] readPixels(JsonParser p, String source) throws IOException {
        float[] out = new float[PreprocessedDigit.PIXELS];
        int n = 0;
        for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
            if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
                throw ApiException.badRequest(source + "[" + n + "] is " + describe(p, t) + "; pixel values must be "
                        + "numbers in [0, 1]");
            }
            float v = JsonNumbers.readFloat(p);
            if (!(v >= 0 && v <= 1)) {
                throw ApiException.badRequest(source + "[" + n + "] is " + p.getText() + "; pixel values must be in [0, 1]"
                        + (v > 1 && v <= 255 ? " (divide 0–255 grey levels by 255)" : ""));
            }
            if (n < out.length) out[n] = v;
            n++;
        }
        if (n != PreprocessedDigit.PIXELS) {
            throw ApiException.badRequest(source + " holds " + n + " values; a 28×28 image needs " + PreprocessedDigit.PIXELS);
        }
        return out;
    }

    private static byte[] base64(JsonParser p, JsonToken t, String source) throws IOException {
        if (t != JsonToken.VALUE_STRING) {
            throw ApiException.badRequest(source + " must be a base64 string, not " + describe(p, t));
        }
        String s = p.getText();
        // Accept a data URL as canvas.toDataURL() gives it.
        if (s.startsWith("data:")) {
            int comma = s.indexOf(',');
            s = comma < 0 ? "" : s.substring(comma + 1);
        }
        try {
            byte[] bytes = Base64.getMimeDecoder().decode(s);
            if (bytes.length == 0) throw ApiException.badRequest(source + " is empty");
            return bytes;
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(source + " is not valid base64: " + e.getMessage());
        }
    }

    private static String text(JsonParser p, JsonToken t, String field) throws IOException {
        if (t != JsonToken.VALUE_STRING) {
            throw ApiException.badRequest("\"" + field + "\" must be a string, not " + describe(p, t));
        }
        return emptyToNull(p.getText());
    }

    private static void expect(JsonToken actual, JsonToken expected, String message) {
        if (actual != expected) throw ApiException.badRequest(message);
    }

    private static String describe(JsonParser p, JsonToken t) throws IOException {
        if (t == null) return "missing";
        switch (t) {
            case VALUE_NULL:
                return "null";
            case START_ARRAY:
                return "an array";
            case START_OBJECT:
                return "an object";
            case VALUE_STRING:
                return "the string \"" + p.getText() + "\"";
            default:
                return p.getText().toLowerCase(Locale.ROOT);
        }
    }

    /** A model or version as given: blank is none, else trimmed. */
    static String emptyToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }
}
