package dev.digits.serve;

import com.fasterxml.jackson.databind.JsonNode;
import dev.digits.core.preprocess.DigitPreprocessor;
import dev.digits.core.preprocess.PreprocessedDigit;
import dev.digits.serve.registry.EmbeddedModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** POST /api/v1/predict over real HTTP: every accepted body, and every way a body can be wrong. */
class PredictApiTest {
    private static DigitsServer server;
    private static Http http;
    /** The embedded model's float32 ONNX file in the tests' own ONNX Runtime session. */
    private static OnnxReference reference;

    @BeforeAll
    static void start(@TempDir Path tmp) throws Exception {
        TestModels.ensureEmbeddedModel();
        EmbeddedModel.copyTo(tmp);
        reference = OnnxReference.open(tmp.resolve(TestModels.ONNX));
        server = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).maxBodyBytes(200_000)
                .maxImageSide(1000).build());
        http = new Http(server);
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
        if (reference != null) reference.close();
    }

    /** What the exported model answers for an image file, preprocessed as the server does. */
    private static float[] expected(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        byte[] grey = new byte[w * h];
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) grey[y * w + x] = (byte) img.getRaster().getSample(x, y, 0);
        PreprocessedDigit d = DigitPreprocessor.defaults().processGray(grey, w, h);
        return reference.predict(d.pixels());
    }

    private static float[] probabilities(JsonNode answer) {
        JsonNode p = answer.get("probabilities");
        float[] out = new float[p.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) p.get(i).asDouble();
        return out;
    }

    private static int argmax(float[] p) {
        int best = 0;
        for (int i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
        return best;
    }

    private static void assertError(Http.Response r, int status) {
        assertEquals(status, r.status, r.text());
        assertEquals("application/json", r.header("Content-Type").split(";")[0], r.text());
        JsonNode body = r.json();
        assertTrue(body.hasNonNull("error") && body.hasNonNull("detail"), r.text());
        assertFalse(body.get("detail").asText().isBlank());
    }

    private static Map<String, Object> pixelsBody(float[] pixels) {
        Map<String, Object> body = new HashMap<>();
        body.put("pixels", pixels);
        return body;
    }

    @Test
    void aMultipartPngIsAnsweredWithTheModelsProbabilities() {
        BufferedImage img = TestModels.mnistImage(0);
        Http.Response r = http.postMultipart("/api/v1/predict",
                new Http.Multipart().file("image", "digit.png", "image/png", TestModels.encode(img, "png")));
        assertEquals(200, r.status, r.text());
        JsonNode a = r.json();
        float[] want = expected(img);
        assertArrayEquals(want, probabilities(a), 1e-5f);
        assertTrue(a.get("found").asBoolean());
        assertEquals(argmax(want), a.get("digit").asInt());
        assertEquals(Integer.toString(argmax(want)), a.get("label").asText());
        assertEquals(want[argmax(want)], (float) a.get("probability").asDouble(), 1e-5f);
        assertEquals(10, a.get("probabilities").size());
    }

    @Test
    void theAnswerNamesTheModelVersionAndItsWeightsDigest() {
        long sent = System.nanoTime();
        Http.Response r = http.postMultipart("/api/v1/predict",
                new Http.Multipart().file("image", "d.png", "image/png", TestModels.mnistPng(1)));
        double wallMs = (System.nanoTime() - sent) / 1e6;
        assertEquals(200, r.status, r.text());
        JsonNode a = r.json();
        JsonNode model = a.get("model");
        assertEquals("cnn", model.get("name").asText());
        assertEquals(1, model.get("version").asInt());
        JsonNode listed = http.get("/api/v1/models/cnn/versions/1").json();
        assertEquals(listed.get("sha256").asText(), model.get("sha256").asText());
        // The server rounds each timing to 0.001 ms. Decoding a PNG and running the CNN each take far longer than
        // that, so both are positive; both happen inside the request, so together they fit in its round trip.
        JsonNode timing = a.get("timing");
        double preprocessMs = timingMs(timing, "preprocessMs");
        double inferenceMs = timingMs(timing, "inferenceMs");
        assertTrue(preprocessMs > 0, "preprocessMs of a PNG: " + timing);
        assertTrue(inferenceMs > 0, "inferenceMs: " + timing);
        assertTrue(preprocessMs + inferenceMs <= wallMs,
                "server timings " + timing + " exceed the " + wallMs + " ms the client waited");
    }

    /** A timing field of the answer, which must be a finite JSON number. */
    private static double timingMs(JsonNode timing, String field) {
        assertTrue(timing != null && timing.isObject(), "the answer has a timing object: " + timing);
        JsonNode v = timing.get(field);
        assertTrue(v != null && v.isNumber(), field + " is a number: " + timing);
        assertTrue(Double.isFinite(v.asDouble()), field + " is finite: " + timing);
        return v.asDouble();
    }

    @Test
    void mostMnistTestImagesAreClassifiedAsTheirLabel() {
        int right = 0;
        for (int i = 0; i < 20; i++) {
            JsonNode a = http.post("/api/v1/predict", "image/png", TestModels.mnistPng(i)).json();
            if (a.get("digit").asInt() == TestModels.mnistLabel(i)) right++;
        }
        assertTrue(right >= 15, right + " of 20 right");
    }

    @Test
    void aRawImageBodyInEachSupportedFormatGivesTheSameDigitAsPng() {
        BufferedImage img = TestModels.mnistImage(2);
        int png = http.post("/api/v1/predict", "image/png", TestModels.encode(img, "png")).json().get("digit").asInt();
        for (String format : List.of("gif", "bmp")) {
            Http.Response r = http.post("/api/v1/predict", "image/" + format, TestModels.encode(img, format));
            assertEquals(200, r.status, format + ": " + r.text());
            assertEquals(png, r.json().get("digit").asInt(), format);
        }
        Http.Response jpeg = http.post("/api/v1/predict", "image/jpeg", TestModels.encode(img, "jpeg"));
        assertEquals(200, jpeg.status, jpeg.text());
        assertTrue(jpeg.json().get("found").asBoolean());
    }

    @Test
    void jsonPixelsAreClassifiedWithoutBeingPreprocessedAgain() {
        float[] pixels = TestModels.mnistPixels(3);
        Http.Response r = http.postJson("/api/v1/predict", pixelsBody(pixels));
        assertEquals(200, r.status, r.text());
        assertArrayEquals(reference.predict(pixels), probabilities(r.json()), 1e-5f);
    }

    @Test
    void aJsonBase64ImageAndADataUrlGiveTheSameAnswerAsTheFile() {
        byte[] png = TestModels.mnistPng(4);
        JsonNode file = http.post("/api/v1/predict", "image/png", png).json();
        String b64 = Base64.getEncoder().encodeToString(png);
        JsonNode plain = http.postJson("/api/v1/predict", Map.of("image", b64)).json();
        JsonNode dataUrl = http.postJson("/api/v1/predict", Map.of("image", "data:image/png;base64," + b64)).json();
        assertEquals(file.get("probabilities"), plain.get("probabilities"));
        assertEquals(file.get("probabilities"), dataUrl.get("probabilities"));
    }

    @Test
    void aBlankImageAnswersNoDigitFoundInsteadOfAGuess() {
        Http.Response r = http.post("/api/v1/predict", "image/png", TestModels.blankPng(64));
        assertEquals(200, r.status, r.text());
        JsonNode a = r.json();
        assertFalse(a.get("found").asBoolean());
        assertTrue(a.get("digit").isNull());
        assertTrue(a.get("probabilities").isNull());
        assertEquals("no digit found", a.get("message").asText());
        assertEquals("cnn", a.get("model").get("name").asText());
    }

    @Test
    void allZeroPixelsAnswerNoDigitFound() {
        JsonNode a = http.postJson("/api/v1/predict", pixelsBody(new float[784])).json();
        assertFalse(a.get("found").asBoolean());
        assertEquals("no digit found", a.get("message").asText());
    }

    @Test
    void theModelAndVersionCanBeChosenByQueryParameterOrJsonField() {
        Map<String, Object> body = pixelsBody(TestModels.mnistPixels(5));
        body.put("model", "cnn");
        body.put("version", "1");
        Http.Response json = http.postJson("/api/v1/predict", body);
        assertEquals(200, json.status, json.text());
        assertEquals(1, json.json().get("model").get("version").asInt());
        Http.Response query = http.post("/api/v1/predict?model=cnn&version=latest", "image/png", TestModels.mnistPng(5));
        assertEquals(200, query.status, query.text());
        assertEquals("cnn", query.json().get("model").get("name").asText());
    }

    @Test
    void anUnknownModelAnswers404() {
        assertError(http.post("/api/v1/predict?model=nosuch", "image/png", TestModels.mnistPng(0)), 404);
    }

    @Test
    void anUnknownVersionAnswers404() {
        assertError(http.post("/api/v1/predict?version=99", "image/png", TestModels.mnistPng(0)), 404);
    }

    @Test
    void aVersionThatIsNotANumberAnswers400() {
        assertError(http.post("/api/v1/predict?version=first", "image/png", TestModels.mnistPng(0)), 400);
    }

    @Test
    void aTextBodyAnswers415() {
        assertError(http.post("/api/v1/predict", "text/plain", "seven".getBytes(StandardCharsets.UTF_8)), 415);
    }

    @Test
    void aBodyWithoutContentTypeAnswers415() {
        assertError(http.post("/api/v1/predict", null, TestModels.mnistPng(0)), 415);
    }

    @Test
    void malformedJsonAnswers400() {
        assertError(http.post("/api/v1/predict", "application/json", "{\"pixels\": [0.1, 0.2".getBytes(StandardCharsets.UTF_8)), 400);
    }

    @Test
    void jsonThatIsNotAnObjectAnswers400() {
        assertError(http.post("/api/v1/predict", "application/json", "[1, 2, 3]".getBytes(StandardCharsets.UTF_8)), 400);
    }

    @Test
    void theWrongNumberOfPixelsAnswers400NamingTheCount() {
        Http.Response r = http.postJson("/api/v1/predict", pixelsBody(new float[783]));
        assertError(r, 400);
        assertTrue(r.json().get("detail").asText().contains("783"), r.text());
    }

    @Test
    void aNanPixelAnswers400() {
        StringBuilder sb = new StringBuilder("{\"pixels\": [NaN");
        for (int i = 1; i < 784; i++) sb.append(", 0");
        Http.Response r = http.post("/api/v1/predict", "application/json", sb.append("]}").toString().getBytes(StandardCharsets.UTF_8));
        assertError(r, 400);
        assertTrue(r.json().get("detail").asText().contains("NaN"), r.text());
    }

    @Test
    void aNullPixelAnswers400() {
        StringBuilder sb = new StringBuilder("{\"pixels\": [null");
        for (int i = 1; i < 784; i++) sb.append(", 0");
        assertError(http.post("/api/v1/predict", "application/json", sb.append("]}").toString().getBytes(StandardCharsets.UTF_8)), 400);
    }

    @Test
    void aPixelAboveOneAnswers400() {
        float[] pixels = new float[784];
        pixels[10] = 255;
        Http.Response r = http.postJson("/api/v1/predict", pixelsBody(pixels));
        assertError(r, 400);
        assertTrue(r.json().get("detail").asText().contains("pixels[10]"), r.text());
    }

    @Test
    void aNegativePixelAnswers400() {
        float[] pixels = new float[784];
        pixels[0] = -0.5f;
        assertError(http.postJson("/api/v1/predict", pixelsBody(pixels)), 400);
    }

    @Test
    void pixelsAndImageTogetherAnswer400() {
        Map<String, Object> body = pixelsBody(TestModels.mnistPixels(0));
        body.put("image", Base64.getEncoder().encodeToString(TestModels.mnistPng(0)));
        assertError(http.postJson("/api/v1/predict", body), 400);
    }

    @Test
    void invalidBase64Answers400() {
        assertError(http.postJson("/api/v1/predict", Map.of("image", "not base64 at all!")), 400);
    }

    @Test
    void aJsonBodyWithoutImageAnswers400() {
        assertError(http.postJson("/api/v1/predict", Map.of("model", "cnn")), 400);
    }

    @Test
    void bytesThatAreNoImageAnswer400() {
        assertError(http.post("/api/v1/predict", "image/png", "definitely not a png".getBytes(StandardCharsets.UTF_8)), 400);
    }

    @Test
    void aTruncatedPngAnswers400() {
        byte[] png = TestModels.encode(TestModels.mnistImage(0), "png");
        byte[] cut = java.util.Arrays.copyOf(png, png.length / 2);
        assertError(http.post("/api/v1/predict", "image/png", cut), 400);
    }

    @Test
    void anImageLargerThanTheLimitAnswers413BeforeDecoding() {
        // 1001 × 1 pixels: tiny as a file, but wider than this server's 1000-pixel limit.
        BufferedImage wide = new BufferedImage(1001, 1, BufferedImage.TYPE_BYTE_GRAY);
        Http.Response r = http.post("/api/v1/predict", "image/png", TestModels.encode(wide, "png"));
        assertError(r, 413);
        assertTrue(r.json().get("detail").asText().contains("1001"), r.text());
    }

    @Test
    void aBodyLargerThanTheLimitAnswers413() {
        assertError(http.post("/api/v1/predict", "image/png", new byte[300_000]), 413);
    }

    @Test
    void anAnnouncedBodyOverTheLimitIsRefusedBeforeTheClientSendsIt() throws Exception {
        // A raw socket: the JDK 17 HttpClient waits forever when a server answers Expect: 100-continue with a final status.
        try (java.net.Socket socket = new java.net.Socket("localhost", server.port())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("POST /api/v1/predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: image/png\r\n"
                    + "Content-Length: 50000000\r\nExpect: 100-continue\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            java.io.InputStream in = socket.getInputStream();
            StringBuilder head = new StringBuilder();
            while (!head.toString().endsWith("\r\n\r\n")) {
                int b = in.read();
                if (b < 0) break;
                head.append((char) b);
            }
            assertTrue(head.toString().startsWith("HTTP/1.1 413"), "without any body sent: " + head);
        }
    }

    @Test
    void aChunkedBodyLargerThanTheLimitAnswers413() throws Exception {
        java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(server.uri().resolve("/api/v1/predict"))
                .header("Content-Type", "image/png")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(new byte[300_000])))
                .build();
        java.net.http.HttpResponse<String> r = java.net.http.HttpClient.newHttpClient()
                .send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(413, r.statusCode(), r.body());
        assertTrue(r.body().contains("\"detail\""), r.body());
    }

    @Test
    void aGetOnThePredictionRouteAnswers405() {
        Http.Response r = http.get("/api/v1/predict");
        assertError(r, 405);
        assertTrue(r.json().get("detail").asText().contains("GET"), r.text());
    }

    @Test
    void aMultipartBodyWithoutAnImageFieldAnswers400() {
        assertError(http.postMultipart("/api/v1/predict",
                new Http.Multipart().file("picture", "d.png", "image/png", TestModels.mnistPng(0))), 400);
    }

    @Test
    void aMultipartBodyWithoutBoundaryAnswers400() {
        assertError(http.post("/api/v1/predict", "multipart/form-data", TestModels.mnistPng(0)), 400);
    }

    @Test
    void twoImagesOnTheSingleImageRouteAnswer413PointingToTheBatchRoute() {
        Http.Response r = http.postMultipart("/api/v1/predict", new Http.Multipart()
                .file("image", "a.png", "image/png", TestModels.mnistPng(0))
                .file("image", "b.png", "image/png", TestModels.mnistPng(1)));
        assertError(r, 413);
        assertTrue(r.json().get("detail").asText().contains("/api/v1/predict/batch"), r.text());
    }

    @Test
    void theServerKeepsAnsweringAfterBadRequests() {
        http.post("/api/v1/predict", "image/png", new byte[10]);
        http.post("/api/v1/predict", "application/json", "{".getBytes(StandardCharsets.UTF_8));
        assertEquals(200, http.post("/api/v1/predict", "image/png", TestModels.mnistPng(0)).status);
    }
}
