package dev.digits.convert.tfjs;

import dev.digits.convert.Sources;
import dev.digits.convert.ExportOptions;
import dev.digits.convert.Quantization;
import dev.digits.convert.UnsupportedModelException;
import dev.digits.core.json.Json;
import dev.digits.train.TrainedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static dev.digits.convert.tfjs.ReferenceCheck.images;
import static dev.digits.convert.tfjs.ReferenceCheck.maxDifference;
import static dev.digits.convert.tfjs.ReferenceCheck.randomModel;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The files the exporter writes (model.json, shards, quantized values) and its errors. */
class TfjsFilesTest {
    private static final String CNN = "{\"name\": \"small\", \"input\": [28, 28, 1], \"layers\": ["
            + "{\"type\": \"conv2d\", \"filters\": 8, \"kernel\": 3, \"activation\": \"relu\"},"
            + "{\"type\": \"maxpool2d\", \"pool\": 2},"
            + "{\"type\": \"flatten\"},"
            + "{\"type\": \"dense\", \"units\": 10, \"activation\": \"softmax\"}]}";
    /** 784 × 1400 float32 weights: just over the converter's 4 MiB shard size. */
    private static final String WIDE = "{\"name\": \"wide\", \"input\": [28, 28, 1], \"layers\": ["
            + "{\"type\": \"flatten\"},"
            + "{\"type\": \"dense\", \"units\": 1400, \"activation\": \"relu\"},"
            + "{\"type\": \"dense\", \"units\": 10, \"activation\": \"softmax\"}]}";

    @TempDir
    Path dir;

    private static TreeSet<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    @Test
    void uint8AffineQuantizationKeepsZeroExactAndErrsAtMostHalfAStep() {
        Random rng = new Random(3);
        float[] w = new float[1000];
        for (int i = 0; i < w.length; i++) w[i] = (float) rng.nextGaussian() * 0.2f + 0.05f;
        w[10] = 0;
        WeightShards.AffineUint8 q = WeightShards.AffineUint8.of(w);
        assertEquals(0f, q.dequantize(q.quantize(0f)));
        for (float v : w) assertTrue(Math.abs(q.dequantize(q.quantize(v)) - v) <= q.scale / 2 + 1e-7, v + " at scale " + q.scale);
        WeightShards.AffineUint8 positive = WeightShards.AffineUint8.of(new float[] {0.5f, 1.5f, 2.5f});
        assertEquals(0.0, positive.min, "the range is widened to include zero");
    }

    @Test
    void modelJsonNamesTheConverterFieldsAndKerasLayoutsOfEveryWeight() throws IOException {
        try (TrainedModel model = randomModel(CNN, 5)) {
            Path file = dir.resolve("model.json");
            new TfjsExporter().export(Sources.of(model), ExportOptions.builder().build(), file);
            Map<String, Object> json = Json.parseObject(Files.readString(file, StandardCharsets.UTF_8));
            assertEquals("layers-model", json.get("format"));
            assertTrue(((String) json.get("convertedBy")).startsWith("Digits "));
            Map<?, ?> group = (Map<?, ?>) ((List<?>) json.get("weightsManifest")).get(0);
            assertEquals(List.of("group1-shard1of1.bin"), group.get("paths"));
            List<?> weights = (List<?>) group.get("weights");
            assertEquals(Map.of("name", "conv2d_1/kernel", "shape", List.of(3L, 3L, 1L, 8L), "dtype", "float32"), weights.get(0));
            assertEquals(Map.of("name", "dense_1/kernel", "shape", List.of(1352L, 10L), "dtype", "float32"), weights.get(2));
            assertEquals(new TreeSet<>(List.of("group1-shard1of1.bin", "model.json")), names(dir));
            assertEquals((8 * 9 + 8 + 1352 * 10 + 10) * 4L, Files.size(dir.resolve("group1-shard1of1.bin")));
        }
    }

