package dev.digits.train.robustness;

import dev.digits.core.error.InvalidInputException;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontFormatException;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.font.FontRenderContext;
import java.awt.geom.AffineTransform;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/**
 * The TrueType and OpenType fonts installed on this machine (by default under {@code /usr/share/fonts}), as the
 * source of digits and letters in other people's shapes. Only fonts that draw every digit and Latin letter are kept;
 * they are sorted by path so that a seed picks the same font on every run of the same machine.
 */
public final class InstalledFonts {
    /** Where Debian and most Linux distributions install fonts. */
    public static final Path SYSTEM_FONTS = Path.of("/usr/share/fonts");

    private static final String NEEDED = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private static final FontRenderContext CONTEXT = new FontRenderContext(null, true, true);

    private final List<Font> fonts;
    private final List<String> names;

    private InstalledFonts(List<Font> fonts, List<String> names) {
        this.fonts = fonts;
        this.names = names;
    }

    /**
     * Every usable font under {@code dir}.
     *
     * @throws InvalidInputException when there is none (the font-based categories cannot be drawn without)
     */
    public static InstalledFonts under(Path dir) throws IOException {
        List<Path> files = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.filter(p -> {
                    String n = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
                    return n.endsWith(".ttf") || n.endsWith(".otf");
                }).sorted().forEach(files::add);
            }
        }
        List<Font> fonts = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Path file : files) {
            try {
                Font f = Font.createFont(Font.TRUETYPE_FONT, file.toFile());
                if (f.canDisplayUpTo(NEEDED) == -1) {
                    fonts.add(f);
                    names.add(f.getFontName());
                }
            } catch (FontFormatException | IOException e) {
                // A font the JDK cannot read is skipped: others remain, and none is required in particular.
            }
        }
        if (fonts.isEmpty()) {
            throw new InvalidInputException("no TrueType or OpenType font drawing digits and letters under " + dir
                    + "; install one (Debian: apt-get install fonts-dejavu-core)");
        }
        return new InstalledFonts(List.copyOf(fonts), Collections.unmodifiableList(names));
    }

    /** The fonts' names, in the order a seed picks them from. */
    public List<String> names() {
        return names;
    }

    /** How a character is drawn: its size on the pad, slant, rotation and extra stroke width. */
    static final class Style {
        final double size;
        final double slant;
        final double rotation;
        final double stroke;

        /**
         * @param size     the font's size in pixels
         * @param slant    horizontal shear (0.3 leans the top right by 30% of the height)
         * @param rotation radians, clockwise
         * @param stroke   pixels of outline added around the glyph (0: the font's own weight)
         */
        Style(double size, double slant, double rotation, double stroke) {
            this.size = size;
            this.slant = slant;
            this.rotation = rotation;
            this.stroke = stroke;
        }

        /** Sizes 35–65% of the pad, slant ±0.35, rotation ±15°, outline 0–7% of the size. */
        static Style random(Random r, int pad) {
            return new Style(pad * (0.35 + 0.3 * r.nextDouble()), 0.35 * (2 * r.nextDouble() - 1),
                    Math.toRadians(15 * (2 * r.nextDouble() - 1)), r.nextBoolean() ? 0 : pad * 0.5 * 0.07 * r.nextDouble());
        }
    }

    /**
     * Character {@code c} in a font chosen by {@code random}, drawn white on black in a {@code w × h} mask, its
     * centre moved from the mask's centre by up to {@code offCentre} of the room left around it.
     */
    InkMask glyph(Random random, char c, int w, int h, Style style, double offCentre) {
        Font font = fonts.get(random.nextInt(fonts.size())).deriveFont((float) style.size);
        Shape outline = font.createGlyphVector(CONTEXT, String.valueOf(c)).getOutline();
        Rectangle2D b = outline.getBounds2D();
        AffineTransform t = new AffineTransform();
        t.rotate(style.rotation);
        t.shear(-style.slant, 0);
        t.translate(-b.getCenterX(), -b.getCenterY());
        Shape centred = t.createTransformedShape(outline);
        Rectangle2D cb = centred.getBounds2D();
        double roomX = Math.max(0, (w - cb.getWidth() - 2 * style.stroke) / 2);
        double roomY = Math.max(0, (h - cb.getHeight() - 2 * style.stroke) / 2);
        double x = w / 2.0 + offCentre * roomX * (2 * random.nextDouble() - 1);
        double y = h / 2.0 + offCentre * roomY * (2 * random.nextDouble() - 1);
        Shape placed = AffineTransform.getTranslateInstance(x, y).createTransformedShape(centred);
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = img.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fill(placed);
            if (style.stroke > 0) {
                g.setStroke(new BasicStroke((float) (2 * style.stroke), BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND));
                g.draw(placed);
            }
        } finally {
            g.dispose();
        }
        return InkMask.ofGreyImage(img);
    }
}
