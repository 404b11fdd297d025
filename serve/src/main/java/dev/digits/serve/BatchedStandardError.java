package dev.digits.serve;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.Charset;
import java.util.concurrent.TimeUnit;

/**
 * Standard error in batches while the server runs: the server's log (slf4j-simple prints every line to
 * {@code System.err}) reaches the terminal or file in at most one write per {@link #INTERVAL_MILLIS}, instead of a write
 * per line. Under load the access log writes a line per request, and writing each on its own cost about 3% of the
 * server's CPU for a small request. A line is still written at once when nothing was written for the interval
 * before it, so a server at rest logs as it always did; under load a line waits at most the interval.
 *
 * <p>{@link #close} writes what is pending and gives {@code System.err} back.
 */
final class BatchedStandardError implements AutoCloseable {
    static final long INTERVAL_MILLIS = 50;
    private static final long INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(INTERVAL_MILLIS);

    private final PrintStream original;
    private final Batches batches;
    private final Thread flusher;

    private BatchedStandardError(PrintStream original) {
        this.original = original;
        this.batches = new Batches(original);
        String encoding = System.getProperty("sun.stderr.encoding");
        Charset charset = encoding != null && Charset.isSupported(encoding) ? Charset.forName(encoding)
                : Charset.defaultCharset();
        System.setErr(new PrintStream(batches, false, charset));
        this.flusher = new Thread(this::flushPeriodically, "digits-log-flush");
        flusher.setDaemon(true);
        flusher.start();
    }

    /** Puts {@code System.err} behind batches until {@link #close}. */
    static BatchedStandardError install() {
        return new BatchedStandardError(System.err);
    }

    /** Writes the lines still waiting. */
    void flush() {
        // Through the print stream first: it may hold characters it has not yet encoded.
        System.err.flush();
        batches.flushIfPending();
    }

    private void flushPeriodically() {
        try {
            while (!batches.closed) {
                TimeUnit.MILLISECONDS.sleep(INTERVAL_MILLIS);
                batches.flushIfPending();
            }
        } catch (InterruptedException e) {
            // Closing.
        }
    }

    @Override
    public void close() {
        flush();
        batches.closed = true;
        flusher.interrupt();
        System.setErr(original);
        batches.flushIfPending();
    }

    /** The bytes of whole lines, held until the interval since the last write has passed. */
    private static final class Batches extends OutputStream {
        private final PrintStream target;
        private final byte[] buffer = new byte[1 << 16];
        private int count;
        private long lastWrite = System.nanoTime() - INTERVAL_NANOS;
        volatile boolean closed;

        Batches(PrintStream target) {
            this.target = target;
        }

        @Override
        public synchronized void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            if (count + len > buffer.length) {
                if (count > 0) writeOut();
                if (len > buffer.length) {
                    target.write(b, off, len);
                    lastWrite = System.nanoTime();
                    return;
                }
            }
            System.arraycopy(b, off, buffer, count, len);
            count += len;
            // Only at the end of a line: a line is never cut between two writes of its own.
            if (b[off + len - 1] == '\n' && due()) writeOut();
        }

        /**
         * slf4j-simple flushes after every line: that flush writes only when the interval has passed, as a line's
         * end does; {@link #flushIfPending} is the flush that always writes.
         */
        @Override
        public synchronized void flush() {
            if (count > 0 && due()) writeOut();
        }

        /** Whether waiting bytes go out now: the interval since the last write has passed, or batching is over. */
        private boolean due() {
            return closed || System.nanoTime() - lastWrite >= INTERVAL_NANOS;
        }

        synchronized void flushIfPending() {
            if (count > 0) writeOut();
        }

        private void writeOut() {
            target.write(buffer, 0, count);
            target.flush();
            count = 0;
            lastWrite = System.nanoTime();
        }
    }

    /** For tests: whether bytes wait to be written. */
    boolean pending() {
        synchronized (batches) {
            return batches.count > 0;
        }
    }
}
