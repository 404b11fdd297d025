package dev.digits.convert.tflite;

import com.google.flatbuffers.FlatBufferBuilder;
import org.tensorflow.lite.schema.ActivationFunctionType;
import org.tensorflow.lite.schema.AddOptions;
import org.tensorflow.lite.schema.BuiltinOptions;
import org.tensorflow.lite.schema.Conv2DOptions;
import org.tensorflow.lite.schema.DequantizeOptions;
import org.tensorflow.lite.schema.FullyConnectedOptions;
import org.tensorflow.lite.schema.FullyConnectedOptionsWeightsFormat;
import org.tensorflow.lite.schema.Metadata;
import org.tensorflow.lite.schema.Model;
import org.tensorflow.lite.schema.MulOptions;
import org.tensorflow.lite.schema.Operator;
import org.tensorflow.lite.schema.OperatorCode;
import org.tensorflow.lite.schema.PadOptions;
import org.tensorflow.lite.schema.Padding;
import org.tensorflow.lite.schema.Pool2DOptions;
import org.tensorflow.lite.schema.QuantizationParameters;
import org.tensorflow.lite.schema.QuantizeOptions;
import org.tensorflow.lite.schema.ReducerOptions;
import org.tensorflow.lite.schema.ReshapeOptions;
import org.tensorflow.lite.schema.SoftmaxOptions;
import org.tensorflow.lite.schema.SubGraph;
import org.tensorflow.lite.schema.TransposeOptions;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Serialises a {@link Graph} as a TFLite flatbuffer (schema version 3) with the schema's generated builders.
 * Buffer 0 is the empty buffer activations point at; each constant gets its own 16-byte aligned buffer; an optional
 * metadata buffer is registered under {@code TFLITE_METADATA}, where the TFLite Support library looks for it.
 */
final class TfliteFileWriter {
    /** The schema version every TFLite runtime since 1.0 reads. */
    static final int SCHEMA_VERSION = 3;
    /** The metadata entry name of the TFLite Support library. */
    static final String METADATA_NAME = "TFLITE_METADATA";

    private TfliteFileWriter() {
    }

    /**
     * @param description the model's description field
     * @param metadata    a {@code ModelMetadata} flatbuffer, or null for none
     */
    static byte[] write(Graph g, String description, byte[] metadata) {
        List<GraphTensor> tensors = usedTensors(g);
        Map<GraphTensor, Integer> index = new IdentityHashMap<>();
        for (int i = 0; i < tensors.size(); i++) index.put(tensors.get(i), i);

        long bytes = metadata == null ? 0 : metadata.length;
        for (GraphTensor t : tensors) if (t.isConstant()) bytes += t.size() * 4L;
        FlatBufferBuilder fb = new FlatBufferBuilder((int) Math.min(Integer.MAX_VALUE - 8, bytes + 65536));

        List<Integer> buffers = new ArrayList<>();
        org.tensorflow.lite.schema.Buffer.startBuffer(fb);
        buffers.add(org.tensorflow.lite.schema.Buffer.endBuffer(fb));
        int[] tensorBuffer = new int[tensors.size()];
        for (int i = 0; i < tensors.size(); i++) {
            GraphTensor t = tensors.get(i);
            if (!t.isConstant()) continue;
            tensorBuffer[i] = buffers.size();
            buffers.add(buffer(fb, t.encode()));
        }
        int metadataBuffer = -1;
        if (metadata != null) {
            metadataBuffer = buffers.size();
            buffers.add(buffer(fb, metadata));
        }

        int[] tensorOffsets = new int[tensors.size()];
        for (int i = 0; i < tensors.size(); i++) tensorOffsets[i] = tensor(fb, tensors.get(i), tensorBuffer[i]);

        // Operator codes: one per (operator, version) pair, in order of first use.
        Map<String, Integer> codeIndex = new LinkedHashMap<>();
        List<int[]> codes = new ArrayList<>();
        int[] opOffsets = new int[g.ops().size()];
        for (int i = 0; i < g.ops().size(); i++) {
            GraphOp op = g.ops().get(i);
            int version = op.kind().version(op);
            String key = op.kind() + "/" + version;
            Integer ci = codeIndex.get(key);
            if (ci == null) {
                ci = codes.size();
                codeIndex.put(key, ci);
                codes.add(new int[] {op.kind().code, version});
            }
            opOffsets[i] = operator(fb, op, ci, index);
        }
        int[] codeOffsets = new int[codes.size()];
        for (int i = 0; i < codes.size(); i++) {
            int code = codes.get(i)[0];
            OperatorCode.startOperatorCode(fb);
            // Runtimes before 2.4 read only the byte-sized field; later ones take the larger of the two.
            OperatorCode.addDeprecatedBuiltinCode(fb, (byte) Math.min(code, 127));
            OperatorCode.addBuiltinCode(fb, code);
            OperatorCode.addVersion(fb, codes.get(i)[1]);
            codeOffsets[i] = OperatorCode.endOperatorCode(fb);
        }

        int sgTensors = SubGraph.createTensorsVector(fb, tensorOffsets);
        int sgInputs = SubGraph.createInputsVector(fb, new int[] {index.get(g.input())});
        int sgOutputs = SubGraph.createOutputsVector(fb, new int[] {index.get(g.output())});
        int sgOps = SubGraph.createOperatorsVector(fb, opOffsets);
        int sgName = fb.createString("main");
        SubGraph.startSubGraph(fb);
        SubGraph.addTensors(fb, sgTensors);
        SubGraph.addInputs(fb, sgInputs);
        SubGraph.addOutputs(fb, sgOutputs);
        SubGraph.addOperators(fb, sgOps);
        SubGraph.addName(fb, sgName);
        int subgraph = SubGraph.endSubGraph(fb);

        int metadataVector = 0;
        if (metadata != null) {
            int name = fb.createString(METADATA_NAME);
            Metadata.startMetadata(fb);
            Metadata.addName(fb, name);
            Metadata.addBuffer(fb, metadataBuffer);
            metadataVector = Model.createMetadataVector(fb, new int[] {Metadata.endMetadata(fb)});
        }
        int codesVector = Model.createOperatorCodesVector(fb, codeOffsets);
        int subgraphs = Model.createSubgraphsVector(fb, new int[] {subgraph});
        int desc = fb.createString(description);
        int buffersVector = Model.createBuffersVector(fb, buffers.stream().mapToInt(Integer::intValue).toArray());
        Model.startModel(fb);
        Model.addVersion(fb, SCHEMA_VERSION);
        Model.addOperatorCodes(fb, codesVector);
        Model.addSubgraphs(fb, subgraphs);
        Model.addDescription(fb, desc);
        Model.addBuffers(fb, buffersVector);
        if (metadata != null) Model.addMetadata(fb, metadataVector);
        Model.finishModelBuffer(fb, Model.endModel(fb));
        return fb.sizedByteArray();
    }

