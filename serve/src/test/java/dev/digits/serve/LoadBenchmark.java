package dev.digits.serve;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Load benchmark for PNG predictions: N connections, each sending {@code POST /api/v1/predict} with a multipart
 * {@code image} field holding a 28×28 MNIST test PNG (100 different ones in turn), one request after another over a
 * kept-alive connection (a closed loop, as wrk does). Reports requests per second and the 50th and 99th percentile
 * latency for each connection count.
 *
 * <pre>
 * mvn -q -o -pl serve test-compile dependency:build-classpath -Dmdep.outputFile=target/test-classpath.txt \
 *     -Dmdep.includeScope=test
 * java -cp serve/target/test-classes:serve/target/classes:$(cat serve/target/test-classpath.txt) \
 *     -Ddigits.data=../shared/data/mnist dev.digits.serve.LoadBenchmark [options]
 *
 *   --url URL              benchmark a running server (default: start one in this JVM, embedded model)
 *   --connections 1,16,64  connection counts to run, in order
 *   --seconds 10           measured seconds per connection count (after --warmup seconds)
 *   --warmup 3
 *   --route /api/v1/predict | /mnist | /health (GET: the cost of HTTP alone)
 *   --serve-only           start the server and wait (to drive it with wrk instead)
 *   --port 8080            port for the started server (default: a free one)
 *   --access-log           keep the per-request access log on in the started server (default off)
 *   --inference-threads N  inference threads of the started server (default: its default)
 *   --wrk-script FILE      write a wrk Lua script posting the same multipart PNG, then exit
 * </pre>
 *
 * The same load from wrk (Debian package {@code wrk}), against a server started by this class or by
 * {@code digits serve}:
 * <pre>
 * java ... dev.digits.serve.LoadBenchmark --wrk-script target/predict-png.lua
 * java ... dev.digits.serve.LoadBenchmark --serve-only --port 8080 --access-log &amp;
 * wrk -t1 -c1 -d15s --latency -s target/predict-png.lua http://127.0.0.1:8080
 * wrk -t2 -c16 -d15s --latency -s target/predict-png.lua http://127.0.0.1:8080
 * wrk -t2 -c64 -d15s --latency -s target/predict-png.lua http://127.0.0.1:8080
 * </pre>
 *
 * The client side writes pre-built requests and parses only the status line and Content-Length, so that on a
 * small machine as little CPU as possible goes to the load generator rather than the server. The last column is the
 * CPU time this JVM spent per request (server and load generator together when the server runs in-process): unlike
 * requests per second it does not depend on what else the machine is running.
 */
