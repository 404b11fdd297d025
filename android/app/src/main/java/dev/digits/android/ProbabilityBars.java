package dev.digits.android;

import android.content.Context;
import android.graphics.Canvas;
import android.graphics.Color;
import android.graphics.Paint;
import android.view.View;

import java.util.Locale;

/**
 * One horizontal bar per class with its probability, as the web app shows them: the answer's bar highlighted, and,
 * when the digit check rejects the drawing, every bar grey, so the user still sees what the model made of it.
 */
public final class ProbabilityBars extends View {
    private static final int BAR_COLOUR = Color.rgb(0x9e, 0x9e, 0x9e);
    private static final int BEST_COLOUR = Color.rgb(0x19, 0x76, 0xd2);
    private static final int TRACK_COLOUR = Color.rgb(0xee, 0xee, 0xee);

    private final Paint text = new Paint(Paint.ANTI_ALIAS_FLAG);
    private final Paint fill = new Paint();
    private final float density;
    private float[] probabilities = new float[0];
    private String[] labels = new String[0];
    private int best = -1;
    // Rows the view keeps room for, shown or not: the ten digits until a model with other classes answers, so the
    // screen below does not move when the bars appear or are cleared.
    private int rows = 10;

    public ProbabilityBars(Context context) {
        super(context);
        density = context.getResources().getDisplayMetrics().density;
        text.setTextSize(12 * density);
        text.setColor(Color.DKGRAY);
        setContentDescription("No probabilities yet");
    }

    /**
     * Shows {@code probabilities}, one per class, named by its index (the digit), highlighting {@code best} (-1: none,
     * for an answer the digit check rejected).
     */
    public void show(float[] probabilities, int best) {
        this.probabilities = probabilities.clone();
        this.labels = new String[probabilities.length];
        for (int i = 0; i < probabilities.length; i++) this.labels[i] = Integer.toString(i);
        this.best = best;
        this.rows = probabilities.length;
        StringBuilder said = new StringBuilder("Probabilities: ");
        for (int i = 0; i < probabilities.length; i++) {
            if (i > 0) said.append(", ");
            said.append(this.labels[i]).append(' ').append(percent(probabilities[i]));
        }
        setContentDescription(said);
        requestLayout();
        invalidate();
    }

    /** Removes the bars (nothing was found, so the model gave no probabilities); their room stays. */
    public void clear() {
        probabilities = new float[0];
        labels = new String[0];
        best = -1;
        setContentDescription("No probabilities");
        requestLayout();
        invalidate();
    }

    /** What the bars show; empty when cleared. A copy. */
    public float[] probabilities() {
        return probabilities.clone();
    }

    /** The highlighted class, or -1. */
    public int best() {
        return best;
    }

    private float rowHeight() {
        return 18 * density;
    }

    @Override
    protected void onMeasure(int widthMeasureSpec, int heightMeasureSpec) {
        int w = MeasureSpec.getSize(widthMeasureSpec);
        setMeasuredDimension(w, Math.round(rows * rowHeight()));
    }

    @Override
    protected void onDraw(Canvas canvas) {
        float row = rowHeight();
        float labelWidth = 24 * density;
        float valueWidth = 52 * density;
        float trackWidth = Math.max(0, getWidth() - labelWidth - valueWidth);
        float baseline = (row - text.ascent() - text.descent()) / 2;
        for (int i = 0; i < probabilities.length; i++) {
            float top = i * row;
            text.setFakeBoldText(i == best);
            canvas.drawText(labels[i], 0, top + baseline, text);
            fill.setColor(TRACK_COLOUR);
            canvas.drawRect(labelWidth, top + row * 0.2f, labelWidth + trackWidth, top + row * 0.8f, fill);
            fill.setColor(i == best ? BEST_COLOUR : BAR_COLOUR);
            float p = Math.max(0f, Math.min(1f, probabilities[i]));
            canvas.drawRect(labelWidth, top + row * 0.2f, labelWidth + p * trackWidth, top + row * 0.8f, fill);
            canvas.drawText(percent(probabilities[i]), labelWidth + trackWidth + 4 * density, top + baseline, text);
        }
    }

    private static String percent(float p) {
        return String.format(Locale.ROOT, "%.1f%%", 100 * p);
    }
}