    /** Tensors some operator, the input or the output refers to, in creation order. */
    private static List<GraphTensor> usedTensors(Graph g) {
        Map<GraphTensor, Boolean> used = new IdentityHashMap<>();
        used.put(g.input(), true);
        used.put(g.output(), true);
        for (GraphOp op : g.ops()) {
            for (GraphTensor t : op.inputs()) used.put(t, true);
            used.put(op.output(), true);
        }
        List<GraphTensor> out = new ArrayList<>();
        for (GraphTensor t : g.tensors()) if (used.containsKey(t)) out.add(t);
        return out;
    }

    private static int buffer(FlatBufferBuilder fb, byte[] data) {
        // 16-byte alignment lets kernels read weights in place with vector loads, as the converter arranges.
        ByteBuffer dst = fb.createUnintializedVector(1, data.length, 16);
        dst.put(data);
        int vector = fb.endVector();
        org.tensorflow.lite.schema.Buffer.startBuffer(fb);
        org.tensorflow.lite.schema.Buffer.addData(fb, vector);
        return org.tensorflow.lite.schema.Buffer.endBuffer(fb);
    }

    private static int tensor(FlatBufferBuilder fb, GraphTensor t, int buffer) {
        int shape = org.tensorflow.lite.schema.Tensor.createShapeVector(fb, t.shape());
        int name = fb.createString(t.name());
        int quant = 0;
        QuantParams q = t.quant();
        if (q != null) {
            int scale = QuantizationParameters.createScaleVector(fb, q.scales());
            int zero = QuantizationParameters.createZeroPointVector(fb, q.zeroPoints());
            QuantizationParameters.startQuantizationParameters(fb);
            QuantizationParameters.addScale(fb, scale);
            QuantizationParameters.addZeroPoint(fb, zero);
            QuantizationParameters.addQuantizedDimension(fb, q.axis());
            quant = QuantizationParameters.endQuantizationParameters(fb);
        }
        org.tensorflow.lite.schema.Tensor.startTensor(fb);
        org.tensorflow.lite.schema.Tensor.addShape(fb, shape);
        org.tensorflow.lite.schema.Tensor.addType(fb, t.type().code);
        org.tensorflow.lite.schema.Tensor.addBuffer(fb, buffer);
        org.tensorflow.lite.schema.Tensor.addName(fb, name);
        if (q != null) org.tensorflow.lite.schema.Tensor.addQuantization(fb, quant);
        return org.tensorflow.lite.schema.Tensor.endTensor(fb);
    }

