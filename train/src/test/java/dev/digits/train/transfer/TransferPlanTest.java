package dev.digits.train.transfer;

import dev.digits.core.error.InvalidInputException;
import dev.digits.core.model.Activation;
import dev.digits.core.model.Architectures;
import dev.digits.core.model.LayerSpec;
import dev.digits.core.model.ModelSpec;
import dev.digits.core.model.Shape;
import dev.digits.core.model.Tensor;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which layer is the head, what the new architecture is, and what freezes. */
class TransferPlanTest {
    @Test
    void theCnnHeadIsResizedAndEverythingBelowItFreezesByDefault() {
        TransferPlan plan = TransferPlan.of(Architectures.get("cnn"), 3, null, null);
        assertEquals("dense_2", plan.head());
        assertEquals("cnn-retrained", plan.spec().name());
        assertEquals(3, plan.spec().classes());
        assertArrayEquals(new long[] {3, 64}, plan.spec().parameters().get("dense_2.weight"));
        assertEquals(List.of("conv2d_1", "conv2d_2", "conv2d_3", "dense_1", "dense_2"), plan.layersWithWeights());
        assertEquals(List.of("conv2d_1", "conv2d_2", "conv2d_3", "dense_1"), plan.frozenLayers());
        assertEquals(List.of("dense_2"), plan.trainedLayers());
        assertEquals(8, plan.frozenParameters().size());
        assertFalse(plan.freezesBatchNorm());
        // Everything but the head is the base network unchanged.
        for (int i = 0; i < 7; i++) assertEquals(Architectures.get("cnn").layers().get(i).toJson(), plan.spec().layers().get(i).toJson());
    }

    @Test
    void freezingCountsLayersWithWeightsFromTheInput() {
        TransferPlan plan = TransferPlan.of(Architectures.get("cnn"), 5, 2, "mine");
        assertEquals("mine", plan.spec().name());
        assertEquals(List.of("conv2d_1", "conv2d_2"), plan.frozenLayers());
        assertEquals(List.of("conv2d_1.weight", "conv2d_1.bias", "conv2d_2.weight", "conv2d_2.bias"), plan.frozenParameters());
        assertEquals(List.of(), TransferPlan.of(Architectures.get("cnn"), 5, 0, null).frozenLayers());
    }

    @Test
    void aResidualBlockCountsAsOneLayerWithItsBatchNorms() {
        TransferPlan plan = TransferPlan.of(Architectures.get("resnet"), 4, null, null);
        assertEquals(List.of("conv2d_1", "batchnorm_1", "residual_1", "residual_2", "residual_3", "dense_1"), plan.layersWithWeights());
        assertTrue(plan.freezesBatchNorm());
        assertTrue(plan.frozenParameters().contains("residual_2.shortcut.weight"));
        assertTrue(plan.frozenParameters().stream().filter(p -> p.endsWith("running_var")).count() >= 7);
        assertEquals(Architectures.get("resnet").parameters().size() - 2, plan.frozenParameters().size());
    }

    @Test
    void aHeadFollowedByASoftmaxLayerIsFoundAndKeepsItsLinearActivation() {
        ModelSpec spec = ModelSpec.of("split-softmax", "", Shape.flat(784), List.of(LayerSpec.dense(32, Activation.RELU),
                LayerSpec.dense(10, Activation.LINEAR), LayerSpec.activation(Activation.SOFTMAX)));
        TransferPlan plan = TransferPlan.of(spec, 2, null, null);
        assertEquals("dense_2", plan.head());
        assertEquals(2, plan.spec().classes());
        assertEquals(Activation.LINEAR, plan.spec().layers().get(1).activation());
    }

    @Test
    void tooManyFrozenLayersAreRefusedWithTheLayerList() {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> TransferPlan.of(Architectures.get("cnn"), 3, 5, null));
        assertTrue(e.getMessage().contains("can freeze 0 to 4 layers") && e.getMessage().contains("conv2d_1, conv2d_2, conv2d_3, dense_1, dense_2"),
                e.getMessage());
    }

    @Test
    void transferredWeightsLeaveTheHeadOutEvenWhenItsShapeIsUnchanged() {
        ModelSpec cnn = Architectures.get("cnn");
        Map<String, Tensor> weights = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : cnn.parameters().entrySet()) {
            int n = 1;
            for (long d : e.getValue()) n *= (int) d;
            weights.put(e.getKey(), new Tensor(e.getValue(), new float[n]));
        }
        Map<String, Tensor> moved = TransferPlan.of(cnn, 10, null, null).transferredWeights(weights);
        assertFalse(moved.containsKey("dense_2.weight") || moved.containsKey("dense_2.bias"));
        assertEquals(cnn.parameters().size() - 2, moved.size());
        weights.remove("conv2d_2.bias");
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> TransferPlan.of(cnn, 10, null, null).transferredWeights(weights));
        assertTrue(e.getMessage().contains("lack conv2d_2.bias"), e.getMessage());
    }
}
