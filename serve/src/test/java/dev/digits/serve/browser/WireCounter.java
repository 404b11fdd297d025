package dev.digits.serve.browser;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A TCP relay on loopback in front of a server that counts the bytes the server sends to the browser — status lines,
 * headers and bodies as they travel, compressed or not — and notes the request lines the browser sends. The browser
 * talks to {@link #uri()}; whatever fetched a file (the page, a service worker, the HTTP cache revalidating) is
 * counted, which DevTools' network events are not guaranteed to see.
 */
final class WireCounter implements AutoCloseable {
    /** A request line of HTTP/1.1, as the browser writes it to a plain-HTTP loopback server. */
    private static final Pattern REQUEST_LINE = Pattern.compile("(GET|HEAD|POST|PUT|DELETE|OPTIONS) (\\S+) HTTP/1\\.1\r\n");

    private final ServerSocket listener;
    private final int upstreamPort;
    private final AtomicLong received = new AtomicLong();
    private final List<String> requests = new CopyOnWriteArrayList<>();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    WireCounter(int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::accept, "wire-counter");
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Where the browser is sent instead of the server. */
    URI uri() {
        return URI.create("http://127.0.0.1:" + listener.getLocalPort() + "/");
    }

    /** Bytes the server sent since the last {@link #reset}. */
    long bytesToBrowser() {
        return received.get();
    }

    /** {@code "GET /path"} for each request since the last {@link #reset}, in the order they arrived. */
    List<String> requests() {
        return new ArrayList<>(requests);
    }

    /** Starts counting afresh (connections already open stay open and keep being counted). */
    void reset() {
        received.set(0);
        requests.clear();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket browser = listener.accept();
                Socket server = new Socket();
                server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort));
                sockets.add(browser);
                sockets.add(server);
                pump(browser, server, false);
                pump(server, browser, true);
            } catch (IOException e) {
                if (!listener.isClosed()) throw new IllegalStateException("the relay failed", e);
            }
        }
    }

    private void pump(Socket from, Socket to, boolean toBrowser) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[64 * 1024];
            StringBuilder unscanned = new StringBuilder();
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                for (int n; (n = in.read(buffer)) > 0; ) {
                    if (toBrowser) {
                        received.addAndGet(n);
                    } else {
                        // A request line may arrive split over two reads: the text after the last one found is kept
                        // (bounded) for the next read.
                        unscanned.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
                        Matcher m = REQUEST_LINE.matcher(unscanned);
                        int end = -1;
                        while (m.find()) {
                            requests.add(m.group(1) + " " + m.group(2));
                            end = m.end();
                        }
                        if (end >= 0) unscanned.delete(0, end);
                        if (unscanned.length() > 8192) unscanned.delete(0, unscanned.length() - 8192);
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // one side closed: so does the other
            } finally {
                close(from);
                close(to);
            }
        }, "wire-counter-" + (toBrowser ? "down" : "up"));
        t.setDaemon(true);
        t.start();
    }

    private static void close(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket s : sockets) close(s);
    }
}
