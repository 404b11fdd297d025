package dev.digits.convert.onnx;

import dev.digits.convert.Sources;
import dev.digits.core.artifact.ModelCard;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import dev.digits.convert.ExportOptions;
import dev.digits.core.json.Json;
import dev.digits.core.model.Architectures;
import dev.digits.train.TrainedModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What an ONNX file says about itself: opset, names, the input and output contract, and its metadata. */
class OnnxFileTest {
    @TempDir
    Path dir;

    private ModelProto export(String architecture, ExportOptions options) throws IOException {
        return export(architecture, options, null);
    }

    private ModelProto export(String architecture, ExportOptions options, ModelCard card) throws IOException {
        Path file = dir.resolve(architecture + ".onnx");
        try (TrainedModel model = TestNetworks.model(Architectures.get(architecture), 1)) {
            new OnnxExporter().export(card == null ? Sources.of(model) : Sources.of(model, card), options, file);
        }
        return ModelProto.parseFrom(Files.readAllBytes(file));
    }

    private static Map<String, String> metadata(ModelProto m) {
        Map<String, String> meta = new HashMap<>();
        for (StringStringEntryProto e : m.getMetadataPropsList()) meta.put(e.getKey(), e.getValue());
        return meta;
    }

    @Test
    void filesUseOpset13AndEndInSoftmaxWithoutDropout() throws IOException {
        ModelProto m = export("convnet", ExportOptions.builder().build());
        assertEquals(13, m.getOpsetImport(0).getVersion());
        List<NodeProto> nodes = m.getGraph().getNodeList();
        NodeProto last = nodes.get(nodes.size() - 1);
        assertEquals("Softmax", last.getOpType());
        assertEquals("probabilities", last.getOutput(0));
        assertTrue(nodes.stream().noneMatch(n -> n.getOpType().equals("Dropout")));
        assertEquals("input", m.getGraph().getInput(0).getName());
        assertEquals("N", m.getGraph().getInput(0).getType().getTensorType().getShape().getDim(0).getDimParam());
    }

    @Test
    void everyNodeAndEveryValueHasItsOwnName() throws IOException {
        ModelProto m = export("resnet20", ExportOptions.builder().build());
        Set<String> nodeNames = new HashSet<>();
        Set<String> produced = new HashSet<>();
        for (NodeProto n : m.getGraph().getNodeList()) {
            assertTrue(nodeNames.add(n.getName()), "node name used twice: " + n.getName());
            for (String o : n.getOutputList()) assertTrue(produced.add(o), "value written twice: " + o);
        }
        m.getGraph().getInitializerList().forEach(t -> assertTrue(produced.add(t.getName()), "initializer name taken: " + t.getName()));
    }

    @Test
    void metadataCarriesLabelsPreprocessingLicenseAndTheModelCardsProvenance() throws IOException {
        ModelCard card = ModelCard.builder(Architectures.get("cnn")).name("digits-cnn").weightsSha256("abc123".repeat(10) + "abcd")
                .provenance(Map.of("java", "17.0.9", "engine", "PyTorch 2.7.1")).build();
        ExportOptions options = ExportOptions.builder().author("Ada").version("3").build();
        ModelProto m = export("cnn", options, card);
        Map<String, String> meta = metadata(m);
        assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), Json.parse(meta.get("labels")));
        assertEquals("digits-cnn", meta.get("model_name"));
        assertEquals("cnn", meta.get("architecture"));
        assertEquals("Ada", meta.get("author"));
        assertEquals("3", meta.get("version"));
        assertEquals(3, m.getModelVersion());
        assertEquals("Apache-2.0", meta.get("license"));
        assertTrue(meta.get("producer").startsWith("Digits "));
        assertEquals("Digits", m.getProducerName());
        assertEquals("abc123".repeat(10) + "abcd", meta.get("weights_sha256"));
        assertEquals(Map.of("java", "17.0.9", "engine", "PyTorch 2.7.1"), Json.parse(meta.get("provenance")));
        Map<String, Object> prep = Json.parseObject(meta.get("preprocessing"));
        assertEquals("NCHW", prep.get("layout"));
        assertEquals("[0,1]", Json.write(prep.get("range")));
        assertEquals("light-on-dark", prep.get("polarity"));
        assertEquals("digit", prep.get("preprocessing"));
        assertTrue(((String) prep.get("size")).contains("light ink on a dark background"), (String) prep.get("size"));
        assertEquals(Architectures.get("cnn"), dev.digits.core.model.ModelSpec.parse(meta.get("spec")));
    }

    @Test
    void theCardsDigitCheckTravelsInTheMetadata() throws IOException {
        ModelCard card = ModelCard.builder(Architectures.get("cnn"))
                .digitCheck(new dev.digits.core.recognition.DigitCheck(1.4, 0.72)).build();
        Map<String, String> meta = metadata(export("cnn", ExportOptions.builder().build(), card));
        assertEquals(Map.of("method", "temperature-scaled-max-probability", "temperature", 1.4, "threshold", 0.72),
                Json.parse(meta.get("digit_check")));
        assertFalse(metadata(export("cnn", ExportOptions.builder().build())).containsKey("digit_check"));
    }

    @Test
    void withoutAModelCardTheArchitectureNamesTheModel() throws IOException {
        Map<String, String> meta = metadata(export("mlp", ExportOptions.builder().build()));
        assertEquals("mlp", meta.get("model_name"));
        assertFalse(meta.containsKey("provenance"));
    }
}
