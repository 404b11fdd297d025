package dev.digits.serve.browser;

import java.util.ArrayList;
import java.util.List;

/**
 * Pen strokes that redraw a real 28×28 MNIST digit on the 280-pixel pad: every horizontal run of bright pixels
 * becomes one stroke along that row, ten pad pixels per MNIST pixel. With the pad's 20-pixel pen, neighbouring rows
 * overlap, so the strokes cover the digit's shape as a person's pen would, slightly bolder.
 */
record PenStrokes(List<List<double[]>> strokes) {
    /** Pad pixels per MNIST pixel: the pad is 280 pixels wide. */
    static final double SCALE = 10;
    /** MNIST intensities from which a pixel counts as ink. */
    static final int INK = 128;

    /**
     * @param pixels 784 grey levels, row-major, white ink on black, as in the MNIST files
     */
    static PenStrokes tracing(byte[] pixels) {
        List<List<double[]>> strokes = new ArrayList<>();
        for (int y = 0; y < 28; y++) {
            int x = 0;
            while (x < 28) {
                if ((pixels[y * 28 + x] & 0xff) < INK) {
                    x++;
                    continue;
                }
                int start = x;
                while (x < 28 && (pixels[y * 28 + x] & 0xff) >= INK) x++;
                double cy = (y + 0.5) * SCALE;
                strokes.add(List.of(new double[] {(start + 0.5) * SCALE, cy}, new double[] {(x - 0.5) * SCALE, cy}));
            }
        }
        if (strokes.isEmpty()) throw new IllegalArgumentException("the image has no pixel of at least " + INK);
        return new PenStrokes(List.copyOf(strokes));
    }

    /** One line from {@code (x0, y0)} to {@code (x1, y1)} in pad pixels, as a hand would draw a "1". */
    static PenStrokes line(double x0, double y0, double x1, double y1) {
        return new PenStrokes(List.of(List.of(new double[] {x0, y0}, new double[] {x1, y1})));
    }
}
