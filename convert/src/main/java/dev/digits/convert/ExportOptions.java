package dev.digits.convert;

import dev.digits.core.data.ImageSet;
import dev.digits.core.error.InvalidInputException;


/**
 * What an export should look like. Defaults follow the contract Android MNIST apps use: input {@code [1,28,28,1]}
 * float32 in [0,1], white digit on black; output {@code [1,10]} float32 probabilities.
 */
public final class ExportOptions {
    /** Input tensor layout. */
    public enum InputLayout {
        /** {@code [1,28,28,1]} (TFLite and TF.js default). */
        NHWC,
        /** {@code [1,1,28,28]} (ONNX default, as PyTorch). */
        NCHW,
        /** {@code [1,784]} (the ML Kit sample's contract). */
        FLAT
    }

    /** Input element type. */
    public enum InputType {
        /** float32 in [0,1]. */
        FLOAT32,
        /** uint8 0–255, scaled to [0,1] inside the model (or by the quantization parameters). */
        UINT8,
        /** int8 (full-integer quantization only). */
        INT8
    }

    private final Quantization quantization;
    private final InputLayout layout;
    private final InputType inputType;
    private final ImageSet representative;
    private final String author;
    private final String version;

    private ExportOptions(Builder b) {
        this.quantization = b.quantization;
        this.layout = b.layout;
        this.inputType = b.inputType;
        this.representative = b.representative;
        this.author = b.author;
        this.version = b.version;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.quantization = quantization;
        b.layout = layout;
        b.inputType = inputType;
        b.representative = representative;
        b.author = author;
        b.version = version;
        return b;
    }

    public Quantization quantization() {
        return quantization;
    }

    /** The layout asked for, or null for the format's default (NHWC for TFLite/TF.js, NCHW for ONNX). */
    public InputLayout layout() {
        return layout;
    }

    /** {@link #layout()} or {@code fallback} when none was asked for. */
    public InputLayout layoutOr(InputLayout fallback) {
        return layout == null ? fallback : layout;
    }

    public InputType inputType() {
        return inputType;
    }

    /** Training images for calibrating full-integer quantization (null when not needed). */
    public ImageSet representative() {
        return representative;
    }

    public String author() {
        return author;
    }

    public String version() {
        return version;
    }

    /** Settings; all optional. */
    public static final class Builder {
        private Quantization quantization = Quantization.FLOAT32;
        private InputLayout layout;
        private InputType inputType = InputType.FLOAT32;
        private ImageSet representative;
        private String author = "Digits";
        private String version = "1";

        public Builder quantization(Quantization q) {
            this.quantization = q;
            return this;
        }

        public Builder layout(InputLayout l) {
            this.layout = l;
            return this;
        }

        public Builder inputType(InputType t) {
            this.inputType = t;
            return this;
        }

        public Builder representative(ImageSet images) {
            this.representative = images;
            return this;
        }

        public Builder author(String a) {
            this.author = a;
            return this;
        }

        public Builder version(String v) {
            this.version = v;
            return this;
        }

        /** Checks combinations: integer input types need a matching quantization, INT8 needs full-integer. */
        public ExportOptions build() {
            if (inputType == InputType.INT8 && quantization != Quantization.FULL_INT8) {
                throw new InvalidInputException("int8 input needs --quantize int8 (full-integer quantization)");
            }
            if (quantization == Quantization.FULL_INT8 && representative == null) {
                throw new InvalidInputException("full-integer quantization needs representative training images for calibration");
            }
            return new ExportOptions(this);
        }
    }
}