    @Test
    void weightsOverFourMebibytesAreSplitIntoShardsThatTfjsJoinsAndAShorterExportRemovesTheStaleOnes() throws IOException {
        try (TrainedModel model = randomModel(WIDE, 9)) {
            Path file = dir.resolve("model.json");
            TfjsExporter exporter = new TfjsExporter();
            exporter.export(Sources.of(model), ExportOptions.builder().build(), file);
            assertEquals(new TreeSet<>(List.of("group1-shard1of2.bin", "group1-shard2of2.bin", "model.json")), names(dir));
            assertEquals(WeightShards.SHARD_BYTES, Files.size(dir.resolve("group1-shard1of2.bin")));
            float[] x = images(32, 784, 2);
            try (TfjsLoadedModel tfjs = TfjsRuntime.locate().load(file)) {
                float diff = maxDifference(model.predictBatch(x, 32), tfjs.predict(x, 32));
                assertTrue(diff <= 1e-5f, "largest probability difference " + diff);
            }
            exporter.export(Sources.of(model), ExportOptions.builder().quantization(Quantization.FLOAT16).build(), file);
            assertEquals(new TreeSet<>(List.of("group1-shard1of1.bin", "model.json")), names(dir),
                    "one float16 shard replaces the two float32 ones, and no temporary files remain");
        }
    }

    @Test
    void aModelJsonWithAnotherNamePrefixesItsShardsSoTwoExportsShareADirectory() throws IOException {
        try (TrainedModel model = randomModel(CNN, 5)) {
            TfjsExporter exporter = new TfjsExporter();
            exporter.export(Sources.of(model), ExportOptions.builder().build(), dir.resolve("small.json"));
            exporter.export(Sources.of(model), ExportOptions.builder().quantization(Quantization.FLOAT16).build(), dir.resolve("small-float16.json"));
            assertEquals(new TreeSet<>(List.of("small.group1-shard1of1.bin", "small.json",
                    "small-float16.group1-shard1of1.bin", "small-float16.json")), names(dir));
            float[] x = images(16, 784, 4);
            float[][] expected = model.predictBatch(x, 16);
            for (String name : List.of("small.json", "small-float16.json")) {
                try (TfjsLoadedModel tfjs = TfjsRuntime.locate().load(dir.resolve(name))) {
                    assertTrue(maxDifference(expected, tfjs.predict(x, 16)) <= 1e-2f, name);
                }
            }
        }
    }

    @Test
    void fullIntegerQuantizationIsRefusedNamingTheFormatsThatHaveIt() throws IOException {
        TfjsExporter exporter = new TfjsExporter();
        assertFalse(exporter.supports(Quantization.FULL_INT8));
        assertTrue(exporter.supports(Quantization.FLOAT16) && exporter.supports(Quantization.DYNAMIC_INT8));
        try (TrainedModel model = randomModel(CNN, 5)) {
            ExportOptions options = ExportOptions.builder().quantization(Quantization.FULL_INT8)
                    .representative(new dev.digits.core.data.ImageSet(28, 28, new byte[784], new int[] {0},
                            dev.digits.core.data.ImageSet.digitClasses())).build();
            UnsupportedModelException e = assertThrows(UnsupportedModelException.class,
                    () -> exporter.export(Sources.of(model), options, dir.resolve("model.json")));
            assertTrue(e.getMessage().contains("TFLite or ONNX"), e.getMessage());
        }
        assertEquals(List.of(), List.copyOf(names(dir)), "nothing is written");
    }

    @Test
    void aMissingShardFailsTheLoadWithTfjsOwnMessage() throws IOException {
        try (TrainedModel model = randomModel(CNN, 5)) {
            Path file = dir.resolve("model.json");
            new TfjsExporter().export(Sources.of(model), ExportOptions.builder().build(), file);
            Files.delete(dir.resolve("group1-shard1of1.bin"));
            IOException e = assertThrows(IOException.class, () -> TfjsRuntime.locate().load(file).close());
            assertTrue(e.getMessage().contains("tf.loadLayersModel could not load") && e.getMessage().contains("group1-shard1of1.bin"),
                    e.getMessage());
        }
    }

    @Test
    void aRuntimeDirectoryWithoutNodeModulesIsReportedWithTheInstallCommand() throws IOException {
        Path runtime = Files.createDirectories(dir.resolve("tfjs-runtime"));
        Files.writeString(runtime.resolve("run.mjs"), "// placeholder without its packages\n");
        String before = System.getProperty(TfjsRuntime.RUNTIME_PROPERTY);
        System.setProperty(TfjsRuntime.RUNTIME_PROPERTY, runtime.toString());
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, TfjsRuntime::locate);
            assertTrue(e.getMessage().contains("npm ci --prefix convert/tfjs-runtime"), e.getMessage());
        } finally {
            if (before == null) System.clearProperty(TfjsRuntime.RUNTIME_PROPERTY);
            else System.setProperty(TfjsRuntime.RUNTIME_PROPERTY, before);
        }
    }
}
