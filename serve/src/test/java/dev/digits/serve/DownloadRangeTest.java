package dev.digits.serve;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Resumable downloads over real HTTP: a Range answers 206 with exactly those bytes of the file, an If-Range naming
 * the file's ETag resumes and one naming another gets the whole file, and a range past the end answers 416 with the
 * file's size — what a phone on a bad network needs to finish a model download instead of starting over.
 */
class DownloadRangeTest {
    private static final String FILE = "/api/v1/models/cnn/versions/1/files/export/cnn.onnx";

    private static DigitsServer server;
    private static Http http;
    private static byte[] whole;
    private static String etag;

    @BeforeAll
    static void start() throws Exception {
        TestModels.ensureEmbeddedModel();
        server = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).build());
        http = new Http(server);
        Http.Response r = http.get(FILE);
        assertEquals(200, r.status);
        assertEquals("bytes", r.header("Accept-Ranges"));
        whole = r.body;
        etag = r.header("ETag");
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
    }

    @Test
    void aRangeAnswersThoseBytes() {
        Http.Response r = http.get(FILE, "Range", "bytes=100-1099");
        assertEquals(206, r.status);
        assertEquals("bytes 100-1099/" + whole.length, r.header("Content-Range"));
        assertArrayEquals(Arrays.copyOfRange(whole, 100, 1100), r.body);
    }

    @Test
    void anOpenRangeAndASuffixRangeAnswerTheRestAndTheEnd() {
        Http.Response rest = http.get(FILE, "Range", "bytes=" + (whole.length - 10) + "-");
        assertEquals(206, rest.status);
        assertArrayEquals(Arrays.copyOfRange(whole, whole.length - 10, whole.length), rest.body);
        Http.Response tail = http.get(FILE, "Range", "bytes=-25");
        assertEquals(206, tail.status);
        assertArrayEquals(Arrays.copyOfRange(whole, whole.length - 25, whole.length), tail.body);
    }

    @Test
    void ifRangeResumesTheSameFileAndSendsAnotherOneWhole() {
        Http.Response same = http.get(FILE, "Range", "bytes=0-9", "If-Range", etag);
        assertEquals(206, same.status);
        assertEquals(10, same.body.length);
        Http.Response other = http.get(FILE, "Range", "bytes=0-9", "If-Range", "\"" + "0".repeat(64) + "\"");
        assertEquals(200, other.status);
        assertArrayEquals(whole, other.body);
    }

    @Test
    void aRangePastTheEndIs416WithTheSize() {
        Http.Response r = http.get(FILE, "Range", "bytes=" + whole.length + "-");
        assertEquals(416, r.status);
        assertEquals("bytes */" + whole.length, r.header("Content-Range"));
        assertTrue(r.text().contains("\"error\""), r.text());
    }

    @Test
    void aRangeThatCannotBeReadIsIgnored() {
        Http.Response r = http.get(FILE, "Range", "bytes=0-9,20-29");
        assertEquals(200, r.status);
        assertArrayEquals(whole, r.body);
    }
}
