package dev.digits.serve;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A float32 ONNX file run directly in ONNX Runtime, with the tests' own session (default options), independent of
 * the server's code: what the server's answers are compared with.
 */
public final class OnnxReference implements AutoCloseable {
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final OrtSession session;
    private final String input;
    private final long[] shape;

    private OnnxReference(byte[] model) throws OrtException {
        this.session = env.createSession(model, new OrtSession.SessionOptions());
        Map.Entry<String, NodeInfo> in = session.getInputInfo().entrySet().iterator().next();
        this.input = in.getKey();
        TensorInfo info = (TensorInfo) in.getValue().getInfo();
        if (info.type != OnnxJavaType.FLOAT) throw new IllegalArgumentException("a float32-input file is needed, got " + info.type);
        this.shape = info.getShape();
    }

    public static OnnxReference open(byte[] model) {
        try {
            return new OnnxReference(model);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime cannot load the file: " + e.getMessage(), e);
        }
    }

    public static OnnxReference open(Path file) throws IOException {
        return open(Files.readAllBytes(file));
    }

    /** Probabilities for {@code n} images of 784 values in [0,1]. */
    public float[][] predict(float[] pixels, int n) {
        long[] s = shape.clone();
        s[0] = n;
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(pixels), s);
             OrtSession.Result r = session.run(Map.of(input, t))) {
            FloatBuffer out = ((OnnxTensor) r.get(0)).getFloatBuffer();
            int classes = out.remaining() / n;
            float[][] rows = new float[n][classes];
            for (float[] row : rows) out.get(row);
            return rows;
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Probabilities for one image. */
    public float[] predict(float[] pixels) {
        return predict(pixels, 1)[0];
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
