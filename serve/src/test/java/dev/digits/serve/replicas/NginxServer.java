package dev.digits.serve.replicas;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Debian's nginx on loopback as the load balancer in front of replicas, with its own configuration in a temporary
 * directory (one process, in the foreground): round robin over the upstreams, a request that finds a replica
 * unreachable retried on the next one, as a production configuration would. Stopped and deleted on close.
 */
public final class NginxServer implements AutoCloseable {
    private final Process process;
    private final Path dir;
    private final int port;

    private NginxServer(Process process, Path dir, int port) {
        this.process = process;
        this.dir = dir;
        this.port = port;
    }

    /** Starts nginx balancing over {@code upstreamPorts} on 127.0.0.1. */
    public static NginxServer start(List<Integer> upstreamPorts) throws IOException, InterruptedException {
        Path nginx = Path.of("/usr/sbin/nginx");
        if (!Files.isExecutable(nginx)) {
            throw new IllegalStateException("nginx is not installed (Debian package nginx; run-tests installs it)");
        }
        Path dir = Files.createTempDirectory("digits-nginx-");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        StringBuilder servers = new StringBuilder();
        for (int p : upstreamPorts) servers.append("    server 127.0.0.1:").append(p).append(";\n");
        String conf = "daemon off;\nmaster_process off;\nworker_processes 1;\npid " + dir.resolve("nginx.pid") + ";\n"
                + "error_log " + dir.resolve("error.log") + " warn;\n"
                + "events { worker_connections 1024; }\n"
                + "http {\n"
                + "  access_log off;\n"
                + "  client_body_temp_path " + dir.resolve("body") + ";\n"
                + "  proxy_temp_path " + dir.resolve("proxy") + ";\n"
                + "  fastcgi_temp_path " + dir.resolve("fastcgi") + ";\n  uwsgi_temp_path " + dir.resolve("uwsgi") + ";\n"
                + "  scgi_temp_path " + dir.resolve("scgi") + ";\n"
                + "  client_max_body_size 64m;\n"
                + "  upstream digits {\n" + servers + "    keepalive 16;\n  }\n"
                + "  server {\n"
                + "    listen 127.0.0.1:" + port + ";\n"
                + "    location / {\n"
                + "      proxy_pass http://digits;\n"
                + "      proxy_http_version 1.1;\n"
                + "      proxy_set_header Connection \"\";\n"
                + "      proxy_next_upstream error timeout;\n"
                + "    }\n"
                + "  }\n"
                + "}\n";
        Path file = dir.resolve("nginx.conf");
        Files.writeString(file, conf);
        Process p = new ProcessBuilder(nginx.toString(), "-c", file.toString(), "-p", dir.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
        NginxServer n = new NginxServer(p, dir, port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return n;
            } catch (IOException notYet) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    String log = Files.exists(dir.resolve("error.log")) ? Files.readString(dir.resolve("error.log")) : "";
                    n.close();
                    throw new IOException("nginx did not start: " + Files.readString(dir.resolve("stdout.log")) + log);
                }
                Thread.sleep(20);
            }
        }
    }

    /** The port it listens on. */
    public int port() {
        return port;
    }

    @Override
    public void close() throws IOException {
        process.destroy();
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path f : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) Files.deleteIfExists(f);
        }
    }
}
