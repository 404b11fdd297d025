package dev.digits.convert;

import dev.digits.core.artifact.ModelArtifact;
import dev.digits.core.artifact.ModelCard;
import dev.digits.core.error.InvalidInputException;
import dev.digits.core.model.ModelSpec;
import dev.digits.core.model.Tensor;

import java.io.IOException;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * What an exporter reads: the architecture, the weights (spec parameter names, PyTorch layouts) and the card with
 * the labels, the input contract and the provenance to carry into the file. Engine-free: no training runtime is
 * needed to export.
 */
public record ExportSource(ModelSpec spec, Map<String, Tensor> tensors, ModelCard card) {
    public ExportSource {
        tensors = Collections.unmodifiableMap(tensors);
        if (card.labels().size() != spec.classes()) {
            throw new InvalidInputException(card.labels().size() + " labels for a network with " + spec.classes() + " outputs");
        }
    }

    /** The model of a model directory, its weights checked against the card's digest. */
    public static ExportSource of(ModelArtifact artifact) throws IOException {
        return new ExportSource(artifact.spec(), artifact.tensors(), artifact.card());
    }

    /** Weights held in memory, with a card naming {@code labels} and nothing else. */
    public static ExportSource of(ModelSpec spec, Map<String, Tensor> tensors, List<String> labels) {
        return new ExportSource(spec, tensors, ModelCard.builder(spec).labels(labels).build());
    }

    /** Class names, index = output position. */
    public List<String> labels() {
        return card.labels();
    }
}
