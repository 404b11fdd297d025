package dev.digits.serve;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Uploads that are the client's mistake — or its attack — answer 4xx with a message naming the problem and no server
 * path, never 500, and the server goes on serving the version it had: a file and a directory of the same name, names
 * longer than file systems allow, a spec nested 100,000 levels deep, absurd layer sizes, truncated weights, a
 * safetensors header that lies about its length, eleven labels for ten outputs, a card without the weights digest.
 */
class MalformedUploadTest {
    private static final String TOKEN = "malformed-upload-token-0123456789";

    private static Map<String, byte[]> files;

    @TempDir
    Path root;
    private DigitsServer server;
    private Http http;

    @BeforeAll
    static void readTheEmbeddedModel() throws Exception {
        TestModels.ensureEmbeddedModel();
        files = new LinkedHashMap<>();
        for (Map.Entry<String, Path> f : TestModels.servedFiles(TestModels.embeddedModel()).entrySet()) {
            files.put(f.getKey(), Files.readAllBytes(f.getValue()));
        }
    }

    @BeforeEach
    void start() throws Exception {
        server = DigitsServer.start(ServerConfig.builder().port(0).accessLog(false).models(root).adminToken(TOKEN).build());
        http = new Http(server);
    }

    @AfterEach
    void stop() {
        if (server != null) server.close();
    }

    @Test
    void aFileAndADirectoryOfTheSameName() throws IOException {
        refused(with(m -> {
            m.put("export/extra", new byte[] {1});
            m.put("export/extra/inside", new byte[] {2});
            return m;
        }));
    }

    @Test
    void aNameLongerThanFileSystemsAllow() throws IOException {
        refused(with(m -> {
            m.put("export/" + "n".repeat(300) + ".bin", new byte[] {1});
            return m;
        }));
    }

    @Test
    void aSpecNestedOneHundredThousandDeep() throws IOException {
        String detail = refused(with(m -> {
            m.put("spec.json", ("{\"layers\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}")
                    .getBytes(StandardCharsets.UTF_8));
            return m;
        }));
        assertTrue(detail.contains("nested deeper than"), detail);
    }

    @Test
    void aDenseLayerOfABillionUnits() throws IOException {
        String detail = refused(with(m -> {
            String spec = new String(m.get("spec.json"), StandardCharsets.UTF_8);
            m.put("spec.json", spec.replaceFirst("\"units\"\\s*:\\s*\\d+", "\"units\": 1000000000")
                    .getBytes(StandardCharsets.UTF_8));
            return m;
        }));
        assertTrue(detail.contains("spec.json needs"), detail);
    }

    @Test
    void truncatedWeights() throws IOException {
        refused(with(m -> {
            byte[] w = m.get("weights.safetensors");
            m.put("weights.safetensors", java.util.Arrays.copyOf(w, w.length / 2));
            return m;
        }));
    }

    @Test
    void aSafetensorsHeaderThatLiesAboutItsLength() throws IOException {
        refused(with(m -> {
            byte[] w = m.get("weights.safetensors").clone();
            for (int i = 0; i < 8; i++) w[i] = (byte) 0x7f;
            m.put("weights.safetensors", w);
            return m;
        }));
    }

    @Test
    void elevenLabelsForTenOutputs() throws IOException {
        String detail = refused(with(m -> {
            String card = new String(m.get("model-card.json"), StandardCharsets.UTF_8);
            m.put("model-card.json", card.replaceFirst("\"9\"\\s*\\]", "\"9\", \"10\"]").getBytes(StandardCharsets.UTF_8));
            return m;
        }));
        assertTrue(detail.contains("11 labels"), detail);
    }

    @Test
    void aCardWithoutTheWeightsDigest() throws IOException {
        String detail = refused(with(m -> {
            String card = new String(m.get("model-card.json"), StandardCharsets.UTF_8);
            m.put("model-card.json", card.replaceFirst("\"weightsSha256\"\\s*:\\s*\"[0-9a-f]+\",?", "")
                    .getBytes(StandardCharsets.UTF_8));
            return m;
        }));
        assertTrue(detail.contains("weightsSha256"), detail);
    }

    /**
     * Not the client's fault but the server's storage (here a file where the new model's directory must go): 500 with
     * the cause named, no path, and the server goes on serving.
     */
    @Test
    void aModelsDirectoryThatCannotBeWrittenIsNamedAsTheCauseWithoutItsPath() throws IOException {
        Files.writeString(root.resolve("other"), "in the way");
        Http.Response r = http.post("/api/v1/admin/models/other/versions", "application/zip", with(m -> m),
                "Authorization", "Bearer " + TOKEN);
        assertEquals(500, r.status, r.text());
        String detail = r.json().get("detail").asText();
        assertTrue(detail.contains("cannot write its models directory (creating a staging directory"),
                detail);
        assertFalse(detail.contains(root.toString()), detail);
        assertEquals(200, http.get("/health").status);
    }

    private static byte[] with(UnaryOperator<Map<String, byte[]>> change) throws IOException {
        Map<String, byte[]> m = change.apply(new LinkedHashMap<>(files));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> f : m.entrySet()) {
                zip.putNextEntry(new ZipEntry(f.getKey()));
                zip.write(f.getValue());
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** Uploads {@code zip}, asserts it is refused as it should be, and returns the answer's detail. */
    private String refused(byte[] zip) {
        Http.Response r = http.post("/api/v1/admin/models/cnn/versions", "application/zip", zip,
                "Authorization", "Bearer " + TOKEN);
        assertTrue(r.status >= 400 && r.status < 500, "a client's mistake answers 4xx: " + r);
        JsonNode body = r.json();
        String detail = body.get("detail").asText();
        assertFalse(detail.contains(root.toString()) || detail.contains(".upload-") || detail.contains("/tmp/"),
                "the answer names a server path: " + detail);
        assertEquals(1, server.models().registry().model("cnn").versions().size(), "nothing was added");
        assertEquals(200, http.get("/health").status, "the server goes on serving");
        return detail;
    }
}
