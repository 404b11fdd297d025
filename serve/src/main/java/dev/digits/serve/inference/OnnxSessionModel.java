package dev.digits.serve.inference;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.digits.convert.LoadedModel;

import java.nio.FloatBuffer;
import java.util.Map;

/**
 * A float32 ONNX model in an ONNX Runtime session tuned for serving: one intra-op thread that does not spin while
 * idle. Requests are already batched by the {@link MicroBatcher}, so parallelism comes from running batches on
 * separate threads, and a spinning pool would only steal CPU from the threads decoding the next requests.
 *
 * <p>The input may be NCHW {@code [n,1,28,28]}, NHWC {@code [n,28,28,1]} or flat {@code [n,784]}: with one channel
 * the three hold the same numbers in the same order, so the caller's row-major pixels are passed as they are.
 */
final class OnnxSessionModel implements LoadedModel {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final String input;
    private final long[] shape;
    private final int classes;

    private OnnxSessionModel(OrtSession session) throws OrtException {
        this.session = session;
        this.input = session.getInputNames().iterator().next();
        TensorInfo in = (TensorInfo) session.getInputInfo().get(input).getInfo();
        if (in.type != OnnxJavaType.FLOAT) {
            throw new OrtException("input '" + input + "' is " + in.type + "; serving runs float32 models");
        }
        this.shape = in.getShape();
        long[] out = ((TensorInfo) session.getOutputInfo().values().iterator().next().getInfo()).getShape();
        this.classes = (int) out[out.length - 1];
    }

    /** Opens a float32 ONNX model held in memory. */
    static OnnxSessionModel open(byte[] model) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setInterOpNumThreads(1);
            options.addConfigEntry("session.intra_op.allow_spinning", "0");
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            return new OnnxSessionModel(env.createSession(model, options));
        }
    }

    @Override
    public float[][] predict(float[] pixels, int n) {
        long[] s = shape.clone();
        s[0] = n;
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels), s);
             OrtSession.Result result = session.run(Map.of(input, tensor))) {
            FloatBuffer probabilities = ((OnnxTensor) result.get(0)).getFloatBuffer();
            float[][] out = new float[n][classes];
            for (int i = 0; i < n; i++) probabilities.get(out[i]);
            return out;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime failed on a batch of " + n + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException("cannot close the ONNX Runtime session: " + e.getMessage(), e);
        }
    }
}
