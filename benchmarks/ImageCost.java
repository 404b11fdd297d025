// What one uploaded image costs the server before the model sees it: decoding and preprocessing, single-threaded, as
// ImageDigitReader does them for a request (BENCHMARKS.md, "Decoding and preprocessing, per image"). Each file is read
// ROUNDS times for about 2 s; the median round's time per image is printed. Run over the jars of a built checkout, on
// the inputs benchmarks/inputs.py generates:
//   benchmarks/inputs.py ../shared/data/mnist /tmp/inputs
//   java -cp "serve/target/digits-server.jar:serve/target/lib/*" benchmarks/ImageCost.java /tmp/inputs/*.png /tmp/inputs/*.jpg
// and with -Ddigits.turbojpeg.jar=off for JPEGs decoded by ImageIO instead of TurboJPEG. It runs on older builds too
// (a git worktree at an earlier commit, built with ./mvnw -o install -DskipTests -pl core,serve), for before/after.
import dev.digits.core.preprocess.DigitPreprocessor;
import dev.digits.core.preprocess.PreprocessedDigit;
import dev.digits.serve.image.ImageDigitReader;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

public class ImageCost {
    static final int ROUNDS = 7;

    public static void main(String[] args) throws Exception {
        ImageDigitReader reader = new ImageDigitReader(DigitPreprocessor.defaults(), 8192, 8192 * 8192);
        String jpegs;
        try {
            jpegs = (String) ImageDigitReader.class.getMethod("jpegDecoder").invoke(reader);
        } catch (NoSuchMethodException older) {
            jpegs = "ImageIO (a build from before TurboJPEG)";
        }
        System.out.println("JPEGs: " + jpegs);
        for (String name : args) {
            byte[] file = Files.readAllBytes(Path.of(name));
            PreprocessedDigit d = reader.read(file, name);
            long t = System.nanoTime();
            int perRound = 0;
            while (System.nanoTime() - t < 300_000_000L) {
                reader.read(file, name);
                perRound++;
            }
            perRound = Math.max(1, perRound * 2 / ROUNDS * 3);
            double[] micros = new double[ROUNDS];
            for (int r = 0; r < ROUNDS; r++) {
                long start = System.nanoTime();
                for (int i = 0; i < perRound; i++) reader.read(file, name);
                micros[r] = (System.nanoTime() - start) / 1e3 / perRound;
            }
            Arrays.sort(micros);
            System.out.printf("%s (%,d bytes): %.0f µs per image (rounds %.0f–%.0f µs), digit found: %s%n",
                    Path.of(name).getFileName(), file.length, micros[ROUNDS / 2], micros[0], micros[ROUNDS - 1], d.found());
        }
    }
}
