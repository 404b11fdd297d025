package dev.digits.serve.inference;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Runs one model on a few worker threads, packing the images of concurrent requests into batches. A network answers
 * a batch of 32 images in far less than 32 times the time of one, so under load the server gains throughput, while
 * a lone request is run at once: nothing waits for a batch to fill. A batch is simply whatever queued up while the
 * workers were busy, at most {@code maxBatch} images.
 *
 * <p>With several workers the model is called from several threads at once: backends must be thread-safe (ONNX
 * Runtime sessions are).
 */
final class MicroBatcher implements AutoCloseable {
    private static final int INPUT = 28 * 28;

    private final InferenceModel model;
    private final String name;
    private final int maxBatch;
    private final BatchObserver observer;
    private final BlockingQueue<Job> queue = new LinkedBlockingQueue<>();
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean closed;

    private static final class Job {
        final float[] pixels;
        final int n;
        final CompletableFuture<float[][]> result = new CompletableFuture<>();

        Job(float[] pixels, int n) {
            this.pixels = pixels;
            this.n = n;
        }
    }

    MicroBatcher(InferenceModel model, String name, int maxBatch, int threads, BatchObserver observer) {
        this.model = model;
        this.name = name;
        this.maxBatch = maxBatch;
        this.observer = observer;
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(this::run, "inference-" + name + "-" + i);
            t.setDaemon(true);
            workers.add(t);
        }
        workers.forEach(Thread::start);
    }

    /**
     * Classifies {@code n} images packed one after another, waiting for the answer.
     *
     * @throws IllegalStateException when the batcher is closed
     */
    float[][] classify(float[] pixels, int n) {
        if (pixels.length != n * INPUT) {
            throw new IllegalArgumentException("expected " + n + " × " + INPUT + " values, got " + pixels.length);
        }
        if (closed) throw new IllegalStateException("model " + name + " has been unloaded");
        Job job = new Job(pixels, n);
        queue.add(job);
        try {
            return job.result.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for model " + name, e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof RuntimeException) throw (RuntimeException) c;
            if (c instanceof Error) throw (Error) c;
            throw new IllegalStateException(c);
        }
    }

    /** Requests waiting for the model. */
    int queued() {
        return queue.size();
    }

    private void run() {
        List<Job> jobs = new ArrayList<>();
        // A job taken from the queue that did not fit the batch; it opens this worker's next batch, so that no
        // other worker can overtake it and no batch exceeds maxBatch.
        Job carried = null;
        while (!closed || carried != null || !queue.isEmpty()) {
            Job first = carried;
            carried = null;
            if (first == null) {
                try {
                    first = queue.poll(100, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    continue;
                }
                if (first == null) continue;
            }
            jobs.clear();
            jobs.add(first);
            int n = first.n;
            while (n < maxBatch) {
                Job next = queue.poll();
                if (next == null) break;
                if (n + next.n > maxBatch) {
                    carried = next;
                    break;
                }
                jobs.add(next);
                n += next.n;
            }
            runBatch(jobs, n);
        }
    }

    private void runBatch(List<Job> jobs, int n) {
        float[] packed;
        if (jobs.size() == 1) {
            packed = jobs.get(0).pixels;
        } else {
            packed = new float[n * INPUT];
            int at = 0;
            for (Job j : jobs) {
                System.arraycopy(j.pixels, 0, packed, at, j.pixels.length);
                at += j.pixels.length;
            }
        }
        try {
            long t0 = System.nanoTime();
            float[][] out = model.predict(packed, n);
            observer.batch(name, n, System.nanoTime() - t0);
            int at = 0;
            for (Job j : jobs) {
                float[][] mine = new float[j.n][];
                System.arraycopy(out, at, mine, 0, j.n);
                at += j.n;
                j.result.complete(mine);
            }
        } catch (Throwable t) {
            for (Job j : jobs) j.result.completeExceptionally(t);
        }
    }

    /** Finishes the queued work, stops the threads and closes the model. */
    @Override
    public void close() {
        closed = true;
        try {
            for (Thread t : workers) t.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Job j; (j = queue.poll()) != null; ) {
            j.result.completeExceptionally(new IllegalStateException("model " + name + " has been unloaded"));
        }
        model.close();
    }
}