public final class LoadBenchmark {
    private LoadBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        String url = null;
        List<Integer> connections = List.of(1, 16, 64);
        int seconds = 10;
        int warmup = 3;
        String route = "/api/v1/predict";
        boolean serveOnly = false;
        boolean accessLog = false;
        int port = 0;
        Integer inferenceThreads = null;
        Path wrkScript = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--url": url = args[++i]; break;
                case "--connections":
                    connections = new ArrayList<>();
                    for (String c : args[++i].split(",")) connections.add(Integer.parseInt(c.trim()));
                    break;
                case "--seconds": seconds = Integer.parseInt(args[++i]); break;
                case "--warmup": warmup = Integer.parseInt(args[++i]); break;
                case "--route": route = args[++i]; break;
                case "--serve-only": serveOnly = true; break;
                case "--access-log": accessLog = true; break;
                case "--port": port = Integer.parseInt(args[++i]); break;
                case "--wrk-script": wrkScript = Path.of(args[++i]); break;
                case "--inference-threads": inferenceThreads = Integer.parseInt(args[++i]); break;
                default:
                    System.err.println("unknown option " + args[i] + "; see the class documentation");
                    System.exit(2);
            }
        }
        String field = route.equals("/mnist") ? "mnist_image" : "image";
        if (wrkScript != null) {
            Files.writeString(wrkScript, wrkLua(route, field, TestModels.mnistPng(0)));
            System.out.println("wrote " + wrkScript + "; run: wrk -t2 -c64 -d10s --latency -s " + wrkScript + " http://localhost:8080");
            return;
        }
        DigitsServer server = null;
        if (url == null) {
            TestModels.ensureEmbeddedModel();
            ServerConfig.Builder config = ServerConfig.builder().host("127.0.0.1").port(port).accessLog(accessLog);
            if (inferenceThreads != null) config.inferenceThreads(inferenceThreads);
            server = DigitsServer.start(config.build());
            url = "http://127.0.0.1:" + server.port();
            System.out.println("server started at " + url);
            if (serveOnly) {
                Thread.currentThread().join();
            }
        }
        URI target = URI.create(url);
        List<byte[]> requests = new ArrayList<>();
        for (int i = 0; i < 100; i++) requests.add(request(target, route, field, TestModels.mnistPng(i)));
        System.out.printf(Locale.ROOT, "POST %s with a 28x28 MNIST PNG (multipart), %d s per run after %d s warm-up, %d cores%n",
                route, seconds, warmup, Runtime.getRuntime().availableProcessors());
        System.out.println("| connections | requests/s | p50 ms | p99 ms | errors | CPU ms/request | load generator CPU ms/request |");
        System.out.println("|---:|---:|---:|---:|---:|---:|---:|");
        try {
            for (int c : connections) {
                run(target, requests, c, warmup);
                Result r = run(target, requests, c, seconds);
                System.out.printf(Locale.ROOT, "| %d | %.0f | %.2f | %.2f | %d | %.3f | %.3f |%n", c, r.throughput, r.p50,
                        r.p99, r.errors, r.cpuMillisPerRequest, r.clientCpuMillisPerRequest);
            }
        } finally {
            if (server != null) server.close();
        }
    }

    static final class Result {
        double throughput;
        double p50;
        double p99;
        long errors;
        /** CPU time of this whole JVM per request: server and load generator when the server runs in-process. */
        double cpuMillisPerRequest;
        /** CPU time of the load generator's own threads per request. */
        double clientCpuMillisPerRequest;
    }

    static Result run(URI target, List<byte[]> requests, int connections, int seconds) throws InterruptedException {
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        long[][] latencies = new long[connections][];
        int[] counts = new int[connections];
        AtomicLong clientCpu = new AtomicLong();
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        AtomicLong errors = new AtomicLong();
        CountDownLatch done = new CountDownLatch(connections);
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long cpuStart = os.getProcessCpuTime();
        long start = System.nanoTime();
        for (int c = 0; c < connections; c++) {
            int id = c;
            Thread t = new Thread(() -> {
                long[] lat = new long[1 << 16];
                int n = 0;
                int next = id;
                Socket socket = null;
                InputStream in = null;
                try {
                    while (System.nanoTime() < end) {
                        try {
                            if (socket == null) {
                                socket = open(target);
                                in = new BufferedInputStream(socket.getInputStream(), 8192);
                            }
                            byte[] req = requests.get(next++ % requests.size());
                            long t0 = System.nanoTime();
                            int status = exchange(socket, in, req);
                            long t1 = System.nanoTime();
                            if (status != 200) errors.incrementAndGet();
                            if (n == lat.length) lat = Arrays.copyOf(lat, n * 2);
                            lat[n++] = t1 - t0;
                        } catch (IOException e) {
                            errors.incrementAndGet();
                            close(socket);
                            socket = null;
                        }
                    }
                } finally {
                    close(socket);
                    clientCpu.addAndGet(threads.getCurrentThreadCpuTime());
                    latencies[id] = lat;
                    counts[id] = n;
                    done.countDown();
                }
            }, "load-" + c);
            t.setDaemon(true);
            t.start();
        }
        done.await();
        double elapsed = (System.nanoTime() - start) / 1e9;
        long cpu = os.getProcessCpuTime() - cpuStart;
        int total = 0;
        for (int n : counts) total += n;
        long[] all = new long[total];
        int at = 0;
        for (int c = 0; c < connections; c++) {
            System.arraycopy(latencies[c], 0, all, at, counts[c]);
            at += counts[c];
        }
        Arrays.sort(all);
        Result r = new Result();
        r.throughput = total / elapsed;
        r.p50 = total == 0 ? Double.NaN : all[(int) (total * 0.50)] / 1e6;
        r.p99 = total == 0 ? Double.NaN : all[Math.min(total - 1, (int) (total * 0.99))] / 1e6;
        r.errors = errors.get();
        r.cpuMillisPerRequest = total == 0 ? Double.NaN : cpu / 1e6 / total;
        r.clientCpuMillisPerRequest = total == 0 ? Double.NaN : clientCpu.get() / 1e6 / total;
        return r;
    }

    private static Socket open(URI target) throws IOException {
        Socket s = new Socket(target.getHost(), target.getPort());
        s.setTcpNoDelay(true);
        return s;
    }

    private static void close(Socket s) {
        if (s == null) return;
        try {
            s.close();
        } catch (IOException e) {
            // Closing a broken connection: nothing left to do.
        }
    }

    /** Sends one request and reads the whole response from {@code in} (the socket's, buffered); returns its status. */
    private static int exchange(Socket socket, InputStream in, byte[] request) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(request);
        out.flush();
        String statusLine = line(in);
        int status = Integer.parseInt(statusLine.substring(9, 12));
        int length = -1;
        for (String h; !(h = line(in)).isEmpty(); ) {
            if (h.regionMatches(true, 0, "Content-Length:", 0, 15)) length = Integer.parseInt(h.substring(15).trim());
        }
        if (length < 0) throw new IOException("response without Content-Length");
        for (int left = length; left > 0; ) {
            long skipped = in.skip(left);
            if (skipped <= 0) {
                if (in.read() < 0) throw new IOException("connection closed mid-response");
                skipped = 1;
            }
            left -= skipped;
        }
        return status;
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int b; (b = in.read()) != '\n'; ) {
            if (b < 0) throw new IOException("connection closed");
            if (b != '\r') sb.append((char) b);
        }
        return sb.toString();
    }

    private static byte[] request(URI target, String route, String field, byte[] png) {
        if (route.equals("/health")) {
            return ("GET /health HTTP/1.1\r\nHost: " + target.getHost() + ":" + target.getPort() + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
        }
        String boundary = "----digitsbench";
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + field
                + "\"; filename=\"digit.png\"\r\nContent-Type: image/png\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        body.writeBytes(png);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        byte[] b = body.toByteArray();
        ByteArrayOutputStream req = new ByteArrayOutputStream();
        req.writeBytes(("POST " + route + " HTTP/1.1\r\nHost: " + target.getHost() + ":" + target.getPort()
                + "\r\nContent-Type: multipart/form-data; boundary=" + boundary + "\r\nContent-Length: " + b.length
                + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        req.writeBytes(b);
        return req.toByteArray();
    }

    /** A wrk script posting the multipart PNG; the PNG travels as a Lua string of decimal escapes. */
    static String wrkLua(String route, String field, byte[] png) {
        StringBuilder bytes = new StringBuilder();
        for (byte x : png) bytes.append('\\').append(x & 0xFF);
        return "-- POST " + route + " with a 28x28 MNIST PNG as multipart field '" + field + "'.\n"
                + "local boundary = \"----digitsbench\"\n"
                + "local png = \"" + bytes + "\"\n"
                + "wrk.method = \"POST\"\n"
                + "wrk.path = \"" + route + "\"\n"
                + "wrk.headers[\"Content-Type\"] = \"multipart/form-data; boundary=\" .. boundary\n"
                + "wrk.body = \"--\" .. boundary .. \"\\r\\nContent-Disposition: form-data; name=\\\"" + field
                + "\\\"; filename=\\\"digit.png\\\"\\r\\nContent-Type: image/png\\r\\n\\r\\n\" .. png .. \"\\r\\n--\" .. boundary .. \"--\\r\\n\"\n"
                + "function done(summary, latency, requests)\n"
                + "  io.write(string.format(\"requests/s %.0f  p50 %.2f ms  p99 %.2f ms  errors %d\\n\",\n"
                + "    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,\n"
                + "    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))\n"
                + "end\n";
    }
}
