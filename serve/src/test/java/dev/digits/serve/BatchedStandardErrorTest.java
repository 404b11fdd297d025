package dev.digits.serve;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchedStandardErrorTest {
    /** What reached the stream under the batches, and in how many writes. */
    private static final class Target extends OutputStream {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int writes;

        @Override
        public synchronized void write(int b) {
            writes++;
            bytes.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            writes++;
            bytes.write(b, off, len);
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }

        synchronized int writes() {
            return writes;
        }
    }

    @Test
    void aLoneLineIsWrittenAtOnceAndABurstInFewWritesOfWholeLines() throws Exception {
        PrintStream before = System.err;
        Target target = new Target();
        PrintStream targetStream = new PrintStream(target, true, StandardCharsets.UTF_8);
        System.setErr(targetStream);
        try (BatchedStandardError log = BatchedStandardError.install()) {
            System.err.println("first line");
            assertEquals("first line" + System.lineSeparator(), target.text(), "nothing was written before it");
            int lines = 2_000;
            long start = System.nanoTime();
            for (int i = 0; i < lines; i++) {
                // As slf4j-simple writes each line: println, then flush.
                System.err.println("line " + i + " of a burst, as an access log writes it");
                System.err.flush();
            }
            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            int writes = target.writes() - 1;
            // One write per interval that passed, plus one per full buffer (the burst is ~90 kB).
            long bound = 1 + elapsedMillis / BatchedStandardError.INTERVAL_MILLIS + 2;
            assertTrue(writes <= bound, writes + " writes for " + lines + " lines in " + elapsedMillis + " ms");
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (log.pending() && System.nanoTime() < deadline) Thread.sleep(10);
            assertFalse(log.pending(), "the flusher writes what waits");
            List<String> written = target.text().lines().toList();
            assertEquals(lines + 1, written.size());
            for (int i = 0; i < lines; i++) {
                assertEquals("line " + i + " of a burst, as an access log writes it", written.get(i + 1));
            }
        } finally {
            assertSame(targetStream, System.err, "close gives System.err back");
            System.setErr(before);
        }
    }

    @Test
    void closeWritesWhatIsPending() {
        PrintStream before = System.err;
        Target target = new Target();
        System.setErr(new PrintStream(target, true, StandardCharsets.UTF_8));
        try {
            BatchedStandardError log = BatchedStandardError.install();
            System.err.println("a");
            System.err.print("b without its end of line");
            log.close();
            assertEquals("a" + System.lineSeparator() + "b without its end of line", target.text());
        } finally {
            System.setErr(before);
        }
    }
}
