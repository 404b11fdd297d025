package dev.digits.convert.importer;

/**
 * A foreign model translated into a Digits network, before its input contract is known.
 *
 * @param network the spec (ending in softmax) and weights
 * @param input   the file's input tensor
 * @param outputs what the file itself answers: {@code probabilities}, {@code logits} or {@code log-probabilities}
 *                (the Digits network always answers probabilities)
 */
record ImportedNetwork(NetworkBuilder.Network network, SourceInput input, String outputs) {
}
