package dev.digits.serve.api;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A {@code multipart/form-data} body (RFC 7578) split into its parts, all in memory. The body has already been read
 * within the server's size limit, so parsing it cannot allocate more than that; a malformed body is a 400.
 */
final class MultipartForm {
    /** One part: its form field name, file name (null for plain fields), media type (may be null) and bytes. */
    static final class Part {
        final String name;
        final String filename;
        final String contentType;
        final byte[] data;

        Part(String name, String filename, String contentType, byte[] data) {
            this.name = name;
            this.filename = filename;
            this.contentType = contentType;
            this.data = data;
        }

        String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    private final List<Part> parts;

    private MultipartForm(List<Part> parts) {
        this.parts = parts;
    }

    List<Part> parts() {
        return parts;
    }

    /** The parts named {@code name}, in order. */
    List<Part> all(String name) {
        List<Part> out = new ArrayList<>();
        for (Part p : parts) if (p.name.equals(name)) out.add(p);
        return out;
    }

    /** The first part named {@code name}, or null. */
    Part first(String name) {
        for (Part p : parts) if (p.name.equals(name)) return p;
        return null;
    }

    /** The text of the first part named {@code name}, or null. */
    String field(String name) {
        Part p = first(name);
        return p == null ? null : p.text().trim();
    }

    /**
     * Parses {@code body}.
     *
     * @param contentType the request's Content-Type, which carries the boundary
     * @throws ApiException 400 when the boundary is missing or the body does not follow it
     */
    static MultipartForm parse(byte[] body, String contentType) {
        String boundary = parameter(contentType, "boundary");
        if (boundary == null || boundary.isEmpty() || boundary.length() > 200) {
            throw ApiException.badRequest("the multipart/form-data Content-Type has no boundary parameter");
        }
        byte[] delimiter = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        int at = indexOf(body, delimiter, 0);
        if (at < 0) throw malformed("the boundary never occurs in the body");
        List<Part> parts = new ArrayList<>();
        for (;;) {
            at += delimiter.length;
            if (at + 1 < body.length && body[at] == '-' && body[at + 1] == '-') break; // closing delimiter
            at = skipLineEnd(body, at);
            int headersEnd = indexOf(body, new byte[]{'\r', '\n', '\r', '\n'}, at);
            if (headersEnd < 0) throw malformed("a part's headers never end");
            String name = null;
            String filename = null;
            String type = null;
            for (String line : new String(body, at, headersEnd - at, StandardCharsets.UTF_8).split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon < 0) continue;
                String header = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String value = line.substring(colon + 1).trim();
                if (header.equals("content-disposition")) {
                    name = parameter(value, "name");
                    filename = parameter(value, "filename");
                } else if (header.equals("content-type")) {
                    type = value;
                }
            }
            if (name == null) throw malformed("a part has no Content-Disposition name");
            int dataStart = headersEnd + 4;
            int next = indexOf(body, delimiter, dataStart);
            if (next < 0) throw malformed("the body ends inside part '" + name + "' without a closing boundary");
            int dataEnd = next;
            if (dataEnd - 2 >= dataStart && body[dataEnd - 2] == '\r' && body[dataEnd - 1] == '\n') dataEnd -= 2;
            byte[] data = new byte[dataEnd - dataStart];
            System.arraycopy(body, dataStart, data, 0, data.length);
            parts.add(new Part(name, filename, type, data));
            at = next;
        }
        return new MultipartForm(parts);
    }

    private static ApiException malformed(String why) {
        return ApiException.badRequest("the multipart/form-data body is malformed: " + why);
    }

    private static int skipLineEnd(byte[] b, int at) {
        if (at + 1 < b.length && b[at] == '\r' && b[at + 1] == '\n') return at + 2;
        if (at < b.length && b[at] == '\n') return at + 1;
        throw malformed("a boundary is not followed by a line break");
    }

    /** A parameter of a header value such as {@code form-data; name="image"; filename="7.png"}, unquoted. */
    static String parameter(String headerValue, String name) {
        if (headerValue == null) return null;
        int i = 0;
        int n = headerValue.length();
        while (i < n) {
            int semi = headerValue.indexOf(';', i);
            if (semi < 0) return null;
            i = semi + 1;
            while (i < n && headerValue.charAt(i) == ' ') i++;
            int eq = headerValue.indexOf('=', i);
            if (eq < 0) return null;
            String key = headerValue.substring(i, eq).trim();
            i = eq + 1;
            String value;
            if (i < n && headerValue.charAt(i) == '"') {
                StringBuilder sb = new StringBuilder();
                i++;
                while (i < n && headerValue.charAt(i) != '"') {
                    char c = headerValue.charAt(i);
                    if (c == '\\' && i + 1 < n) c = headerValue.charAt(++i);
                    sb.append(c);
                    i++;
                }
                i++;
                value = sb.toString();
            } else {
                int end = headerValue.indexOf(';', i);
                value = headerValue.substring(i, end < 0 ? n : end).trim();
                i = end < 0 ? n : end;
            }
            if (key.equalsIgnoreCase(name)) return value;
        }
        return null;
    }

    private static int indexOf(byte[] hay, byte[] needle, int from) {
        byte first = needle[0];
        int last = hay.length - needle.length;
        outer:
        for (int i = Math.max(0, from); i <= last; i++) {
            if (hay[i] != first) continue;
            for (int j = 1; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        return -1;
    }
}
