package dev.digits.serve;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The labels of {@code digits_http_requests_seconds} come from closed sets, so that no client can grow /metrics:
 * methods outside the standard ones are {@code other}, paths no route matches are {@code unmatched}.
 */
class MetricLabelsTest extends DefaultServerTest {
    private static final String SERIES = "digits_http_requests_seconds_count{";
    private static final String[] PATHS = {"/health", "/api/v1/predict", "/api/v1/models/cnn", "/mnist", "/"};

    @Test
    void randomMethodsAndPathsDoNotAddLabelSets() {
        Random random = new Random(42);
        // Warm-up: the first request of each kind may add its (bounded) series.
        for (int i = 0; i < 3; i++) sendRandom(random, new ArrayList<>());
        http.get("/metrics");
        String before = http.get("/metrics").text();
        Set<String> seriesBefore = series(before);

        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 100; i++) sendRandom(random, sent);

        Http.Response r = http.get("/metrics");
        assertEquals(200, r.status);
        String after = r.text();
        Set<String> added = series(after);
        added.removeAll(seriesBefore);
        assertTrue(added.isEmpty(), "random methods and paths added " + added.size() + " label sets, e.g. "
                + added.stream().limit(3).toList());
        assertTrue(after.length() - before.length() < 2_000,
                "/metrics grew from " + before.length() + " to " + after.length() + " characters");
        for (String s : sent) assertFalse(after.contains(s), s + " became a label");
        assertTrue(after.contains("method=\"other\""), "unknown methods are counted as other");
        assertTrue(after.contains("route=\"unmatched\""), "unknown paths are counted as unmatched");
    }

    @Test
    void aLowerCaseMethodIsNotAKnownOne() {
        http.request("get", "/health");
        String text = http.get("/metrics").text();
        assertFalse(text.contains("method=\"get\""), "methods are case-sensitive: 'get' is not GET");
    }

    /** Three requests: a random method on a route, a random method on a random path, GET of a random path. */
    private static void sendRandom(Random random, List<String> sent) {
        String method = "Z" + token(random);
        String path = "/nothing-" + token(random).toLowerCase(java.util.Locale.ROOT);
        sent.add(method);
        sent.add(path);
        int status = http.request(method, PATHS[random.nextInt(PATHS.length)]).status;
        assertTrue(status == 404 || status == 405, method + " answered " + status);
        assertEquals(404, http.request(method, path).status);
        assertEquals(404, http.get(path).status);
    }

    private static String token(Random random) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 10; i++) b.append((char) ('A' + random.nextInt(26)));
        return b.toString();
    }

    /** The label sets of the request counter. */
    private static Set<String> series(String text) {
        Set<String> out = new TreeSet<>();
        for (String line : text.split("\n")) {
            if (line.startsWith(SERIES)) out.add(line.substring(0, line.lastIndexOf('}') + 1));
        }
        return out;
    }
}
