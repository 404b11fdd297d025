package dev.digits.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

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
    /** Answers each phase must collect, from requests sent after the phase began, before the test moves on. */
    private static final int PER_PHASE = 30;
    private static final long PHASE_TIMEOUT_SECONDS = 60;

    /** One answered request: when it was sent and which version answered. */
    private static final class Answer {
        final long sentNanos;
        final int version;

        Answer(long sentNanos, int version) {
            this.sentNanos = sentNanos;
            this.version = version;
        }
    }

    /** A phase of the load: counts down once for each answer to a request sent after {@code sinceNanos}. */
    private static final class Phase {
        final String name;
        final long sinceNanos;
        final CountDownLatch answered = new CountDownLatch(PER_PHASE);

        Phase(String name, long sinceNanos) {
            this.name = name;
            this.sinceNanos = sinceNanos;
        }

        void answered(long sentNanos) {
            if (sentNanos > sinceNanos) answered.countDown();
        }

        /** Waits for {@link #PER_PHASE} answers in this phase, failing with what happened instead. */
        void await(ConcurrentLinkedQueue<String> failures, AtomicLong requests) throws InterruptedException {
            boolean done = answered.await(PHASE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertTrue(done, name + ": only " + (PER_PHASE - answered.getCount()) + " of " + PER_PHASE
                    + " answers to requests sent in this phase within " + PHASE_TIMEOUT_SECONDS + " s ("
                    + requests.get() + " requests in all, " + failures.size() + " failed: " + failures.peek() + ")");
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
            AtomicReference<Phase> phase = new AtomicReference<>(new Phase("before the upload", System.nanoTime()));
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
                                phase.get().answered(sent);
                            }
                        } catch (RuntimeException | AssertionError e) {
                            failures.add(e.toString());
                        }
                        requests.incrementAndGet();
                        if (!counted) {
                            counted = true;
                            warm.countDown();
                        }
                    }
                }, "load-" + t);
                load[t].setDaemon(true);
                load[t].start();
            }
            long upgraded;
            long rollbackSent;
            long rolledBack;
            try {
                assertTrue(warm.await(PHASE_TIMEOUT_SECONDS, TimeUnit.SECONDS), "every load thread sent a request");
                phase.get().await(failures, requests);

                Http.Response up = http.post("/api/v1/admin/models/cnn/versions", "application/zip", zip,
                        "Authorization", "Bearer " + TOKEN);
                upgraded = System.nanoTime();
                assertEquals(201, up.status, up.text());
                phase.set(new Phase("after the upload", upgraded));
                phase.get().await(failures, requests);

                rollbackSent = System.nanoTime();
                Http.Response back = http.post("/api/v1/admin/models/cnn/rollback", null, new byte[0],
                        "Authorization", "Bearer " + TOKEN);
                rolledBack = System.nanoTime();
                assertEquals(200, back.status, back.text());
                phase.set(new Phase("after the rollback", rolledBack));
                phase.get().await(failures, requests);
            } finally {
                running.set(false);
                for (Thread t : load) t.join();
            }

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
            assertTrue(before >= PER_PHASE && after >= PER_PHASE && afterRollback >= PER_PHASE,
                    "load ran through every phase: " + before + " / " + after + " / " + afterRollback);
        }
    }
}
