package dev.digits.serve.api;

import dev.digits.core.recognition.Recognition;
import io.javalin.http.Context;

import java.io.IOException;
import java.text.Normalizer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The route of the mnist-ml-to-mobile Flask server, so that its clients work unchanged: {@code GET /mnist} serves an
 * upload form, {@code POST /mnist} takes a multipart field {@code mnist_image} and answers
 * {@code {"filename", "pred_number", "pred_label"}} — the sanitised file name (as werkzeug's
 * {@code secure_filename}), the predicted digit as a number and, as the original does, the model's output as a
 * one-row nested list {@code [[p0, …, p9]]}. Unlike the original, preprocessing is Digits' own (any photo or drawing
 * works), a blank image answers {@code "pred_number": null} with {@code "message": "no digit found"} (and an image the card's
 * digit check rejects, {@code "this does not look like a digit"}, with the probabilities kept), and errors are
 * JSON bodies rather than redirects.
 */
public final class MnistController {
    /** The multipart field the seed clients send. */
    static final String FIELD = "mnist_image";

    private static final String FORM = "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
            + "<title>Digits — upload a digit</title></head>\n<body>\n<h1>Upload a handwritten digit</h1>\n"
            + "<form method=\"post\" action=\"/mnist\" enctype=\"multipart/form-data\">\n"
            + "  <input type=\"file\" name=\"" + FIELD + "\" accept=\"image/*\">\n"
            + "  <input type=\"submit\" value=\"Upload\">\n</form>\n</body>\n</html>\n";

    private final Predictor predictor;
    private final long maxBodyBytes;

    MnistController(Predictor predictor, long maxBodyBytes) {
        this.predictor = predictor;
        this.maxBodyBytes = maxBodyBytes;
    }

    void form(Context ctx) {
        ctx.contentType("text/html; charset=utf-8").result(FORM);
    }

    void predict(Context ctx) throws IOException {
        if (!RequestBody.mediaType(ctx).equals("multipart/form-data")) {
            throw ApiException.unsupportedMediaType("POST /mnist takes multipart/form-data with the image in a field "
                    + "named " + FIELD);
        }
        byte[] body = RequestBody.read(ctx, maxBodyBytes);
        PredictionRequest request = PredictionRequest.parse(ctx, body, false, FIELD, 1);
        ImageInput input = request.images.get(0);
        String filename = secureFilename(input.filename == null ? "" : input.filename);
        if (filename.isEmpty()) {
            throw ApiException.badRequest("the " + FIELD + " part has no usable file name; send it as a file upload");
        }
        Predictor.Result r = predictor.predict(ctx, request);
        Predictor.Outcome outcome = r.outcomes.get(0);
        Recognition rec = outcome.recognition;
        Recognition shown = rec != null ? rec : outcome.rejected;
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("filename", filename);
        out.put("pred_number", rec == null ? null : rec.index());
        out.put("pred_label", shown == null ? null : List.of(shown.probabilities()));
        if (rec == null) {
            out.put("message", Predictor.NOT_A_DIGIT.equals(outcome.reason) ? Predictor.NOT_A_DIGIT_MESSAGE
                    : "no digit found");
        }
        Json.ok(ctx, out);
    }

    /**
     * werkzeug's {@code secure_filename} on a POSIX server: ASCII only, {@code /} becomes a space, runs of whitespace become one
     * {@code _}, anything but letters, digits, {@code _ . -} is dropped, and leading or trailing {@code . _} removed.
     */
    static String secureFilename(String name) {
        String ascii = Normalizer.normalize(name, Normalizer.Form.NFKD).replaceAll("[^\\x00-\\x7F]", "");
        ascii = ascii.replace('/', ' ');
        String joined = String.join("_", ascii.trim().split("\\s+"));
        String kept = joined.replaceAll("[^A-Za-z0-9_.-]", "");
        return kept.replaceAll("^[._]+", "").replaceAll("[._]+$", "");
    }
}
