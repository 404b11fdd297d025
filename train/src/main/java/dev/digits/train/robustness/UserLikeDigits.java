package dev.digits.train.robustness;

import dev.digits.core.data.ImageSet;
import dev.digits.train.robustness.RobustnessCategory.Kind;
import dev.digits.train.robustness.Surface.Polarity;

import java.awt.image.BufferedImage;
import java.util.List;
import java.util.Random;

/**
 * MNIST digits redrawn as users send them: on drawing pads of every size, small and off-centre or filling the pad,
 * with thick and thin pens, in both polarities, photographed on paper, JPEG-compressed. The strokes are MNIST's,
 * upscaled and given a pen's edge; only what happens between the hand and the server changes.
 *
 * <p>Give it MNIST <em>test</em> digits only to report results, never to choose anything.
 */
final class UserLikeDigits {
    /** Side of the intermediate mask on which pens are thickened or thinned (4× MNIST). */
    private static final int PEN_SCALE = 112;
    /** Share of MNIST's 28-pixel frame the digit's longer side takes (20 of 28). */
    private static final double DIGIT_IN_FRAME = 20.0 / 28;

    private final ImageSet digits;

    UserLikeDigits(ImageSet digits) {
        if (digits.height() != 28 || digits.width() != 28) throw new IllegalArgumentException("need 28×28 MNIST digits");
        this.digits = digits;
    }

    List<RobustnessCategory> categories() {
        return List.of(
                new RobustnessCategory("canvas-280", "280×280 drawing pad (web, Android), white on black, PNG; digit 55–75% of the pad",
                        Kind.DIGIT, (r, i) -> {
                            int side = 280;
                            return onCanvas(r, side, side, Polarity.LIGHT_ON_DARK, digitBox(r, side, 0.55, 0.75), 0.08, pen(r, r.nextInt(3)));
                        }),
                new RobustnessCategory("canvas-small-off-centre", "pads of 280×280 to 640×360, digit 15–30% of the short side, anywhere, either polarity",
                        Kind.DIGIT, (r, i) -> {
                            int[][] sizes = {{280, 280}, {400, 400}, {360, 640}, {640, 360}};
                            int[] s = sizes[r.nextInt(sizes.length)];
                            int box = digitBox(r, Math.min(s[0], s[1]), 0.15, 0.30);
                            return onCanvas(r, s[0], s[1], Polarity.any(r), box, 0.5, pen(r, r.nextInt(3)));
                        }),
                new RobustnessCategory("canvas-large", "square pads of 280–560, digit 88–98% of the side, either polarity",
                        Kind.DIGIT, (r, i) -> {
                            int side = 280 + 40 * r.nextInt(8);
                            return onCanvas(r, side, side, Polarity.any(r), digitBox(r, side, 0.88, 0.98), 0.0, pen(r, 1 + r.nextInt(3)));
                        }),
                new RobustnessCategory("pen-thick", "280×280 pad, a marker 2–3× MNIST's stroke width, either polarity",
                        Kind.DIGIT, (r, i) -> onCanvas(r, 280, 280, Polarity.any(r), digitBox(r, 280, 0.5, 0.75), 0.1, pen(r, 4 + r.nextInt(4)))),
                new RobustnessCategory("pen-thin", "280×280 pad, a fine pen about half MNIST's stroke width, either polarity",
                        Kind.DIGIT, (r, i) -> onCanvas(r, 280, 280, Polarity.any(r), digitBox(r, 280, 0.5, 0.75), 0.1, thinPen(r, 1 + r.nextInt(2)))),
                new RobustnessCategory("paper-photo", "1–2 MP phone photo of dark ink on paper, uneven light and sensor noise, JPEG quality 70–92",
                        Kind.DIGIT, this::paperPhoto),
                new RobustnessCategory("canvas-jpeg", "280×280 pad saved as JPEG at quality 20–50, either polarity",
                        Kind.DIGIT, (r, i) -> {
                            Polarity p = r.nextBoolean() ? Polarity.LIGHT_ON_DARK : Polarity.DARK_ON_LIGHT;
                            Drawn d = draw(r, 280, 280, p, digitBox(r, 280, 0.5, 0.75), 0.1, pen(r, r.nextInt(3)));
                            return RobustnessImage.jpeg(d.image, 0.2 + 0.3 * r.nextDouble(), d.label, p.description);
                        }));
    }

