package dev.digits.serve.api;

import io.javalin.http.Context;
import org.eclipse.jetty.http.HttpException;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeoutException;

/** Reads request bodies within a size limit, whether or not the client announced a Content-Length. */
final class RequestBody {
    /**
     * How much of an oversized body is read and thrown away before answering 413. A server that answers and closes
     * while the client is still sending makes the client's TCP stack discard the answer (the close turns into a
     * reset), so a body a little over the limit is drained to let the client read why it was refused; anything
     * larger is cut off.
     */
    static final long DRAIN_BYTES = 1 << 20;
    /**
     * How much of a body left unread is read and thrown away before an error answer: a model zip of a few
     * megabytes refused for want of a token is read to its end, so its sender learns why; anything larger is cut off.
     */
    static final long ERROR_DRAIN_BYTES = 8 << 20;
    /** The first buffer of a body with a Content-Length; it doubles as the body arrives. */
    static final int FIRST_BUFFER = 64 << 10;

    private RequestBody() {
    }

    /**
     * The whole body, at most {@code limit} bytes.
     *
     * @throws ApiException 413 as soon as the body is known to be larger: from its Content-Length before anything is
     *                      read (a client sending {@code Expect: 100-continue} never sends it), else when it passes
     *                      the limit
     */
    static byte[] read(Context ctx, long limit) throws IOException {
        long announced = ctx.req().getContentLengthLong();
        if (announced > limit) {
            if (announced <= limit + DRAIN_BYTES && !"100-continue".equalsIgnoreCase(ctx.header("Expect"))) {
                drain(ctx.req().getInputStream(), DRAIN_BYTES + limit);
            }
            throw tooLarge(announced, limit);
        }
        InputStream in = ctx.req().getInputStream();
        try {
            if (announced >= 0) return readAnnounced(in, (int) announced);
            byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (body.length > limit) {
                drain(in, DRAIN_BYTES);
                throw tooLarge(-1, limit);
            }
            return body;
        } catch (IOException | RuntimeException e) {
            if (e instanceof EOFException) {
                // The client closed the connection before its body was complete: its mistake, nobody left to answer.
                throw ApiException.badRequest("the request body ended before its end: the client closed the connection");
            }
            if (isTimeout(e)) {
                throw ApiException.requestTimeout("the request body did not arrive in time: it stalled, or came slower"
                        + " than the server's minimum data rate; send it again on a better connection");
            }
            throw e;
        }
    }

    /**
     * A body of the announced {@code size}, in an array that grows with what arrives — so the memory a connection
     * holds follows the bytes it sent, not the ones it announced (a client announcing 16 MiB and sending a byte a
     * second holds {@value #FIRST_BUFFER} bytes), and the array ends up exactly as long as the body.
     */
    private static byte[] readAnnounced(InputStream in, int size) throws IOException {
        byte[] buf = new byte[Math.min(size, FIRST_BUFFER)];
        int n = 0;
        while (n < size) {
            if (n == buf.length) buf = Arrays.copyOf(buf, (int) Math.min(size, 2L * buf.length));
            int r = in.read(buf, n, buf.length - n);
            if (r < 0) {
                throw ApiException.badRequest("the request body ended after " + n + " of the " + size
                        + " bytes its Content-Length announced");
            }
            n += r;
        }
        return buf;
    }

    /** Whether reading failed because the body stalled (idle timeout) or came too slowly (minimum data rate). */
    private static boolean isTimeout(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof TimeoutException || c instanceof java.net.SocketTimeoutException) return true;
            if (c instanceof HttpException && ((HttpException) c).getCode() == 408) return true;
        }
        return false;
    }

    private static void drain(InputStream in, long max) {
        drain(in, max, false);
    }

    /**
     * Reads and throws away at most {@code max} bytes of {@code in}, or only those already arrived when
     * {@code arrivedOnly}; whether its end was reached.
     */
    private static boolean drain(InputStream in, long max, boolean arrivedOnly) {
        try {
            byte[] buf = new byte[8192];
            for (long left = max; left > 0; ) {
                int want = (int) Math.min(buf.length, left);
                if (arrivedOnly) {
                    int ready = in.available();
                    if (ready <= 0) return false;
                    want = Math.min(want, ready);
                }
                int n = in.read(buf, 0, want);
                if (n < 0) return true;
                left -= n;
            }
            return false;
        } catch (IOException e) {
            // The client stopped sending; the answer may still reach it.
            return false;
        }
    }

    /**
     * Reads and throws away what is left of the request body before an error answer, if it is at most
     * {@value #ERROR_DRAIN_BYTES} bytes, so that the answer reaches the client and the connection can carry its next
     * request. A request is often refused before its body is read (an unknown model, no admin token, a route that does
     * not exist); when the body is still arriving as the server answers, closing the connection with bytes unread
     * turns into a reset that makes the client's TCP stack drop the answer, and an answer that did not say
     * {@code Connection: close} makes the client send its next request on a connection that is gone. Some answers
     * are meant to come before the body: a body announced too large (413), a server too busy for it (503), one that
     * stalled (408), and any client that sent {@code Expect: 100-continue} and waits for the go-ahead that reading
     * would send; those answers close the connection instead, after taking in what has already arrived of a body too
     * large or too early for a busy server (so that only bytes still on their way can turn the close into a reset).
     *
     * @param status the answer's status
     * @return whether the body was read to its end; when not, the answer must close the connection
     */
    static boolean discardRest(Context ctx, int status) {
        long announced = ctx.req().getContentLengthLong();
        boolean chunked = ctx.header("Transfer-Encoding") != null;
        if (announced == 0 || (announced < 0 && !chunked)) return true;
        if (status == 408 || "100-continue".equalsIgnoreCase(ctx.header("Expect"))) return false;
        boolean early = status == 413 || status == 503 || announced > ERROR_DRAIN_BYTES;
        try {
            // One byte past the limit tells a body of exactly the limit from a longer one.
            return drain(ctx.req().getInputStream(), early ? ERROR_DRAIN_BYTES : ERROR_DRAIN_BYTES + 1, early) && !early;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** The media type of the body without parameters, lower case; empty when there is none. */
    static String mediaType(Context ctx) {
        String ct = ctx.contentType();
        if (ct == null) return "";
        int semi = ct.indexOf(';');
        return (semi < 0 ? ct : ct.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    private static ApiException tooLarge(long size, long limit) {
        return ApiException.tooLarge("the request body " + (size >= 0 ? "is " + size + " bytes" : "exceeds the limit")
                + "; the server accepts at most " + limit + " bytes");
    }
}
