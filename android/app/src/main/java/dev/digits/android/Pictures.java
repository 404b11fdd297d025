package dev.digits.android;

import android.content.ContentResolver;
import android.graphics.Bitmap;
import android.graphics.BitmapFactory;
import android.graphics.Matrix;
import android.media.ExifInterface;
import android.net.Uri;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Pictures from the gallery or the camera, turned into the ARGB pixels core's preprocessing takes. This is the only
 * place the app handles image files; everything after {@link #argb(Bitmap)} is plain Java shared with the server.
 */
final class Pictures {
    /**
     * Longest side a picture is decoded at. A digit needs far fewer pixels; the limit keeps a 50-megapixel photo
     * from exhausting memory and the preprocessing fast.
     */
    static final int MAX_SIDE = 1024;

    private Pictures() {
    }

    /**
     * Decodes a picture, subsampled so that neither side exceeds about {@link #MAX_SIDE}, and upright according to
     * its EXIF orientation (phone photos are often stored sideways).
     *
     * @throws IOException naming the problem when the content is missing or not an image Android can decode
     */
    static Bitmap decode(ContentResolver resolver, Uri uri) throws IOException {
        BitmapFactory.Options bounds = new BitmapFactory.Options();
        bounds.inJustDecodeBounds = true;
        try (InputStream in = open(resolver, uri)) {
            BitmapFactory.decodeStream(in, null, bounds);
        }
        if (bounds.outWidth <= 0 || bounds.outHeight <= 0) {
            throw new IOException("the chosen file is not a picture Android can decode (PNG, JPEG, GIF, BMP, WebP)");
        }
        // Dimensions are known before any pixel is decoded: subsample by powers of two down to about MAX_SIDE.
        int sample = 1;
        while (Math.max(bounds.outWidth, bounds.outHeight) / (sample * 2) >= MAX_SIDE) sample *= 2;
        BitmapFactory.Options options = new BitmapFactory.Options();
        options.inSampleSize = sample;
        options.inPreferredConfig = Bitmap.Config.ARGB_8888;
        Bitmap bitmap;
        try (InputStream in = open(resolver, uri)) {
            bitmap = BitmapFactory.decodeStream(in, null, options);
        }
        if (bitmap == null) {
            throw new IOException("the chosen picture could not be decoded");
        }
        return upright(bitmap, orientation(resolver, uri));
    }

    private static InputStream open(ContentResolver resolver, Uri uri) throws IOException {
        InputStream in = resolver.openInputStream(uri);
        if (in == null) throw new IOException("the picture " + uri + " cannot be opened");
        return in;
    }

    private static int orientation(ContentResolver resolver, Uri uri) {
        try (InputStream in = open(resolver, uri)) {
            return new ExifInterface(in).getAttributeInt(ExifInterface.TAG_ORIENTATION,
                    ExifInterface.ORIENTATION_NORMAL);
        } catch (IOException | RuntimeException e) {
            // No or unreadable EXIF (PNG, screenshots): the picture is taken as stored.
            return ExifInterface.ORIENTATION_NORMAL;
        }
    }

    private static Bitmap upright(Bitmap bitmap, int orientation) {
        int degrees;
        switch (orientation) {
            case ExifInterface.ORIENTATION_ROTATE_90:
                degrees = 90;
                break;
            case ExifInterface.ORIENTATION_ROTATE_180:
                degrees = 180;
                break;
            case ExifInterface.ORIENTATION_ROTATE_270:
                degrees = 270;
                break;
            default:
                return bitmap;
        }
        Matrix m = new Matrix();
        m.postRotate(degrees);
        Bitmap rotated = Bitmap.createBitmap(bitmap, 0, 0, bitmap.getWidth(), bitmap.getHeight(), m, true);
        if (rotated != bitmap) bitmap.recycle();
        return rotated;
    }

    /** The pixels as {@code 0xAARRGGBB} ints, row-major: the layout core's preprocessing takes. */
    static int[] argb(Bitmap bitmap) {
        Bitmap source = bitmap.getConfig() == Bitmap.Config.ARGB_8888 ? bitmap
                : bitmap.copy(Bitmap.Config.ARGB_8888, false);
        int w = source.getWidth();
        int h = source.getHeight();
        int[] pixels = new int[w * h];
        source.getPixels(pixels, 0, w, 0, 0, w, h);
        if (source != bitmap) source.recycle();
        return pixels;
    }

    /** The picture as PNG bytes, for the server to decode and preprocess itself. */
    static byte[] png(Bitmap bitmap) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        bitmap.compress(Bitmap.CompressFormat.PNG, 100, out);
        return out.toByteArray();
    }

    /** A 28&times;28 grey picture of what the model sees, for the preview beside the result. */
    static Bitmap mnistPreview(float[] pixels) {
        int[] argb = new int[pixels.length];
        for (int i = 0; i < pixels.length; i++) {
            int v = Math.round(Math.max(0f, Math.min(1f, pixels[i])) * 255f);
            argb[i] = 0xFF000000 | (v << 16) | (v << 8) | v;
        }
        return Bitmap.createBitmap(argb, 28, 28, Bitmap.Config.ARGB_8888);
    }
}
