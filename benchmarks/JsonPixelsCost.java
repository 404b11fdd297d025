// What reading the pixel numbers of one JSON body costs the server: bytes allocated and time, single-threaded, for
// Jackson's getDoubleValue() (a String per number) and for JsonNumbers, which reads each number from the parser's
// buffer (BENCHMARKS.md, "JSON pixels: read without a String per number"). Run over the jars of a built checkout:
//   benchmarks/inputs.py ../shared/data/mnist /tmp/inputs
//   node -e 'const fs=require("fs"); const p=JSON.parse(fs.readFileSync("/tmp/inputs/pixels.json")).pixels;
//            fs.writeFileSync("/tmp/inputs/web.json", JSON.stringify({pixels: Array.from(new Float32Array(p))}))'
//   java -cp "serve/target/digits-server.jar:serve/target/lib/*" benchmarks/JsonPixelsCost.java /tmp/inputs/pixels.json /tmp/inputs/web.json
// web.json is what the web app's Server mode sends: a Float32Array through Array.from and JSON.stringify.
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;

public class JsonPixelsCost {
    public static void main(String[] args) throws Throwable {
        Method method = Class.forName("dev.digits.serve.api.JsonNumbers").getDeclaredMethod("readFloat", JsonParser.class);
        method.setAccessible(true);
        // invokeExact with the exact types boxes nothing, so the bytes counted are the parser's own.
        MethodHandle readFloat = MethodHandles.lookup().unreflect(method);
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        JsonFactory factory = new JsonFactory();
        for (String name : args) {
            byte[] body = Files.readAllBytes(Path.of(name));
            for (int round = 0; round < 4; round++) {
                for (int mode = 0; mode < 2; mode++) {
                    int n = 20_000;
                    float sink = 0;
                    long bytes = threads.getCurrentThreadAllocatedBytes();
                    long t0 = System.nanoTime();
                    for (int i = 0; i < n; i++) {
                        try (JsonParser p = factory.createParser(body)) {
                            p.nextToken(); // {
                            p.nextToken(); // "pixels"
                            p.nextToken(); // [
                            for (JsonToken t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                                sink += mode == 0 ? (float) p.getDoubleValue() : (float) readFloat.invokeExact(p);
                            }
                        }
                    }
                    double micros = (System.nanoTime() - t0) / 1e3 / n;
                    double kb = (threads.getCurrentThreadAllocatedBytes() - bytes) / 1024.0 / n;
                    // The first round warms the compiler up and is not printed.
                    if (round > 0) {
                        System.out.printf("%s, %s: %.1f kB and %.1f µs per body (sum %.1f)%n", Path.of(name).getFileName(),
                                mode == 0 ? "getDoubleValue" : "JsonNumbers", kb, micros, sink);
                    }
                }
            }
        }
    }
}
