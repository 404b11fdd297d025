package dev.digits.serve.api;

import io.javalin.http.Context;

import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;

/** Reads request bodies within a size limit, whether or not the client announced a Content-Length. */
final class RequestBody {
    /**
     * How much of an oversized body is read and thrown away before answering 413. A server that answers and closes
     * while the client is still sending makes the client's TCP stack discard the answer (the close turns into a
     * reset), so a body a little over the limit is drained to let the client read why it was refused; anything
     * larger is cut off.
     */
    static final long DRAIN_BYTES = 1 << 20;

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
        if (announced >= 0) {
            // The usual case: one array of the announced size, rather than readNBytes' 8 kB steps and final copy.
            byte[] body = new byte[(int) announced];
            int n = in.readNBytes(body, 0, body.length);
            if (n < body.length) throw ApiException.badRequest("the request body ended after " + n + " of the "
                    + announced + " bytes its Content-Length announced");
            return body;
        }
        byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
        if (body.length > limit) {
            drain(in, DRAIN_BYTES);
            throw tooLarge(-1, limit);
        }
        return body;
    }

    private static void drain(InputStream in, long max) {
        try {
            byte[] buf = new byte[8192];
            for (long left = max; left > 0; ) {
                int n = in.read(buf, 0, (int) Math.min(buf.length, left));
                if (n < 0) return;
                left -= n;
            }
        } catch (IOException e) {
            // The client stopped sending; the answer may still reach it.
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
