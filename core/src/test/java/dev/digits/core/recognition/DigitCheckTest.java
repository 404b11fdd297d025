package dev.digits.core.recognition;

import dev.digits.core.artifact.ModelCard;
import dev.digits.core.error.InvalidInputException;
import dev.digits.core.json.Json;
import dev.digits.core.model.Architectures;
import dev.digits.core.model.ModelSpec;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DigitCheckTest {
    /** The vectors the web app's tests read too; their scores were computed by another implementation. */
    @Test
    void agreesWithTheSharedVectors() throws IOException {
        Map<String, Object> doc;
        try (InputStream in = DigitCheckTest.class.getResourceAsStream("/digit-check-vectors.json")) {
            doc = Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
        double tolerance = ((Number) doc.get("tolerance")).doubleValue();
        List<?> cases = (List<?>) doc.get("cases");
        assertTrue(cases.size() >= 10);
        for (Object o : cases) {
            Map<?, ?> c = (Map<?, ?>) o;
            List<?> p = (List<?>) c.get("probabilities");
            float[] probabilities = new float[p.size()];
            for (int i = 0; i < probabilities.length; i++) probabilities[i] = ((Number) p.get(i)).floatValue();
            DigitCheck check = new DigitCheck(((Number) c.get("temperature")).doubleValue(),
                    ((Number) c.get("threshold")).doubleValue());
            String name = String.valueOf(c.get("name"));
            assertEquals(((Number) c.get("score")).doubleValue(), check.score(probabilities), tolerance, name);
            assertEquals(c.get("isDigit"), check.isDigit(probabilities), name);
        }
    }

    @Test
    void temperatureOneIsTheLargestProbability() {
        float[] p = {0.05f, 0.7f, 0.25f};
        assertEquals(0.7, new DigitCheck(1, 0.5).score(p), 1e-6);
        assertTrue(new DigitCheck(4, 0.5).score(p) < 0.7, "a higher temperature softens");
        assertTrue(new DigitCheck(0.5, 0.5).score(p) > 0.7, "a lower one sharpens");
    }

    @Test
    void noneNeverRejects() {
        assertFalse(DigitCheck.NONE.rejects());
        assertTrue(DigitCheck.NONE.isDigit(new float[]{0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f, 0.1f}));
    }

    @Test
    void refusesMeaninglessSettings() {
        assertThrows(IllegalArgumentException.class, () -> new DigitCheck(0, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new DigitCheck(Double.NaN, 0.5));
        assertThrows(IllegalArgumentException.class, () -> new DigitCheck(1, 1.0));
        assertThrows(IllegalArgumentException.class, () -> new DigitCheck(1, -0.1));
    }

    @Test
    void theCardCarriesTheCheckAndOldCardsHaveNone() {
        ModelSpec spec = Architectures.get("mlp");
        ModelCard plain = ModelCard.builder(spec).build();
        assertEquals(DigitCheck.NONE, plain.digitCheck());
        assertFalse(plain.toJson().containsKey("digitCheck"));
        ModelCard card = plain.toBuilder().digitCheck(new DigitCheck(1.7, 0.83)).build();
        ModelCard read = ModelCard.parse(Json.write(card.toJson()), spec);
        assertEquals(new DigitCheck(1.7, 0.83), read.digitCheck());
        assertEquals(Map.of("method", DigitCheck.METHOD, "temperature", 1.7, "threshold", 0.83),
                Map.copyOf(read.digitCheck().toJson()));
    }

    @Test
    void aCardWithAnUnusableCheckIsRefusedNamingTheField() {
        ModelSpec spec = Architectures.get("mlp");
        String base = Json.write(ModelCard.builder(spec).build().toJson());
        String other = base.substring(0, base.length() - 1)
                + ",\"digitCheck\":{\"method\":\"energy\",\"temperature\":1,\"threshold\":3}}";
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ModelCard.parse(other, spec));
        assertTrue(e.getMessage().contains("digitCheck.method 'energy'"), e.getMessage());
        String wrong = base.substring(0, base.length() - 1)
                + ",\"digitCheck\":{\"temperature\":1,\"threshold\":1.5}}";
        e = assertThrows(InvalidInputException.class, () -> ModelCard.parse(wrong, spec));
        assertTrue(e.getMessage().startsWith("digitCheck: threshold"), e.getMessage());
    }
}
