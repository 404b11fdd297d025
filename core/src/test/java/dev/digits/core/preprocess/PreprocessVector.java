package dev.digits.core.preprocess;

import dev.digits.core.io.AtomicFiles;

import dev.digits.core.json.Json;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * One shared test vector: an input image and the output the preprocessing must give for it, in Java and in
 * JavaScript alike. The file format is described in {@code preprocess-vectors/README.md}.
 */
final class PreprocessVector {
    /** The only encoding of {@code argb} there is so far; readers reject others rather than guess. */
    static final String ENCODING = "zlib-base64-argb";

    final String name;
    final String description;
    final int width;
    final int height;
    final int[] argb;
    final boolean found;
    final boolean inverted;
    final int[] crop;
    final double[] expected;
    /** The same picture as {@link ResizePreprocessor} makes it for a 28×28 "resize" model: grey levels 0–255. */
    final int[] resized;
    /** The {@code digit-deskewed} preprocessing's output: {@link #expected} after {@link Deskew}. */
    final double[] deskewed;

    PreprocessVector(String name, String description, int width, int height, int[] argb, boolean found,
                     boolean inverted, int[] crop, double[] expected, int[] resized, double[] deskewed) {
        this.name = name;
        this.description = description;
        this.width = width;
        this.height = height;
        this.argb = argb;
        this.found = found;
        this.inverted = inverted;
        this.crop = crop;
        this.expected = expected;
        this.resized = resized;
        this.deskewed = deskewed;
    }

    /** Every {@code *.json} under {@code dir}, sorted by file name. */
    static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().collect(Collectors.toList());
        }
    }

    static PreprocessVector read(Path file) throws IOException {
        Map<String, Object> o = Json.parseObject(Files.readString(file, StandardCharsets.UTF_8));
        if (!ENCODING.equals(o.get("encoding"))) {
            throw new IOException(file + ": unknown encoding " + o.get("encoding"));
        }
        int width = ((Number) o.get("width")).intValue();
        int height = ((Number) o.get("height")).intValue();
        int[] argb = decode((String) o.get("argb"), width * height);
        List<?> cropList = (List<?>) o.get("crop");
        int[] crop = new int[cropList.size()];
        for (int i = 0; i < crop.length; i++) {
            crop[i] = ((Number) cropList.get(i)).intValue();
        }
        double[] expected = numbers(o.get("expected"));
        if (o.get("deskewed") == null) throw new IOException(file + ": no \"deskewed\" output; regenerate the vectors");
        double[] deskewed = numbers(o.get("deskewed"));
        List<?> res = (List<?>) o.get("resized");
        if (res == null) throw new IOException(file + ": no \"resized\" grey levels; regenerate the vectors");
        int[] resized = new int[res.size()];
        for (int i = 0; i < resized.length; i++) {
            resized[i] = ((Number) res.get(i)).intValue();
        }
        return new PreprocessVector((String) o.get("name"), (String) o.get("description"), width, height, argb,
                (Boolean) o.get("found"), (Boolean) o.get("inverted"), crop, expected, resized, deskewed);
    }

    private static double[] numbers(Object list) {
        List<?> l = (List<?>) list;
        double[] out = new double[l.size()];
        for (int i = 0; i < out.length; i++) out[i] = ((Number) l.get(i)).doubleValue();
        return out;
    }

    private static void floats(StringBuilder sb, double[] values) {
        for (int i = 0; i < values.length; i++) {
            sb.append(i % PreprocessedDigit.SIZE == 0 ? "\n    " : " ");
            double v = values[i];
            // The float's exact value as a double, so that a reader compares against precisely what Java produced.
            sb.append(v == 0 ? "0" : Double.toString(v));
            if (i + 1 < values.length) {
                sb.append(',');
            }
        }
    }

    /** Writes atomically: a reader sees the old file or the new one, never half of one. */
    void write(Path file) throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("{\n");
        sb.append("  \"name\": ").append(Json.write(name)).append(",\n");
        sb.append("  \"description\": ").append(Json.write(description)).append(",\n");
        sb.append("  \"width\": ").append(width).append(",\n");
        sb.append("  \"height\": ").append(height).append(",\n");
        sb.append("  \"encoding\": \"").append(ENCODING).append("\",\n");
        sb.append("  \"argb\": \"").append(encode(argb)).append("\",\n");
        sb.append("  \"found\": ").append(found).append(",\n");
        sb.append("  \"inverted\": ").append(inverted).append(",\n");
        sb.append("  \"crop\": [").append(crop[0]).append(", ").append(crop[1]).append(", ").append(crop[2])
                .append(", ").append(crop[3]).append("],\n");
        sb.append("  \"expected\": [");
        floats(sb, expected);
        sb.append("\n  ],\n");
        sb.append("  \"resized\": [");
        for (int i = 0; i < resized.length; i++) {
            sb.append(i % PreprocessedDigit.SIZE == 0 ? "\n    " : " ").append(resized[i]);
            if (i + 1 < resized.length) {
                sb.append(',');
            }
        }
        sb.append("\n  ],\n");
        sb.append("  \"deskewed\": [");
        floats(sb, deskewed);
        sb.append("\n  ]\n}\n");

        AtomicFiles.writeString(file, sb.toString());
    }

    /** Big-endian A, R, G, B bytes per pixel, zlib-deflated, base64. */
    static String encode(int[] argb) {
        byte[] raw = new byte[argb.length * 4];
        for (int i = 0; i < argb.length; i++) {
            int p = argb[i];
            raw[4 * i] = (byte) (p >>> 24);
            raw[4 * i + 1] = (byte) (p >>> 16);
            raw[4 * i + 2] = (byte) (p >>> 8);
            raw[4 * i + 3] = (byte) p;
        }
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION);
        deflater.setInput(raw);
        deflater.finish();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (!deflater.finished()) {
            out.write(buf, 0, deflater.deflate(buf));
        }
        deflater.end();
        return Base64.getEncoder().encodeToString(out.toByteArray());
    }

    static int[] decode(String base64, int pixels) throws IOException {
        Inflater inflater = new Inflater();
        inflater.setInput(Base64.getDecoder().decode(base64));
        byte[] raw = new byte[pixels * 4];
        try {
            int n = 0;
            while (n < raw.length && !inflater.finished()) {
                int got = inflater.inflate(raw, n, raw.length - n);
                if (got == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                n += got;
            }
            if (n != raw.length || !inflater.finished()) {
                throw new IOException("argb holds " + n + " bytes or more than the " + raw.length + " expected");
            }
        } catch (DataFormatException e) {
            throw new IOException("argb is not valid zlib data", e);
        } finally {
            inflater.end();
        }
        int[] argb = new int[pixels];
        for (int i = 0; i < pixels; i++) {
            argb[i] = (raw[4 * i] & 0xFF) << 24 | (raw[4 * i + 1] & 0xFF) << 16 | (raw[4 * i + 2] & 0xFF) << 8
                    | (raw[4 * i + 3] & 0xFF);
        }
        return argb;
    }

    static List<String> names(List<PreprocessVector> vectors) {
        List<String> names = new ArrayList<>();
        for (PreprocessVector v : vectors) {
            names.add(v.name);
        }
        return names;
    }
}