    private static int operator(FlatBufferBuilder fb, GraphOp op, int opcode, Map<GraphTensor, Integer> index) {
        int[] in = new int[op.inputs().size()];
        for (int i = 0; i < in.length; i++) in[i] = index.get(op.input(i));
        int inputs = Operator.createInputsVector(fb, in);
        int outputs = Operator.createOutputsVector(fb, new int[] {index.get(op.output())});
        byte act = op.fusedRelu ? ActivationFunctionType.RELU : ActivationFunctionType.NONE;
        byte type;
        int options;
        switch (op.kind()) {
            case CONV_2D:
                type = BuiltinOptions.Conv2DOptions;
                Conv2DOptions.startConv2DOptions(fb);
                Conv2DOptions.addPadding(fb, op.samePadding ? Padding.SAME : Padding.VALID);
                Conv2DOptions.addStrideW(fb, op.strideW);
                Conv2DOptions.addStrideH(fb, op.strideH);
                Conv2DOptions.addFusedActivationFunction(fb, act);
                Conv2DOptions.addDilationWFactor(fb, 1);
                Conv2DOptions.addDilationHFactor(fb, 1);
                options = Conv2DOptions.endConv2DOptions(fb);
                break;
            case MAX_POOL_2D:
            case AVERAGE_POOL_2D:
                type = BuiltinOptions.Pool2DOptions;
                Pool2DOptions.startPool2DOptions(fb);
                Pool2DOptions.addPadding(fb, Padding.VALID);
                Pool2DOptions.addStrideW(fb, op.strideW);
                Pool2DOptions.addStrideH(fb, op.strideH);
                Pool2DOptions.addFilterWidth(fb, op.filterW);
                Pool2DOptions.addFilterHeight(fb, op.filterH);
                Pool2DOptions.addFusedActivationFunction(fb, ActivationFunctionType.NONE);
                options = Pool2DOptions.endPool2DOptions(fb);
                break;
            case FULLY_CONNECTED:
                type = BuiltinOptions.FullyConnectedOptions;
                FullyConnectedOptions.startFullyConnectedOptions(fb);
                FullyConnectedOptions.addFusedActivationFunction(fb, act);
                FullyConnectedOptions.addWeightsFormat(fb, FullyConnectedOptionsWeightsFormat.DEFAULT);
                options = FullyConnectedOptions.endFullyConnectedOptions(fb);
                break;
            case SOFTMAX:
                type = BuiltinOptions.SoftmaxOptions;
                SoftmaxOptions.startSoftmaxOptions(fb);
                SoftmaxOptions.addBeta(fb, 1f);
                options = SoftmaxOptions.endSoftmaxOptions(fb);
                break;
            case ADD:
                type = BuiltinOptions.AddOptions;
                AddOptions.startAddOptions(fb);
                AddOptions.addFusedActivationFunction(fb, act);
                options = AddOptions.endAddOptions(fb);
                break;
            case MUL:
                type = BuiltinOptions.MulOptions;
                MulOptions.startMulOptions(fb);
                MulOptions.addFusedActivationFunction(fb, act);
                options = MulOptions.endMulOptions(fb);
                break;
            case RESHAPE: {
                type = BuiltinOptions.ReshapeOptions;
                int newShape = ReshapeOptions.createNewShapeVector(fb, op.input(1).ints());
                ReshapeOptions.startReshapeOptions(fb);
                ReshapeOptions.addNewShape(fb, newShape);
                options = ReshapeOptions.endReshapeOptions(fb);
                break;
            }
            case MEAN:
                type = BuiltinOptions.ReducerOptions;
                ReducerOptions.startReducerOptions(fb);
                ReducerOptions.addKeepDims(fb, false);
                options = ReducerOptions.endReducerOptions(fb);
                break;
            case PAD:
                type = BuiltinOptions.PadOptions;
                PadOptions.startPadOptions(fb);
                options = PadOptions.endPadOptions(fb);
                break;
            case TRANSPOSE:
                type = BuiltinOptions.TransposeOptions;
                TransposeOptions.startTransposeOptions(fb);
                options = TransposeOptions.endTransposeOptions(fb);
                break;
            case DEQUANTIZE:
                type = BuiltinOptions.DequantizeOptions;
                DequantizeOptions.startDequantizeOptions(fb);
                options = DequantizeOptions.endDequantizeOptions(fb);
                break;
            case QUANTIZE:
                type = BuiltinOptions.QuantizeOptions;
                QuantizeOptions.startQuantizeOptions(fb);
                options = QuantizeOptions.endQuantizeOptions(fb);
                break;
            default:
                type = BuiltinOptions.NONE;
                options = 0;
        }
        Operator.startOperator(fb);
        Operator.addOpcodeIndex(fb, opcode);
        Operator.addInputs(fb, inputs);
        Operator.addOutputs(fb, outputs);
        if (type != BuiltinOptions.NONE) {
            Operator.addBuiltinOptionsType(fb, type);
            Operator.addBuiltinOptions(fb, options);
        }
        return Operator.endOperator(fb);
    }
}
