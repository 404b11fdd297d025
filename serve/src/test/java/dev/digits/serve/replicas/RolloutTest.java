package dev.digits.serve.replicas;

import dev.digits.serve.DigitsServer;
import dev.digits.serve.Http;
import dev.digits.serve.ServerConfig;
import dev.digits.serve.TestModels;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A rollout as a team runs it: three replicas on one PostgreSQL registry behind nginx, clients predicting through
 * nginx the whole time, a new version uploaded and activated through one replica and rolled back through another.
 * No request may fail, and every replica must end on the same version.
 */
class RolloutTest {
    private static final String TOKEN = "rollout-token-0123456789abcdef";
    private static final String[] AUTH = {"Authorization", "Bearer " + TOKEN};

    private static int served(DigitsServer s) {
        Http.Response r = new Http(s).post("/api/v1/predict", "image/png", TestModels.mnistPng(1));
        return r.status == 200 ? r.json().get("model").get("version").asInt() : -r.status;
    }

    private static void untilAll(List<DigitsServer> replicas, int version) throws InterruptedException {
        long start = System.nanoTime();
        for (DigitsServer s : replicas) {
            while (served(s) != version) {
                assertTrue(System.nanoTime() - start < 2_000_000_000L, "replica " + s.port() + " serves " + served(s) + ", not " + version);
                Thread.sleep(20);
            }
        }
    }

    @Test
    void aRolloutAndARollbackUnderLoadThroughNginxFailNoRequest() throws Exception {
        TestModels.ensureEmbeddedModel();
        byte[] second = TestModels.zip(TestModels.secondModel());
        List<DigitsServer> replicas = new ArrayList<>();
        try (PostgresServer pg = PostgresServer.start()) {
            try {
                for (int i = 0; i < 3; i++) {
                    replicas.add(DigitsServer.start(ServerConfig.builder().host("127.0.0.1").port(0).accessLog(false)
                            .adminToken(TOKEN).registry(pg.url()).build()));
                }
                List<Integer> ports = new ArrayList<>();
                for (DigitsServer s : replicas) ports.add(s.port());
                try (NginxServer nginx = NginxServer.start(ports)) {
                    AtomicBoolean running = new AtomicBoolean(true);
                    AtomicInteger ok = new AtomicInteger();
                    Map<String, Integer> failures = new ConcurrentHashMap<>();
                    Map<Integer, Integer> versionsSeen = new ConcurrentHashMap<>();
                    byte[] png = TestModels.mnistPng(3);
                    List<Thread> clients = new ArrayList<>();
                    for (int c = 0; c < 4; c++) {
                        Thread t = new Thread(() -> {
                            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                            HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nginx.port() + "/api/v1/predict"))
                                    .header("Content-Type", "image/png").POST(HttpRequest.BodyPublishers.ofByteArray(png)).build();
                            while (running.get()) {
                                try {
                                    HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                                    if (r.statusCode() == 200) {
                                        ok.incrementAndGet();
                                        int v = Integer.parseInt(r.body().replaceAll("(?s).*\"version\":(\\d+).*", "$1"));
                                        versionsSeen.merge(v, 1, Integer::sum);
                                    } else {
                                        failures.merge("HTTP " + r.statusCode() + ": " + r.body(), 1, Integer::sum);
                                    }
                                } catch (Exception e) {
                                    failures.merge(e.toString(), 1, Integer::sum);
                                }
                            }
                        });
                        t.start();
                        clients.add(t);
                    }
                    Thread.sleep(500);
                    Http.Response up = new Http(replicas.get(0)).post("/api/v1/admin/models/cnn/versions", "application/zip", second, AUTH);
                    assertEquals(201, up.status, up.text());
                    int uploaded = up.json().get("version").asInt();
                    untilAll(replicas, uploaded);
                    Thread.sleep(500);
                    Http.Response back = new Http(replicas.get(1)).post("/api/v1/admin/models/cnn/rollback", null, new byte[0], AUTH);
                    assertEquals(200, back.status, back.text());
                    untilAll(replicas, 1);
                    Thread.sleep(500);
                    running.set(false);
                    for (Thread t : clients) t.join(10_000);
                    System.out.println("rollout through nginx: " + ok.get() + " requests answered, versions seen " + versionsSeen
                            + ", failures " + failures);
                    assertTrue(failures.isEmpty(), "failed requests: " + failures);
                    assertTrue(ok.get() > 100, ok.get() + " requests");
                    assertTrue(versionsSeen.containsKey(uploaded) && versionsSeen.containsKey(1), versionsSeen.toString());
                    for (DigitsServer s : replicas) assertEquals(1, s.models().registry().model("cnn").latest());
                }
            } finally {
                for (DigitsServer s : replicas) s.close();
            }
        }
    }
}
