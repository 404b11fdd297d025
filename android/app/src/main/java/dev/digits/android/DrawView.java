package dev.digits.android;

import android.content.Context;
import android.graphics.Bitmap;
import android.graphics.Canvas;
import android.graphics.Color;
import android.graphics.Paint;
import android.graphics.Path;
import android.os.Bundle;
import android.view.MotionEvent;
import android.view.View;

import java.util.Arrays;

/**
 * A square drawing pad: white strokes on black, as in the seed app and the web app. Strokes are kept in the
 * coordinates of a 280&times;280 pad with a 20-pixel pen, whatever the view's size on screen, so the picture handed to
 * the preprocessing is the same as the web app's canvas for the same gesture.
 */
public final class DrawView extends View {
    /** Side of the pad in pad pixels (ten times MNIST's 28). */
    public static final int PAD_SIZE = 280;
    /** Pen width in pad pixels. */
    public static final float STROKE_WIDTH = 20f;

    private static final String STATE_POINTS = "points";
    private static final String STATE_STARTS = "strokeStarts";

    private final Path path = new Path();
    private final Paint pen = new Paint(Paint.ANTI_ALIAS_FLAG);
    private float lastX;
    private float lastY;
    private boolean empty = true;
    // The touch points in pad pixels (x, y, x, y, ...) and where each stroke begins in them: enough to draw the path
    // again after Android recreates the activity (the Path itself cannot be saved).
    private float[] points = new float[256];
    private int pointCount;
    private int[] strokeStarts = new int[16];
    private int strokeCount;

    public DrawView(Context context) {
        super(context);
        pen.setColor(Color.WHITE);
        pen.setStyle(Paint.Style.STROKE);
        pen.setStrokeWidth(STROKE_WIDTH);
        pen.setStrokeCap(Paint.Cap.ROUND);
        pen.setStrokeJoin(Paint.Join.ROUND);
        setBackgroundColor(Color.BLACK);
        setContentDescription("Drawing pad: draw one digit with your finger");
    }

    @Override
    protected void onMeasure(int widthMeasureSpec, int heightMeasureSpec) {
        // Square: the smaller of the space offered in each direction.
        int w = MeasureSpec.getSize(widthMeasureSpec);
        int h = MeasureSpec.getSize(heightMeasureSpec);
        int side = MeasureSpec.getMode(heightMeasureSpec) == MeasureSpec.UNSPECIFIED ? w : Math.min(w, h);
        setMeasuredDimension(side, side);
    }

    private float scale() {
        return getWidth() == 0 ? 1f : getWidth() / (float) PAD_SIZE;
    }

    @Override
    public boolean onTouchEvent(MotionEvent event) {
        float s = scale();
        float x = event.getX() / s;
        float y = event.getY() / s;
        switch (event.getActionMasked()) {
            case MotionEvent.ACTION_DOWN:
                getParent().requestDisallowInterceptTouchEvent(true);
                startStroke(x, y);
                break;
            case MotionEvent.ACTION_MOVE:
                for (int i = 0; i < event.getHistorySize(); i++) {
                    lineTo(event.getHistoricalX(i) / s, event.getHistoricalY(i) / s);
                }
                lineTo(x, y);
                break;
            case MotionEvent.ACTION_UP:
                lineTo(x, y);
                performClick();
                break;
            default:
                return false;
        }
        invalidate();
        return true;
    }

    @Override
    public boolean performClick() {
        return super.performClick();
    }

    private void startStroke(float x, float y) {
        if (strokeCount == strokeStarts.length) strokeStarts = Arrays.copyOf(strokeStarts, 2 * strokeCount);
        strokeStarts[strokeCount++] = pointCount;
        record(x, y);
        path.moveTo(x, y);
        // A tap alone draws a dot: a zero-length segment with round caps.
        path.lineTo(x + 0.1f, y);
        lastX = x;
        lastY = y;
        empty = false;
    }

    private void lineTo(float x, float y) {
        record(x, y);
        // Quadratic segments through the midpoints keep fast strokes smooth.
        path.quadTo(lastX, lastY, (x + lastX) / 2, (y + lastY) / 2);
        lastX = x;
        lastY = y;
    }

    private void record(float x, float y) {
        if (pointCount + 2 > points.length) points = Arrays.copyOf(points, 2 * points.length);
        points[pointCount++] = x;
        points[pointCount++] = y;
    }

    /** The drawing, for {@code Activity.onSaveInstanceState}: the pad's strokes survive the activity's recreation. */
    Bundle saveDrawing() {
        Bundle state = new Bundle();
        state.putFloatArray(STATE_POINTS, Arrays.copyOf(points, pointCount));
        state.putIntArray(STATE_STARTS, Arrays.copyOf(strokeStarts, strokeCount));
        return state;
    }

    /** Draws again what {@link #saveDrawing()} saved, stroke by stroke, as the finger drew it. */
    void restoreDrawing(Bundle state) {
        clear();
        float[] saved = state == null ? null : state.getFloatArray(STATE_POINTS);
        int[] starts = state == null ? null : state.getIntArray(STATE_STARTS);
        if (saved == null || starts == null) return;
        for (int s = 0; s < starts.length; s++) {
            int from = starts[s];
            int to = s + 1 < starts.length ? starts[s + 1] : saved.length;
            if (from < 0 || to > saved.length || to - from < 2) continue;
            startStroke(saved[from], saved[from + 1]);
            for (int i = from + 2; i + 1 < to; i += 2) lineTo(saved[i], saved[i + 1]);
        }
        invalidate();
    }

    @Override
    protected void onDraw(Canvas canvas) {
        super.onDraw(canvas);
        canvas.save();
        float s = scale();
        canvas.scale(s, s);
        canvas.drawPath(path, pen);
        canvas.restore();
    }

    /** Whether nothing has been drawn since the last {@link #clear()}. */
    public boolean isEmpty() {
        return empty;
    }

    /** Erases the drawing. */
    public void clear() {
        path.reset();
        pointCount = 0;
        strokeCount = 0;
        empty = true;
        invalidate();
    }

    /**
     * The drawing as {@code PAD_SIZE x PAD_SIZE} ARGB pixels ({@code Bitmap.getPixels} layout), the input core's
     * {@link dev.digits.core.preprocess.DigitPreprocessor#process(int[], int, int)} takes.
     */
    public int[] padPixels() {
        Bitmap bitmap = Bitmap.createBitmap(PAD_SIZE, PAD_SIZE, Bitmap.Config.ARGB_8888);
        try {
            Canvas canvas = new Canvas(bitmap);
            canvas.drawColor(Color.BLACK);
            canvas.drawPath(path, pen);
            int[] argb = new int[PAD_SIZE * PAD_SIZE];
            bitmap.getPixels(argb, 0, PAD_SIZE, 0, 0, PAD_SIZE, PAD_SIZE);
            return argb;
        } finally {
            bitmap.recycle();
        }
    }
}
