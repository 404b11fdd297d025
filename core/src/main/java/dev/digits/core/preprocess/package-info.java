/**
 * Preprocessing of drawings and photos into MNIST form, identical in Java and in the browser's JavaScript.
 *
 * <p>{@link dev.digits.core.preprocess.DigitPreprocessor} documents the algorithm step by step;
 * {@link dev.digits.core.preprocess.PreprocessedDigit} is its result. Decoding image files is left to the platform
 * (ImageIO on the server, BitmapFactory on Android, a canvas in the browser): this package starts from pixels.
 */
package dev.digits.core.preprocess;
