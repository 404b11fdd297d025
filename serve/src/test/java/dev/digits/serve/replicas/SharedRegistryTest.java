package dev.digits.serve.replicas;

import com.fasterxml.jackson.databind.JsonNode;
import dev.digits.serve.DigitsServer;
import dev.digits.serve.Http;
import dev.digits.serve.ServerConfig;
import dev.digits.serve.TestModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two servers sharing one registry in a real PostgreSQL on loopback: what is uploaded, activated or rolled back
 * through one replica is served by the other within 2 s, without a restart; uploads through both at once get
 * distinct version numbers; downloads are the same bytes with the same ETag whichever replica answers.
 */
class SharedRegistryTest {
    private static final String TOKEN = "shared-registry-token-0123456789";
    private static final String[] AUTH = {"Authorization", "Bearer " + TOKEN};
    /** The acceptance bound for a change to reach every replica. */
    private static final long CONVERGE_MILLIS = 2000;

    private static PostgresServer pg;
    private static DigitsServer a;
    private static DigitsServer b;
    private static byte[] secondZip;

    @BeforeAll
    static void start() throws Exception {
        TestModels.ensureEmbeddedModel();
        secondZip = TestModels.zip(TestModels.secondModel());
        pg = PostgresServer.start();
        a = replica();
        b = replica();
    }

    private static DigitsServer replica() throws Exception {
        return DigitsServer.start(ServerConfig.builder().host("127.0.0.1").port(0).accessLog(false).adminToken(TOKEN)
                .registry(pg.url()).build());
    }

    @AfterAll
    static void stop() throws Exception {
        if (a != null) a.close();
        if (b != null) b.close();
        if (pg != null) pg.close();
    }

    private static int servedVersion(DigitsServer s) {
        Http.Response r = new Http(s).post("/api/v1/predict", "image/png", TestModels.mnistPng(0));
        assertEquals(200, r.status, r.text());
        return r.json().get("model").get("version").asInt();
    }

    /** Milliseconds until {@code condition} holds on {@code s}; fails beyond the acceptance bound. */
    private static long until(DigitsServer s, Predicate<DigitsServer> condition, String what) throws InterruptedException {
        long start = System.nanoTime();
        while (!condition.test(s)) {
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(ms < CONVERGE_MILLIS, what + " after " + ms + " ms");
            Thread.sleep(20);
        }
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static List<Integer> versions(DigitsServer s) {
        JsonNode m = new Http(s).get("/api/v1/models/cnn").json();
        List<Integer> out = new ArrayList<>();
        for (JsonNode v : m.get("versions")) out.add(v.get("version").asInt());
        return out;
    }

    @Test
    void uploadsActivationsAndRollbacksOnOneReplicaReachTheOtherWithinTwoSeconds() throws Exception {
        // The first replica seeded the empty registry with the embedded model (version 1); the second found it there.
        assertTrue(versions(b).contains(1));
        assertEquals(servedVersion(a), servedVersion(b));
        for (DigitsServer s : new DigitsServer[] {a, b}) assertEquals(200, new Http(s).get("/v2/health/ready").status);

        Http.Response up = new Http(a).post("/api/v1/admin/models/cnn/versions", "application/zip", secondZip, AUTH);
        assertEquals(201, up.status, up.text());
        int uploaded = up.json().get("version").asInt();
        assertEquals(uploaded, servedVersion(a));
        long took = until(b, s -> servedVersion(s) == uploaded, "replica b still serves the old version");
        System.out.println("upload through a served by b after " + took + " ms");

        // A rollback goes to the highest version below the latest.
        int previous = versions(b).stream().filter(v -> v < uploaded).max(Integer::compare).orElseThrow();
        Http.Response back = new Http(b).post("/api/v1/admin/models/cnn/rollback", null, new byte[0], AUTH);
        assertEquals(200, back.status, back.text());
        assertEquals(previous, servedVersion(b));
        took = until(a, s -> servedVersion(s) == previous, "replica a still serves the rolled-back version");
        System.out.println("rollback through b served by a after " + took + " ms");

        // Same file, same ETag, whichever replica answers.
        String path = "/api/v1/models/cnn/versions/" + uploaded + "/files/weights.safetensors";
        Http.Response fromA = new Http(a).get(path);
        Http.Response fromB = new Http(b).get(path);
        assertEquals(200, fromA.status);
        assertEquals(fromA.header("ETag"), fromB.header("ETag"));
        assertTrue(java.util.Arrays.equals(fromA.body, fromB.body));
        assertEquals(304, new Http(b).get(path, "If-None-Match", fromA.header("ETag")).status);

        for (DigitsServer s : new DigitsServer[] {a, b}) {
            Http.Response infer = new Http(s).postJson("/v2/models/cnn/infer", java.util.Map.of("inputs", List.of(java.util.Map.of(
                    "name", "input", "shape", List.of(1, 784), "datatype", "FP32", "data", new float[784]))));
            assertEquals(200, infer.status, infer.text());
            assertEquals(10, infer.json().get("outputs").get(0).get("data").size(), infer.text());
        }
    }

    @Test
    void uploadsThroughBothReplicasAtOnceGetDistinctNumbersAndBothReachBoth() throws Exception {
        List<Integer> before = versions(a);
        CompletableFuture<Http.Response> ua = CompletableFuture.supplyAsync(() ->
                new Http(a).post("/api/v1/admin/models/cnn/versions?activate=false", "application/zip", secondZip, AUTH));
        CompletableFuture<Http.Response> ub = CompletableFuture.supplyAsync(() ->
                new Http(b).post("/api/v1/admin/models/cnn/versions?activate=false", "application/zip", secondZip, AUTH));
        Http.Response ra = ua.get();
        Http.Response rb = ub.get();
        assertEquals(201, ra.status, ra.text());
        assertEquals(201, rb.status, rb.text());
        int va = ra.json().get("version").asInt();
        int vb = rb.json().get("version").asInt();
        assertNotEquals(va, vb, "two uploads cannot both be version " + va);
        List<Integer> expected = new ArrayList<>(before);
        expected.add(Math.min(va, vb));
        expected.add(Math.max(va, vb));
        for (DigitsServer s : new DigitsServer[] {a, b}) until(s, x -> versions(x).equals(expected), "versions " + versions(s));
        try (Connection c = DriverManager.getConnection(pg.url()); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM versions WHERE model = 'cnn'")) {
            rs.next();
            assertEquals(expected.size(), rs.getInt(1));
        }
    }

    @Test
    void theFirstReplicaOnAnEmptyRegistrySeedsItFromItsModelsDirectory(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path models = dir.resolve("models");
        java.nio.file.Files.createDirectories(models);
        dev.digits.serve.registry.EmbeddedModel.copyTo(models.resolve("digits"));
        try (PostgresServer empty = PostgresServer.start();
             DigitsServer first = DigitsServer.start(ServerConfig.builder().host("127.0.0.1").port(0).accessLog(false)
                     .models(models).registry(empty.url()).build());
             DigitsServer second = DigitsServer.start(ServerConfig.builder().host("127.0.0.1").port(0).accessLog(false)
                     .registry(empty.url()).build())) {
            for (DigitsServer s : new DigitsServer[] {first, second}) {
                JsonNode m = new Http(s).get("/api/v1/models/digits").json();
                assertEquals(1, m.get("versions").size(), m.toString());
            }
            assertEquals(new Http(first).get("/api/v1/models/digits/versions/1/files/weights.safetensors").header("ETag"),
                    new Http(second).get("/api/v1/models/digits/versions/1/files/weights.safetensors").header("ETag"));
        }
    }
}
