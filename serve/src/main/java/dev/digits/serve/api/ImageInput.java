package dev.digits.serve.api;

/**
 * One image of a prediction request as the client sent it: either an encoded image file or 784 pixel values already
 * in MNIST form.
 */
final class ImageInput {
    /** How to name this image in messages: {@code image}, {@code images[2]}, {@code pixels[0]}. */
    final String source;
    /** The image file's bytes, or null. */
    final byte[] encoded;
    /** 784 values in [0,1], white digit on black, or null. */
    final float[] pixels;
    /** The file name the client gave (multipart uploads), or null. */
    final String filename;

    private ImageInput(String source, byte[] encoded, float[] pixels, String filename) {
        this.source = source;
        this.encoded = encoded;
        this.pixels = pixels;
        this.filename = filename;
    }

    static ImageInput encoded(String source, byte[] bytes, String filename) {
        return new ImageInput(source, bytes, null, filename);
    }

    static ImageInput pixels(String source, float[] pixels) {
        return new ImageInput(source, null, pixels, null);
    }
}
