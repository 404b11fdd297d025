package dev.digits.serve.api;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The parts of an Open Inference Protocol {@code infer} body the server uses — the request's {@code id} and the one
 * input tensor's {@code datatype}, {@code shape} and {@code data} — read in one streaming pass. Numbers go straight
 * into a float array through {@link JsonNumbers}, not a tree with an object per number; the fields may come in any
 * order, so the data are held until the shape is known and checked by the caller.
 */
final class InferenceRequest {
    /** How many tensors {@code inputs} held; -1 when it was missing or not an array. */
    final int inputs;
    final String id;
    final String datatype;
    /** The shape's dimensions, -1 for an entry that is not a whole number; empty when there was no shape array. */
    final List<Long> shape;
    /** The shape as it was written, for messages. */
    final String shapeText;
    /** The data, flattened; {@link #count} of them are filled. */
    final float[] data;
    final int count;

    private InferenceRequest(int inputs, String id, String datatype, List<Long> shape, String shapeText, float[] data,
                             int count) {
        this.inputs = inputs;
        this.id = id;
        this.datatype = datatype;
        this.shape = shape;
        this.shapeText = shapeText;
        this.data = data;
        this.count = count;
    }

    /** Reads {@code body}; malformed JSON is Jackson's exception, which the error mapping answers with a 400. */
    static InferenceRequest read(byte[] body) throws IOException {
        try (JsonParser p = Json.MAPPER.getFactory().createParser(body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) return new InferenceRequest(-1, null, "", List.of(), "", new float[0], 0);
            int inputs = -1;
            String id = null;
            Tensor first = new Tensor();
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                if (field.equals("inputs") && value == JsonToken.START_ARRAY) {
                    inputs = 0;
                    for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                        if (inputs++ == 0 && e == JsonToken.START_OBJECT) first.read(p);
                        else p.skipChildren();
                    }
                } else if (field.equals("id") && value != JsonToken.VALUE_NULL) {
                    id = value.isScalarValue() ? p.getText() : "";
                    p.skipChildren();
                } else {
                    p.skipChildren();
                }
            }
            return new InferenceRequest(inputs, id, first.datatype, first.shape, first.shapeText.toString(), first.data,
                    first.count);
        }
    }

    /** One tensor object, read from just after its START_OBJECT to its END_OBJECT. */
    private static final class Tensor {
        String datatype = "";
        final List<Long> shape = new ArrayList<>();
        final StringBuilder shapeText = new StringBuilder();
        float[] data = new float[784];
        int count;

        void read(JsonParser p) throws IOException {
            for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
                String field = p.currentName();
                JsonToken value = p.nextToken();
                switch (field) {
                    case "datatype" -> {
                        datatype = value.isScalarValue() ? p.getText() : "";
                        p.skipChildren();
                    }
                    case "shape" -> readShape(p, value);
                    case "data" -> {
                        if (value != JsonToken.START_ARRAY) throw ApiException.badRequest("input data must be an array of numbers");
                        readData(p);
                    }
                    default -> p.skipChildren();
                }
            }
        }

        private void readShape(JsonParser p, JsonToken value) throws IOException {
            if (value != JsonToken.START_ARRAY) {
                shapeText.append(value.isScalarValue() ? p.getText() : "…");
                p.skipChildren();
                return;
            }
            shapeText.append('[');
            for (JsonToken d = p.nextToken(); d != JsonToken.END_ARRAY; d = p.nextToken()) {
                if (shapeText.length() > 1) shapeText.append(',');
                if (d == JsonToken.VALUE_NUMBER_INT) {
                    shapeText.append(p.getText());
                    shape.add(p.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? -1L : p.getLongValue());
                } else {
                    shapeText.append(d == JsonToken.VALUE_STRING ? "\"" + p.getText() + "\"" : d.isScalarValue() ? p.getText() : "…");
                    shape.add(-1L);
                    p.skipChildren();
                }
            }
            shapeText.append(']');
        }

        /** Flat or nested arrays of numbers in [0, 1], from just after the outer START_ARRAY. */
        private void readData(JsonParser p) throws IOException {
            int depth = 1;
            while (depth > 0) {
                JsonToken t = p.nextToken();
                if (t == null) return;
                switch (t) {
                    case START_ARRAY -> depth++;
                    case END_ARRAY -> depth--;
                    case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> {
                        float v = JsonNumbers.readFloat(p);
                        if (!(v >= 0 && v <= 1)) {
                            throw ApiException.badRequest("input data holds " + p.getText()
                                    + "; pixels are in [0, 1] (white ink on black)");
                        }
                        if (count == data.length) data = Arrays.copyOf(data, data.length * 2);
                        data[count++] = v;
                    }
                    default -> throw ApiException.badRequest("input data holds "
                            + (t == JsonToken.VALUE_STRING ? "\"" + p.getText() + "\"" : t.isScalarValue() ? p.getText() : "an object")
                            + ", not a number");
                }
            }
        }
    }
}
