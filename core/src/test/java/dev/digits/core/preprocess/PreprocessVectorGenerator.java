package dev.digits.core.preprocess;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Regenerates the shared test vectors in {@code core/src/test/resources/preprocess-vectors/} from the Java
 * implementation. A program, not a test (so no build runs it or reports it as skipped), since the vectors are the
 * contract the JavaScript is checked against: run it only after a deliberate change of the algorithm, made in both
 * languages, from the repository root with
 * <pre>
 * ./mvnw -q -B -o -pl core test-compile
 * java -cp core/target/classes:core/target/test-classes dev.digits.core.preprocess.PreprocessVectorGenerator
 * node --test web/test/
 * </pre>
 * The last command checks that the JavaScript agrees. An argument (or {@code -Ddigits.vectorsDir=...}) names another
 * directory to write to. Unchanged inputs and algorithm give byte-identical files, so {@code git status} shows only
 * what really changed. {@link #inputs()} is also what {@code PreprocessVectorTest} checks the stored inputs against.
 */
final class PreprocessVectorGenerator {
    private PreprocessVectorGenerator() {
    }

    /** The inputs, by name; each is described in the vector file it becomes. */
    static Map<String, Input> inputs() {
        Map<String, Input> in = new LinkedHashMap<>();

        double[] seven = SyntheticDigits.coverage(140, 140, '7', 30, 20, 80, 100, 6, 1);
        in.put("canvas-seven", new Input("White 7 drawn on a black canvas (the browser and phone drawing pad).",
                140, 140, SyntheticDigits.canvas(seven)));
        in.put("paper-seven", new Input("The same 7 as canvas-seven in black ink on white paper: its exact negative. "
                + "Expected output equals canvas-seven's.", 140, 140, SyntheticDigits.paper(seven)));

        double[] three = SyntheticDigits.coverage(120, 120, '3', 30, 15, 60, 90, 5, 1);
        in.put("transparent-three", new Input("Black 3 whose alpha is the ink, over fully transparent black "
                + "(a PNG from a drawing app); transparency composites to white.", 120, 120,
                SyntheticDigits.transparent(three)));

        double[] two = SyntheticDigits.coverage(128, 96, '2', 40, 14, 50, 66, 4, 3);
        in.put("grey-photo-two", new Input("Dark, blurred 2 on a mid-grey noisy background (a photo of grey "
                + "paper): the background is darker than mid-grey yet the ink is darker still, so it is inverted.",
                128, 96, SyntheticDigits.photo(two, 0x787878, 0x202020, 5, 42)));

        double[] four = SyntheticDigits.coverage(100, 100, '4', 25, 20, 50, 62, 2.5, 2);
        in.put("faint-pencil-four", new Input("Faint pencil 4 (grey 188) on light paper (228) with slight noise; "
                + "contrast is stretched so the strokes reach 1.", 100, 100,
                SyntheticDigits.photo(four, 0xE4E4E4, 0xBCBCBC, 2.5, 7)));

        double[] eight = SyntheticDigits.coverage(96, 96, '8', 28, 12, 40, 72, 4, 1.5);
        in.put("blue-ink-on-cream-eight", new Input("Blue ballpoint 8 on cream paper: colour reduces to luma.",
                96, 96, SyntheticDigits.paint(eight, 0xF5EED2, 0x1E288C)));

        double[] one = SyntheticDigits.coverage(120, 120, '1', 8, 6, 10, 22, 1.6, 1);
        in.put("small-offcentre-one", new Input("Small 1, 22 px tall, in the top-left corner of a black canvas: "
                + "cropped, enlarged to 20 px and centred.", 120, 120, SyntheticDigits.canvas(one)));

        double[] zero = SyntheticDigits.coverage(160, 80, '0', 10, 20, 140, 40, 4, 1);
        in.put("wide-zero", new Input("A flat, wide 0 (about 148 x 48 px) on a black canvas: the width becomes "
                + "20 px and the height keeps the aspect ratio.", 160, 80, SyntheticDigits.canvas(zero)));

        in.put("blank-white", new Input("Plain white: no digit found.", 64, 48,
                SyntheticDigits.uniform(64, 48, 255)));

        int[] speck = SyntheticDigits.uniform(64, 64, 255);
        speck[30 * 64 + 33] = SyntheticDigits.opaqueGrey(190);
        in.put("faint-speck", new Input("White with one faint grey pixel: fewer than minInkPixels pixels stand "
                + "out, so no digit is found.", 64, 64, speck));

        double[] five = SyntheticDigits.coverage(300, 200, '5', 170, 30, 80, 130, 7, 1.2);
        in.put("landscape-five", new Input("A 300 x 200 white page with a dark 5 right of centre.", 300, 200,
                SyntheticDigits.paint(five, 0xFFFFFF, 0x141414)));

        double[] smallTwo = SyntheticDigits.coverage(28, 28, '2', 6, 4, 14, 20, 1.2, 1);
        in.put("tiny-canvas-two", new Input("A 28 x 28 canvas already at MNIST scale: the 20 px tall 2 is copied "
                + "nearly one to one.", 28, 28, SyntheticDigits.canvas(smallTwo)));
        double[] leaning = SyntheticDigits.coverage(140, 140, '4', 40, 20, 60, 100, 5, 1);
        in.put("slanted-canvas-four", new Input("A 4 on a black canvas leaning right by about 25 degrees, as many people "
                + "write: the digit-deskewed preprocessing stands it upright.", 140, 140,
                SyntheticDigits.canvas(slanted(leaning, 140, 140, 0.45))));
        return in;
    }

    public static void main(String[] args) throws IOException {
        Path dir = args.length > 0 ? Paths.get(args[0]) : defaultDirectory();
        regenerate(dir);
        System.out.println("Wrote " + inputs().size() + " vectors to " + dir.toAbsolutePath().normalize());
    }

    /** {@code digits.vectorsDir}, else the vectors' source folder seen from the repository root or from core. */
    private static Path defaultDirectory() {
        String set = System.getProperty("digits.vectorsDir");
        if (set != null) return Paths.get(set);
        Path fromRoot = Paths.get("core/src/test/resources/preprocess-vectors");
        return Files.isDirectory(fromRoot) ? fromRoot : Paths.get("src/test/resources/preprocess-vectors");
    }

    /** {@code cov} sheared so that its top leans right by {@code shear} pixels per row above the middle. */
    private static double[] slanted(double[] cov, int width, int height, double shear) {
        double[] out = new double[cov.length];
        for (int y = 0; y < height; y++) {
            double shift = shear * (height / 2.0 - y);
            for (int x = 0; x < width; x++) {
                int from = (int) Math.round(x - shift);
                out[y * width + x] = from >= 0 && from < width ? cov[y * width + from] : 0;
            }
        }
        return out;
    }

    static void regenerate(Path dir) throws IOException {
        Files.createDirectories(dir);
        DigitPreprocessor pre = DigitPreprocessor.defaults();
        List<String> written = new ArrayList<>();
        for (Map.Entry<String, Input> e : inputs().entrySet()) {
            Input in = e.getValue();
            PreprocessedDigit d = pre.process(in.argb, in.width, in.height);
            float[] px = d.pixels();
            double[] expected = new double[px.length];
            for (int i = 0; i < px.length; i++) {
                expected[i] = px[i];
            }
            int[] crop = {d.cropX(), d.cropY(), d.cropWidth(), d.cropHeight()};
            byte[] resizedBytes = new ResizePreprocessor(PreprocessedDigit.SIZE, PreprocessedDigit.SIZE).resize(in.argb, in.width, in.height);
            int[] resized = new int[resizedBytes.length];
            for (int i = 0; i < resized.length; i++) resized[i] = resizedBytes[i] & 0xFF;
            float[] straight = Deskew.apply(d).pixels();
            double[] deskewed = new double[straight.length];
            for (int i = 0; i < straight.length; i++) deskewed[i] = straight[i];
            new PreprocessVector(e.getKey(), in.description, in.width, in.height, in.argb, d.found(), d.inverted(),
                    crop, expected, resized, deskewed).write(dir.resolve(e.getKey() + ".json"));
            written.add(e.getKey() + (d.found() ? "" : " (not found)") + "\n" + d);
        }
        written.forEach(System.out::println);
    }

    static final class Input {
        final String description;
        final int width;
        final int height;
        final int[] argb;

        Input(String description, int width, int height, int[] argb) {
            this.description = description;
            this.width = width;
            this.height = height;
            this.argb = argb;
        }
    }
}
