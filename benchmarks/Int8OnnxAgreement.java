// Full-int8 ONNX files against their float32 file, and their fused integer kernels against their own operators run
// one by one, on all 10,000 MNIST test images, on this machine's CPU (BENCHMARKS.md, "Full-int8 ONNX on CPUs without
// VNNI"). Run with Java's single-file launcher over the jars of a built checkout:
//   java -cp "cli/target/lib/*" benchmarks/Int8OnnxAgreement.java ../shared/data/mnist FLOAT32.onnx INT8.onnx...
import dev.digits.convert.onnx.OnnxRuntimeModel;
import dev.digits.core.data.ImageSet;
import dev.digits.train.data.Mnist;
import java.nio.file.Path;

public class Int8OnnxAgreement {
    static int argmax(float[] p) { int b = 0; for (int i = 1; i < p.length; i++) if (p[i] > p[b]) b = i; return b; }
    public static void main(String[] a) throws Exception {
        ImageSet test = Mnist.load(Path.of(a[0])).test();
        float[] px = new float[test.size() * 784];
        for (int i = 0; i < test.size(); i++) test.copyScaled(i, px, i * 784);
        float[][] ref;
        try (OnnxRuntimeModel m = OnnxRuntimeModel.open(Path.of(a[1]))) { ref = m.predict(px, test.size()); }
        for (int f = 2; f < a.length; f++) {
            float[][] p, w;
            try (OnnxRuntimeModel m = OnnxRuntimeModel.open(Path.of(a[f]))) { p = m.predict(px, test.size()); }
            try (OnnxRuntimeModel m = OnnxRuntimeModel.openAsWritten(Path.of(a[f]))) { w = m.predict(px, test.size()); }
            int same = 0, right = 0, sameW = 0; double max = 0;
            for (int i = 0; i < p.length; i++) {
                if (argmax(p[i]) == argmax(ref[i])) same++;
                if (argmax(p[i]) == test.label(i)) right++;
                if (argmax(p[i]) == argmax(w[i])) sameW++;
                for (int k = 0; k < 10; k++) max = Math.max(max, Math.abs(p[i][k] - ref[i][k]));
            }
            System.out.printf("%s: agreement %.2f%%, accuracy %.2f%%, max|dp| %.3f, kernels vs as-written %.2f%%%n", a[f],
                    100.0 * same / p.length, 100.0 * right / p.length, max, 100.0 * sameW / p.length);
        }
    }
}
