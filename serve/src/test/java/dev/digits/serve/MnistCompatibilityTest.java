package dev.digits.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The mnist-ml-to-mobile Flask route, GET and POST /mnist, as its clients use it. */
class MnistCompatibilityTest extends DefaultServerTest {
    @Test
    void getServesAnUploadFormPostingTheMnistImageField() {
        Http.Response r = http.get("/mnist");
        assertEquals(200, r.status);
        assertTrue(r.header("Content-Type").startsWith("text/html"), r.header("Content-Type"));
        assertTrue(r.text().contains("name=\"mnist_image\""), r.text());
        assertTrue(r.text().contains("multipart/form-data"), r.text());
    }

    @Test
    void postAnswersFilenamePredictedNumberAndTheModelOutputAsTheFlaskServerDid() {
        Http.Response r = http.postMultipart("/mnist",
                new Http.Multipart().file("mnist_image", "seven.png", "image/png", TestModels.mnistPng(0)));
        assertEquals(200, r.status, r.text());
        JsonNode a = r.json();
        assertEquals("seven.png", a.get("filename").asText());
        assertTrue(a.get("pred_number").isInt(), r.text());
        JsonNode label = a.get("pred_label");
        assertEquals(1, label.size());
        assertEquals(10, label.get(0).size());
        JsonNode api = http.post("/api/v1/predict", "image/png", TestModels.mnistPng(0)).json();
        assertEquals(api.get("digit").asInt(), a.get("pred_number").asInt());
        assertEquals(api.get("probabilities"), label.get(0));
    }

    @Test
    void theFilenameIsSanitisedAsWerkzeugDoes() {
        Http.Response r = http.postMultipart("/mnist",
                new Http.Multipart().file("mnist_image", "../../my digit (1).png", "image/png", TestModels.mnistPng(0)));
        assertEquals("my_digit_1.png", r.json().get("filename").asText(), r.text());
    }

    @Test
    void aBlankImageAnswersNoNumberAndSaysNoDigitWasFound() {
        JsonNode a = http.postMultipart("/mnist",
                new Http.Multipart().file("mnist_image", "blank.png", "image/png", TestModels.blankPng(28))).json();
        assertTrue(a.get("pred_number").isNull());
        assertEquals("no digit found", a.get("message").asText());
    }

    @Test
    void aPostWithoutTheMnistImageFieldAnswers400() {
        Http.Response r = http.postMultipart("/mnist",
                new Http.Multipart().file("image", "seven.png", "image/png", TestModels.mnistPng(0)));
        assertEquals(400, r.status, r.text());
        assertTrue(r.json().get("detail").asText().contains("mnist_image"));
    }

    @Test
    void aRawImagePostAnswers415() {
        assertEquals(415, http.post("/mnist", "image/png", TestModels.mnistPng(0)).status);
    }
}
