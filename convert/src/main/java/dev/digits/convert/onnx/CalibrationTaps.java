package dev.digits.convert.onnx;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The float32 network with every activation that full-integer quantization will quantize also made a graph output,
 * so that one run over representative images yields each activation's range.
 */
final class CalibrationTaps extends Float32Encoding {
    private final List<String> taps = new ArrayList<>();

    @Override
    public String activation(OnnxGraphBuilder g, String value) {
        if (!taps.contains(value)) {
            taps.add(value);
            g.outputOfAnyShape(value);
        }
        return value;
    }

    /** The tapped activation names, in network order. */
    List<String> taps() {
        return Collections.unmodifiableList(taps);
    }
}
