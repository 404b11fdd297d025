package dev.digits.convert.importer;

import dev.digits.convert.importer.NetworkBuilder.Layout;
import dev.digits.core.model.Shape;

import java.util.Arrays;

/**
 * The input tensor of a foreign model file: its dimensions as the file declares them and what they mean — a flat
 * vector, or a grey image channels-first or channels-last. Digits feeds 28×28 grey digits, so only inputs of 784
 * values in one channel are accepted; for one channel every layout holds the pixels in the same row-major order.
 *
 * @param name   the tensor's name in the file
 * @param dims   its dimensions, batch first ({@code -1} where the file leaves one open)
 * @param layout how the file lays it out
 */
record SourceInput(String name, long[] dims, Layout layout) {
    /** The one image size Digits' preprocessing produces. */
    static final int SIDE = 28;

    /**
     * Reads what {@code dims} (batch first) mean.
     *
     * @throws ImportException for inputs that are not one 28×28 grey image
     */
    static SourceInput of(long[] dims, String name) {
        long[] d = dims.clone();
        // A file without a batch dimension ([784] or [28,28,1]) still takes one example; give it one.
        if (d.length == 1 || (d.length == 3 && d[0] == SIDE)) d = prepend(d);
        Layout layout;
        if (d.length == 2) {
            layout = Layout.FLAT;
        } else if (d.length == 3) {
            layout = Layout.NCHW; // [n, h, w]: one channel
        } else if (d.length == 4) {
            layout = d[1] <= 4 && d[3] > 4 ? Layout.NCHW : Layout.NHWC;
        } else {
            throw refused(name, dims);
        }
        long size = 1;
        for (int i = 1; i < d.length; i++) size *= d[i];
        int channels = d.length == 4 ? (int) (layout == Layout.NCHW ? d[1] : d[3]) : 1;
        if (size != (long) SIDE * SIDE || channels != 1) throw refused(name, dims);
        return new SourceInput(name, d, layout);
    }

    private static long[] prepend(long[] d) {
        long[] out = new long[d.length + 1];
        out[0] = 1;
        System.arraycopy(d, 0, out, 1, d.length);
        return out;
    }

    private static ImportException refused(String name, long[] dims) {
        return new ImportException("the model's input '" + name + "' has shape " + Arrays.toString(dims) + "; Digits' preprocessing"
                + " (server, browser, Android) produces 28×28 grey digits, so it imports models taking [n,784], [n,28,28],"
                + " [n,1,28,28] or [n,28,28,1]");
    }

    /** The shape the Digits spec gives this input. */
    Shape specShape() {
        return layout == Layout.FLAT ? Shape.flat(SIDE * SIDE) : Shape.image(1, SIDE, SIDE);
    }

    /** The layout in words, for the card and the import's report. */
    String describe() {
        String dimsText = Arrays.toString(dims).replace("-1", "n");
        switch (layout) {
            case FLAT: return dimsText + " (784 pixels, row by row)";
            case NHWC: return dimsText + " (channels last)";
            default: return dimsText + (dims.length == 3 ? " (height × width)" : " (channels first)");
        }
    }
}
