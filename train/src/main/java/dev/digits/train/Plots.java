package dev.digits.train;

import dev.digits.core.io.AtomicFiles;
import dev.digits.core.data.ImageSet;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The pictures of a training run: learning curves, confusion matrix and a grid of the worst mistakes (PNG). */
public final class Plots {
    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Plots() {
    }

    /** Loss and accuracy per epoch, training and validation, side by side. */
    public static void trainingCurves(TrainingHistory history, Path file, String title) throws IOException {
        List<TrainingHistory.Epoch> es = history.epochs();
        double[] x = es.stream().mapToDouble(e -> e.epoch).toArray();
        XYChart loss = new XYChartBuilder().width(560).height(400).title(title + ": loss").xAxisTitle("epoch").yAxisTitle("cross-entropy").build();
        loss.addSeries("training", x, es.stream().mapToDouble(e -> e.loss).toArray()).setMarker(SeriesMarkers.CIRCLE);
        loss.addSeries("validation", x, es.stream().mapToDouble(e -> e.validationLoss).toArray()).setMarker(SeriesMarkers.CIRCLE);
        XYChart acc = new XYChartBuilder().width(560).height(400).title(title + ": accuracy").xAxisTitle("epoch").yAxisTitle("%").build();
        acc.addSeries("training", x, es.stream().mapToDouble(e -> 100 * e.accuracy).toArray()).setMarker(SeriesMarkers.CIRCLE);
        acc.addSeries("validation", x, es.stream().mapToDouble(e -> 100 * e.validationAccuracy).toArray()).setMarker(SeriesMarkers.CIRCLE);
        for (XYChart c : List.of(loss, acc)) {
            c.getStyler().setChartBackgroundColor(Color.WHITE);
            c.getStyler().setXAxisDecimalPattern("#");
        }
        BufferedImage img = new BufferedImage(1120, 400, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.drawImage(BitmapEncoder.getBufferedImage(loss), 0, 0, null);
        g.drawImage(BitmapEncoder.getBufferedImage(acc), 560, 0, null);
        g.dispose();
        writePng(img, file);
    }

    /** The confusion matrix as a heat map with counts; the diagonal in blue, errors in red. */
    public static void confusionMatrix(Evaluation eval, Path file, String title) throws IOException {
        int[][] cm = eval.confusionMatrix();
        List<String> classes = eval.classes();
        int k = classes.size();
        int cell = Math.max(28, Math.min(56, 560 / k));
        int margin = 110;
        int w = margin + k * cell + 20;
        int h = margin + k * cell + 50;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(String.format("%s: test accuracy %.2f%%", title, 100 * eval.accuracy()), 10, 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString("predicted →", margin, margin - 40);
        g.drawString("true ↓", 10, margin - 8);
        int maxOff = 1;
        int maxDiag = 1;
        for (int r = 0; r < k; r++) {
            for (int c = 0; c < k; c++) {
                if (r == c) maxDiag = Math.max(maxDiag, cm[r][c]);
                else maxOff = Math.max(maxOff, cm[r][c]);
            }
        }
        Font small = new Font(Font.SANS_SERIF, Font.PLAIN, cell >= 40 ? 12 : 9);
        for (int i = 0; i < k; i++) {
            String name = classes.get(i).length() > 12 ? classes.get(i).substring(0, 12) : classes.get(i);
            g.setColor(Color.BLACK);
            g.setFont(small);
            g.drawString(name, margin + i * cell + 3, margin - 8);
            g.drawString(name, margin - 100, margin + i * cell + cell / 2 + 4);
        }
        for (int r = 0; r < k; r++) {
            for (int c = 0; c < k; c++) {
                int v = cm[r][c];
                Color color;
                if (r == c) {
                    float t = (float) v / maxDiag;
                    color = new Color(1 - 0.7f * t, 1 - 0.5f * t, 1f);
                } else {
                    float t = v == 0 ? 0 : 0.2f + 0.8f * (float) Math.sqrt((double) v / maxOff);
                    color = new Color(1f, 1 - 0.7f * t, 1 - 0.7f * t);
                }
                g.setColor(color);
                g.fillRect(margin + c * cell, margin + r * cell, cell, cell);
                g.setColor(Color.LIGHT_GRAY);
                g.drawRect(margin + c * cell, margin + r * cell, cell, cell);
                if (v > 0) {
                    g.setColor(Color.BLACK);
                    g.setFont(small);
                    String s = Integer.toString(v);
                    FontMetrics fm = g.getFontMetrics();
                    g.drawString(s, margin + c * cell + (cell - fm.stringWidth(s)) / 2, margin + r * cell + cell / 2 + 4);
                }
            }
        }
        g.dispose();
        writePng(img, file);
    }

    /** Up to {@code max} misclassified images, most confident first, each captioned "true → predicted (p%)". */
    public static void misclassified(ImageSet set, Evaluation eval, Path file, int max) throws IOException {
        List<Integer> wrong = eval.mistakes(set);
        int n = Math.min(max, wrong.size());
        int cols = 8;
        int rows = Math.max(1, (n + cols - 1) / cols);
        int scale = 3;
        int tile = set.width() * scale;
        int cellW = tile + 16;
        int cellH = tile + 30;
        int w = cols * cellW + 10;
        int h = rows * cellH + 40;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        g.drawString(wrong.size() + " of " + set.size() + " test images misclassified; the " + n
                + " most confident mistakes (true → predicted)", 8, 20);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        for (int j = 0; j < n; j++) {
            int i = wrong.get(j);
            int x0 = 8 + (j % cols) * cellW;
            int y0 = 32 + (j / cols) * cellH;
            for (int y = 0; y < set.height(); y++) {
                for (int x = 0; x < set.width(); x++) {
                    int v = set.pixel(i, y, x);
                    g.setColor(new Color(v, v, v));
                    g.fillRect(x0 + x * scale, y0 + y * scale, scale, scale);
                }
            }
            g.setColor(new Color(0xB00020));
            g.drawString(String.format("%s → %s (%.0f%%)", set.classNames().get(set.label(i)),
                    set.classNames().get(eval.prediction(i)), 100 * eval.confidence(i)), x0, y0 + tile + 13);
        }
        g.dispose();
        writePng(img, file);
    }

    static void writePng(BufferedImage img, Path file) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(img, "png", out);
        AtomicFiles.write(file, out.toByteArray());
    }
}
