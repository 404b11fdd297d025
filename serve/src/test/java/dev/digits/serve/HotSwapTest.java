package dev.digits.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Swapping the latest version while requests keep coming: uploading and activating a version, then rolling back,
 * under continuous load from several threads, fails no request, and every request started after a switch returned
 * is answered by the version switched to.
 */
class HotSwapTest {
    private static final String TOKEN = "hot-swap-token-0123456789";
    private static final int THREADS = 6;

    /** One answered request: when it was sent and which version answered. */
    private static final class Answer {
        final long sentNanos;
        final int version;

        Answer(long sentNanos, int version) {
            this.sentNanos = sentNanos;
            this.version = version;
        }
    }

    @Test
    void uploadingAndRollingBackUnderLoadFailsNoRequest(@TempDir Path root) throws Exception {
        TestModels.ensureEmbeddedModel();
        byte[] zip = TestModels.zip(TestModels.secondModel());
        List<byte[]> pngs = List.of(TestModels.mnistPng(0), TestModels.mnistPng(1), TestModels.mnistPng(2));
        try (DigitsServer server = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).models(root)
                .adminToken(TOKEN).maxLoadedVersions(1).build())) {
            Http http = new Http(server);
            AtomicBoolean running = new AtomicBoolean(true);
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
            AtomicLong requests = new AtomicLong();
            CountDownLatch warm = new CountDownLatch(THREADS);
            Thread[] load = new Thread[THREADS];
            for (int t = 0; t < THREADS; t++) {
                int id = t;
                load[t] = new Thread(() -> {
                    Http client = new Http(server);
                    int i = 0;
                    boolean counted = false;
                    while (running.get()) {
                        long sent = System.nanoTime();
                        try {
                            Http.Response r = client.post("/api/v1/predict", "image/png", pngs.get((id + i++) % pngs.size()));
                            if (r.status != 200) {
                                failures.add(r.status + " " + r.text());
                            } else {
                                JsonNode model = r.json().get("model");
                                answers.add(new Answer(sent, model.get("version").asInt()));
                            }
                        } catch (RuntimeException e) {
                            failures.add(e.toString());
                        }
                        requests.incrementAndGet();
                        if (!counted) {
                            counted = true;
                            warm.countDown();
                        }
                    }
                }, "load-" + t);
                load[t].start();
            }
            warm.await();
            Thread.sleep(300);

            Http.Response up = http.post("/api/v1/admin/models/cnn/versions", "application/zip", zip,
                    "Authorization", "Bearer " + TOKEN);
            long upgraded = System.nanoTime();
            assertEquals(201, up.status, up.text());
            Thread.sleep(500);

            long rollbackSent = System.nanoTime();
            Http.Response back = http.post("/api/v1/admin/models/cnn/rollback", null, new byte[0],
                    "Authorization", "Bearer " + TOKEN);
            long rolledBack = System.nanoTime();
            assertEquals(200, back.status, back.text());
            Thread.sleep(500);

            running.set(false);
            for (Thread t : load) t.join();

            assertTrue(failures.isEmpty(), failures.size() + " of " + requests.get() + " requests failed: " + failures.peek());
            int before = 0;
            int after = 0;
            int afterRollback = 0;
            for (Answer a : answers) {
                if (a.sentNanos < upgraded && a.version == 1) before++;
                // Requests sent between the two switches; the rollback's own request is in flight at the end of the
                // window, so only those sent before it started are certain to see version 2.
                if (a.sentNanos > upgraded && a.sentNanos < rollbackSent) {
                    assertEquals(2, a.version, "a request sent after the upload returned");
                    after++;
                }
                if (a.sentNanos > rolledBack) {
                    assertEquals(1, a.version, "a request sent after the rollback returned");
                    afterRollback++;
                }
            }
            assertTrue(before > 0 && after > 0 && afterRollback > 0,
                    "load ran through every phase: " + before + " / " + after + " / " + afterRollback);
        }
    }
}
