package dev.digits.serve.inference;

import dev.digits.serve.TestModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Concurrent requests share model runs, and each still gets its own answers. */
class MicroBatcherTest {
    /** The embedded model's float32 ONNX file, as the server runs it. */
    private static OnnxSessionModel model;

    @BeforeAll
    static void load() throws Exception {
        model = OnnxSessionModel.open(Files.readAllBytes(TestModels.embeddedModel().resolve(TestModels.ONNX)),
                TestModels.ONNX);
    }

    private static float[] single(float[] pixels) {
        return model.predict(pixels, 1)[0];
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** The real model, whose first run waits until the test opens the gate, so that other requests queue up. */
    private static final class GatedModel implements InferenceModel {
        final CountDownLatch gate = new CountDownLatch(1);
        final CountDownLatch firstRunStarted = new CountDownLatch(1);
        boolean first = true;

        @Override
        public float[][] predict(float[] pixels, int n) {
            if (first) {
                first = false;
                firstRunStarted.countDown();
                try {
                    gate.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return model.predict(pixels, n);
        }

        @Override
        public void close() {
        }
    }

    @Test
    void requestsQueuedWhileTheModelRunsAreAnsweredInOneBatchEachWithItsOwnRows() throws Exception {
        GatedModel gated = new GatedModel();
        List<Integer> batches = Collections.synchronizedList(new ArrayList<>());
        MicroBatcher batcher = new MicroBatcher(gated, "cnn", 64, 1, (name, images, nanos) -> batches.add(images));
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            Future<float[][]> firstAnswer = pool.submit(() -> batcher.classify(TestModels.mnistPixels(0), 1));
            gated.firstRunStarted.await();
            List<Future<float[][]>> queued = new ArrayList<>();
            for (int i = 1; i <= 5; i++) {
                float[] pixels = TestModels.mnistPixels(i);
                queued.add(pool.submit(() -> batcher.classify(pixels, 1)));
            }
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (batcher.queued() < 5) {
                assertTrue(System.nanoTime() < deadline, "only " + batcher.queued() + " of 5 requests queued within 30 s");
                Thread.sleep(5);
            }
            gated.gate.countDown();
            assertArrayEquals(single(TestModels.mnistPixels(0)), firstAnswer.get()[0], 1e-5f);
            for (int i = 1; i <= 5; i++) {
                assertArrayEquals(single(TestModels.mnistPixels(i)), queued.get(i - 1).get()[0], 1e-5f, "image " + i);
            }
            assertEquals(List.of(1, 5), batches);
        } finally {
            pool.shutdownNow();
            batcher.close();
        }
    }

    @Test
    void aRequestWithMoreImagesThanTheBatchSizeRunsAlone() {
        List<Integer> batches = Collections.synchronizedList(new ArrayList<>());
        MicroBatcher batcher = new MicroBatcher(new SharedModelView(), "cnn", 2, 1, (name, images, nanos) -> batches.add(images));
        try {
            float[] three = new float[3 * 784];
            for (int i = 0; i < 3; i++) System.arraycopy(TestModels.mnistPixels(i), 0, three, i * 784, 784);
            float[][] out = batcher.classify(three, 3);
            assertEquals(3, out.length);
            assertEquals(List.of(3), batches);
        } finally {
            batcher.close();
        }
    }

    @Test
    void aClosedBatcherRefusesWork() {
        MicroBatcher batcher = new MicroBatcher(new SharedModelView(), "cnn", 8, 1, BatchObserver.NONE);
        batcher.close();
        assertThrows(IllegalStateException.class, () -> batcher.classify(TestModels.mnistPixels(0), 1));
    }

    /** The shared model without closing it when a batcher closes. */
    private static final class SharedModelView implements InferenceModel {
        @Override
        public float[][] predict(float[] pixels, int n) {
            return model.predict(pixels, n);
        }

        @Override
        public void close() {
        }
    }
}
