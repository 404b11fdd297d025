package dev.digits.android;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A 280&times;280 drawing pad in plain Java, drawing what a finger leaves on the app's {@link DrawView}: anti-aliased
 * strokes with a round 20-pixel pen, white on black (or, for paper, dark ink on white). Pixels are ARGB ints in the
 * layout of Android's {@code Bitmap.getPixels}, the input the app hands to core's preprocessing.
 */
final class StrokePad {
    private final float[] coverage = new float[DrawView.PAD_SIZE * DrawView.PAD_SIZE];
    private final List<double[]> strokes = new ArrayList<>();

    /** Draws a polyline through {@code xy} = x0, y0, x1, y1, ... in pad pixels. */
    StrokePad stroke(double... xy) {
        strokes.add(xy.clone());
        if (xy.length == 2) return segment(xy[0], xy[1], xy[0], xy[1]);
        for (int i = 0; i + 3 < xy.length; i += 2) segment(xy[i], xy[i + 1], xy[i + 2], xy[i + 3]);
        return this;
    }

    /** Draws an ellipse (or an arc of one, angles in degrees, 0 = right, clockwise on screen) as one stroke. */
    StrokePad arc(double cx, double cy, double rx, double ry, double fromDegrees, double toDegrees) {
        int steps = 64;
        double[] xy = new double[2 * (steps + 1)];
        for (int i = 0; i <= steps; i++) {
            double a = Math.toRadians(fromDegrees + (toDegrees - fromDegrees) * i / steps);
            xy[2 * i] = cx + rx * Math.cos(a);
            xy[2 * i + 1] = cy + ry * Math.sin(a);
        }
        return stroke(xy);
    }

    /** The strokes drawn so far, each as x0, y0, x1, y1, ... in pad pixels: the path a finger takes. */
    List<double[]> strokes() {
        return Collections.unmodifiableList(strokes);
    }

    private StrokePad segment(double x0, double y0, double x1, double y1) {
        double r = DrawView.STROKE_WIDTH / 2;
        int minX = (int) Math.max(0, Math.floor(Math.min(x0, x1) - r - 1));
        int maxX = (int) Math.min(DrawView.PAD_SIZE - 1, Math.ceil(Math.max(x0, x1) + r + 1));
        int minY = (int) Math.max(0, Math.floor(Math.min(y0, y1) - r - 1));
        int maxY = (int) Math.min(DrawView.PAD_SIZE - 1, Math.ceil(Math.max(y0, y1) + r + 1));
        double dx = x1 - x0;
        double dy = y1 - y0;
        double len2 = dx * dx + dy * dy;
        for (int y = minY; y <= maxY; y++) {
            for (int x = minX; x <= maxX; x++) {
                double px = x + 0.5;
                double py = y + 0.5;
                double t = len2 == 0 ? 0 : Math.max(0, Math.min(1, ((px - x0) * dx + (py - y0) * dy) / len2));
                double ex = px - (x0 + t * dx);
                double ey = py - (y0 + t * dy);
                // Distance to the pen's centre line; one pixel of anti-aliasing at the edge.
                double c = Math.max(0, Math.min(1, r + 0.5 - Math.sqrt(ex * ex + ey * ey)));
                int i = y * DrawView.PAD_SIZE + x;
                coverage[i] = (float) Math.max(coverage[i], c);
            }
        }
        return this;
    }

    /** White ink on black, as the app's pad. */
    int[] whiteOnBlack() {
        int[] argb = new int[coverage.length];
        for (int i = 0; i < argb.length; i++) {
            int v = Math.round(coverage[i] * 255);
            argb[i] = 0xFF000000 | v << 16 | v << 8 | v;
        }
        return argb;
    }

    /** Dark blue ink on off-white paper, as a photo of a written digit. */
    int[] inkOnPaper() {
        int[] argb = new int[coverage.length];
        for (int i = 0; i < argb.length; i++) {
            float c = coverage[i];
            int r = Math.round(245 - c * (245 - 20));
            int g = Math.round(240 - c * (240 - 30));
            int b = Math.round(230 - c * (230 - 90));
            argb[i] = 0xFF000000 | r << 16 | g << 8 | b;
        }
        return argb;
    }
}
