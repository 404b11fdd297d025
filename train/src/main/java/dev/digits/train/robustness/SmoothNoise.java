package dev.digits.train.robustness;

import java.util.Random;

/**
 * A smooth random field in [-1, 1]: random values on a coarse grid, interpolated with smoothstep. The raw material
 * of uneven lighting, elastic distortion and the textures of pictures that are not digits.
 */
final class SmoothNoise {
    private final double cell;
    private final int columns;
    private final double[] grid;

    private SmoothNoise(double cell, int columns, double[] grid) {
        this.cell = cell;
        this.columns = columns;
        this.grid = grid;
    }

    /** A field over {@code width × height} pixels whose features are about {@code cell} pixels apart. */
    static SmoothNoise random(Random random, int width, int height, double cell) {
        int columns = (int) Math.ceil(width / cell) + 2;
        int rows = (int) Math.ceil(height / cell) + 2;
        double[] grid = new double[columns * rows];
        for (int i = 0; i < grid.length; i++) grid[i] = 2 * random.nextDouble() - 1;
        return new SmoothNoise(cell, columns, grid);
    }

    double at(double x, double y) {
        double gx = x / cell;
        double gy = y / cell;
        int x0 = (int) Math.floor(gx);
        int y0 = (int) Math.floor(gy);
        double tx = smooth(gx - x0);
        double ty = smooth(gy - y0);
        double top = (1 - tx) * node(x0, y0) + tx * node(x0 + 1, y0);
        double bottom = (1 - tx) * node(x0, y0 + 1) + tx * node(x0 + 1, y0 + 1);
        return (1 - ty) * top + ty * bottom;
    }

    private double node(int gx, int gy) {
        int rows = grid.length / columns;
        int cx = Math.floorMod(gx, columns);
        int cy = Math.floorMod(gy, rows);
        return grid[cy * columns + cx];
    }

    private static double smooth(double t) {
        return t * t * (3 - 2 * t);
    }
}