    /** A digit drawn with a pen {@code thicken} pixels (at 4× MNIST) wider than MNIST's, as a 4×-scale mask. */
    private Pen pen(Random r, int thicken) {
        int index = r.nextInt(digits.size());
        InkMask m = InkMask.ofGrey(digits.rawImage(index), 0, 28, 28).resize(PEN_SCALE, PEN_SCALE).penEdge(0.25, 0.55).dilate(thicken);
        return new Pen(m, digits.label(index));
    }

    private Pen thinPen(Random r, int thin) {
        int index = r.nextInt(digits.size());
        InkMask m = InkMask.ofGrey(digits.rawImage(index), 0, 28, 28).resize(PEN_SCALE, PEN_SCALE).penEdge(0.55, 0.8).erode(thin);
        // A very thin MNIST stroke may vanish under erosion; the pen then draws it at the thinnest edge instead.
        if (!m.hasInk(0.9)) m = InkMask.ofGrey(digits.rawImage(index), 0, 28, 28).resize(PEN_SCALE, PEN_SCALE).penEdge(0.55, 0.8);
        return new Pen(m, digits.label(index));
    }

    private RobustnessImage paperPhoto(Random r, int index) {
        int[][] sizes = {{1152, 864}, {1280, 960}, {1600, 1200}, {1200, 1600}};
        int[] s = sizes[r.nextInt(sizes.length)];
        Surface paper = Surface.paper(r, s[0], s[1]);
        int box = digitBox(r, Math.min(s[0], s[1]), 0.18, 0.45);
        Pen pen = pen(r, r.nextInt(4));
        int frame = (int) Math.round(box / DIGIT_IN_FRAME);
        InkMask mask = pen.mask.resize(frame, frame);
        int[] at = place(r, s[0], s[1], frame, 0.5);
        BufferedImage img = paper.render(mask, at[0], at[1]);
        return RobustnessImage.jpeg(img, 0.7 + 0.22 * r.nextDouble(), pen.label, paper.polarity.description);
    }

    private RobustnessImage onCanvas(Random r, int w, int h, Polarity polarity, int box, double offCentre, Pen pen) {
        Drawn d = draw(r, w, h, polarity, box, offCentre, pen);
        return RobustnessImage.png(d.image, d.label, polarity.description);
    }

    private Drawn draw(Random r, int w, int h, Polarity polarity, int box, double offCentre, Pen pen) {
        int frame = (int) Math.round(box / DIGIT_IN_FRAME);
        InkMask mask = pen.mask.resize(frame, frame);
        int[] at = place(r, w, h, frame, offCentre);
        return new Drawn(Surface.canvas(w, h, polarity).render(mask, at[0], at[1]), pen.label);
    }

    /** The digit's longer side: between {@code min} and {@code max} of {@code side}. */
    private static int digitBox(Random r, int side, double min, double max) {
        return (int) Math.round(side * (min + (max - min) * r.nextDouble()));
    }

    /**
     * Top-left corner of a {@code frame}-pixel frame on a {@code w × h} surface, moved from the centre by up to
     * {@code offCentre} of the room there is; the frame's margin may leave the surface, the digit inside stays on it.
     */
    private static int[] place(Random r, int w, int h, int frame, double offCentre) {
        int digit = (int) Math.round(frame * DIGIT_IN_FRAME);
        int margin = (frame - digit) / 2;
        int roomX = Math.max(0, (w - digit) / 2);
        int roomY = Math.max(0, (h - digit) / 2);
        int dx = (int) Math.round(offCentre * roomX * (2 * r.nextDouble() - 1));
        int dy = (int) Math.round(offCentre * roomY * (2 * r.nextDouble() - 1));
        return new int[]{(w - digit) / 2 + dx - margin, (h - digit) / 2 + dy - margin};
    }

    private record Pen(InkMask mask, int label) {
    }

    private record Drawn(BufferedImage image, int label) {
    }
}
