package dev.digits.serve.api;

import io.javalin.http.Context;

import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;

/** Reads request bodies within a size limit, whether or not the client announced a Content-Length. */
final class RequestBody {
    private RequestBody() {
    }

    /**
     * The whole body, at most {@code limit} bytes.
     *
     * @throws ApiException 413 as soon as the body is known to be larger (from Content-Length, before reading)
     */
    static byte[] read(Context ctx, long limit) throws IOException {
        long announced = ctx.req().getContentLengthLong();
        if (announced > limit) throw tooLarge(announced, limit);
        InputStream in = ctx.req().getInputStream();
        byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
        if (body.length > limit) throw tooLarge(-1, limit);
        return body;
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
