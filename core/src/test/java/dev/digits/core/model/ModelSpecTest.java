package dev.digits.core.model;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelSpecTest {

    @Test
    void everyZooArchitectureParsesAndEndsInTenClasses() {
        for (String name : Architectures.NAMES) {
            ModelSpec spec = Architectures.get(name);
            assertEquals(name, spec.name());
            assertEquals(10, spec.classes(), name);
            assertTrue(spec.parameterCount() > 0, name);
        }
    }

    @Test
    void cnnHasTheKerasParameterCount() {
        // Keras' model.summary() of the same network reports 93,322 parameters.
        assertEquals(93_322, Architectures.get("cnn").parameterCount());
        assertEquals(101_770, Architectures.get("mlp").parameterCount());
    }

    @Test
    void cnnShapesFollowValidConvolutionsAndPooling() {
        ModelSpec spec = Architectures.get("cnn");
        assertEquals(Shape.image(32, 26, 26), spec.nodes().get(0).outputShape());
        assertEquals(Shape.image(64, 3, 3), spec.nodes().get(4).outputShape());
        assertEquals(Shape.flat(576), spec.nodes().get(5).outputShape());
    }

    @Test
    void resnetGetsAProjectionShortcutWhereTheShapeChanges() {
        ModelSpec spec = Architectures.get("resnet");
        long projections = spec.parameters().keySet().stream().filter(k -> k.contains(".shortcut.weight")).count();
        assertEquals(2, projections);
        assertEquals(Shape.image(1, 32, 32), spec.nodes().get(0).outputShape());
    }

    @Test
    void repeatExpandsIntoUniquelyNamedLayers() {
        ModelSpec spec = Architectures.get("resnet20");
        long blocks = spec.nodes().stream().filter(n -> n.layer().type() == LayerType.RESIDUAL).count();
        assertEquals(9, blocks);
        assertEquals(spec.nodes().size(), spec.nodes().stream().map(n -> n.layer().name()).distinct().count());
    }

    @Test
    void jsonRoundTripGivesAnEqualSpec() {
        for (String name : Architectures.NAMES) {
            ModelSpec spec = Architectures.get(name);
            assertEquals(spec, ModelSpec.parse(spec.toJson()), name);
        }
    }

    @Test
    void aRescaleLayerRoundTripsAndRefusesAZeroScale() {
        ModelSpec spec = ModelSpec.parse("{\"name\":\"x\",\"input\":[28,28,1],\"layers\":["
                + "{\"type\":\"rescale\",\"scale\":3.2457,\"offset\":-0.4242},{\"type\":\"flatten\"},"
                + "{\"type\":\"dense\",\"units\":10,\"activation\":\"softmax\"}]}");
        assertEquals(3.2457, spec.layers().get(0).scale());
        assertEquals(-0.4242, spec.layers().get(0).offset());
        assertEquals(spec, ModelSpec.parse(spec.toJson()));
        assertEquals(7850, spec.parameterCount());
        ModelSpecException e = assertThrows(ModelSpecException.class, () -> ModelSpec.parse(
                "{\"name\":\"x\",\"input\":[784],\"layers\":[{\"type\":\"rescale\",\"scale\":0},"
                        + "{\"type\":\"dense\",\"units\":10,\"activation\":\"softmax\"}]}"));
        assertTrue(e.getMessage().contains("layer 1") && e.getMessage().contains("scale"), e.getMessage());
    }

    @Test
    void unknownLayerTypeIsNamedWithItsPosition() {
        ModelSpecException e = assertThrows(ModelSpecException.class, () -> ModelSpec.parse(
                "{\"name\":\"x\",\"input\":[28,28,1],\"layers\":[{\"type\":\"flatten\"},{\"type\":\"lstm\"}]}"));
        assertTrue(e.getMessage().contains("layer 2") && e.getMessage().contains("lstm") && e.getMessage().contains("conv2d"),
                e.getMessage());
    }

    @Test
    void impossibleKernelIsRejectedNamingTheLayer() {
        ModelSpecException e = assertThrows(ModelSpecException.class, () -> ModelSpec.parse(
                "{\"name\":\"x\",\"input\":[28,28,1],\"layers\":["
                        + "{\"type\":\"maxpool2d\",\"pool\":4},{\"type\":\"maxpool2d\",\"pool\":4},"
                        + "{\"type\":\"conv2d\",\"filters\":8,\"kernel\":3,\"name\":\"late\"},"
                        + "{\"type\":\"flatten\"},{\"type\":\"dense\",\"units\":10,\"activation\":\"softmax\"}]}"));
        assertTrue(e.getMessage().contains("layer 3") && e.getMessage().contains("late")
                && e.getMessage().contains("larger than"), e.getMessage());
    }

    @Test
    void denseOnAnImageAsksForFlatten() {
        ModelSpecException e = assertThrows(ModelSpecException.class, () -> ModelSpec.parse(
                "{\"name\":\"x\",\"input\":[28,28,1],\"layers\":[{\"type\":\"dense\",\"units\":10,\"activation\":\"softmax\"}]}"));
        assertTrue(e.getMessage().contains("flatten"), e.getMessage());
    }

    @Test
    void missingFinalSoftmaxIsRejected() {
        ModelSpecException e = assertThrows(ModelSpecException.class, () -> ModelSpec.parse(
                "{\"name\":\"x\",\"input\":[784],\"layers\":[{\"type\":\"dense\",\"units\":10,\"activation\":\"relu\"}]}"));
        assertTrue(e.getMessage().contains("softmax"), e.getMessage());
    }

    @Test
    void unknownSettingListsTheAcceptedOnes() {
        ModelSpecException e = assertThrows(ModelSpecException.class, () -> ModelSpec.parse(
                "{\"name\":\"x\",\"input\":[784],\"layers\":[{\"type\":\"dense\",\"unitz\":10,\"activation\":\"softmax\"}]}"));
        assertTrue(e.getMessage().contains("unitz") && e.getMessage().contains("units"), e.getMessage());
    }

    @Test
    void malformedJsonSaysWhere() {
        ModelSpecException e = assertThrows(ModelSpecException.class, () -> ModelSpec.parse("{\"name\": \"x\",\n \"input\": [28,}"));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void unknownArchitectureNameListsTheZoo() {
        ModelSpecException e = assertThrows(ModelSpecException.class, () -> Architectures.get("vgg"));
        assertTrue(e.getMessage().contains("cnn") && e.getMessage().contains("resnet"), e.getMessage());
    }
}
