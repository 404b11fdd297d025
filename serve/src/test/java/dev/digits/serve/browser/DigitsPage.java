package dev.digits.serve.browser;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.CDPSession;
import com.microsoft.playwright.Mouse;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.BoundingBox;

import java.nio.file.Path;
import java.util.List;

/** The web app as a user sees it: a pad to draw on, the buttons, the mode switch and the result. */
final class DigitsPage {
    /** The pad's drawing resolution (its canvas width attribute). */
    private static final double PAD = 280;

    private final Page page;

    private DigitsPage(Page page) {
        this.page = page;
    }

    /** Opens the app at {@code url} and waits until the model picker has been filled from the server. */
    static DigitsPage open(BrowserContext context, String url) {
        Page page = context.newPage();
        page.navigate(url);
        DigitsPage app = new DigitsPage(page);
        app.awaitModels();
        return app;
    }

    Page page() {
        return page;
    }

    void awaitModels() {
        page.waitForFunction("() => !document.getElementById('model').disabled");
    }

    /** Draws with the mouse: Pointer Events with pointerType "mouse", as a desktop user makes them. */
    void draw(PenStrokes pen) {
        BoundingBox box = page.locator("#pad").boundingBox();
        double scale = box.width / PAD;
        Mouse mouse = page.mouse();
        for (List<double[]> stroke : pen.strokes()) {
            double[] first = stroke.get(0);
            mouse.move(box.x + first[0] * scale, box.y + first[1] * scale);
            mouse.down();
            for (double[] p : stroke.subList(1, stroke.size())) {
                mouse.move(box.x + p[0] * scale, box.y + p[1] * scale, new Mouse.MoveOptions().setSteps(6));
            }
            mouse.up();
        }
    }

    /**
     * Draws with a finger: touch events through the DevTools protocol, which Chromium turns into Pointer Events with
     * pointerType "touch", as on a phone.
     */
    void drawWithFinger(PenStrokes pen) {
        BoundingBox box = page.locator("#pad").boundingBox();
        double scale = box.width / PAD;
        CDPSession devtools = page.context().newCDPSession(page);
        try {
            for (List<double[]> stroke : pen.strokes()) {
                double[] last = stroke.get(0);
                touch(devtools, "touchStart", box, scale, last);
                for (double[] p : stroke.subList(1, stroke.size())) {
                    for (int step = 1; step <= 6; step++) {
                        double t = step / 6.0;
                        touch(devtools, "touchMove", box, scale,
                                new double[] {last[0] + (p[0] - last[0]) * t, last[1] + (p[1] - last[1]) * t});
                    }
                    last = p;
                }
                JsonObject end = new JsonObject();
                end.addProperty("type", "touchEnd");
                end.add("touchPoints", new JsonArray());
                devtools.send("Input.dispatchTouchEvent", end);
            }
        } finally {
            devtools.detach();
        }
    }

    private static void touch(CDPSession devtools, String type, BoundingBox box, double scale, double[] at) {
        JsonObject point = new JsonObject();
        point.addProperty("x", box.x + at[0] * scale);
        point.addProperty("y", box.y + at[1] * scale);
        JsonArray points = new JsonArray();
        points.add(point);
        JsonObject event = new JsonObject();
        event.addProperty("type", type);
        event.add("touchPoints", points);
        devtools.send("Input.dispatchTouchEvent", event);
    }

    /** Presses Detect and returns the digit shown once the answer has arrived. */
    String detect() {
        int before = shown();
        page.locator("#detect").click();
        return awaitResult(before);
    }

    /** Presses Enter on the focused pad, the keyboard way of pressing Detect. */
    String detectWithKeyboard() {
        int before = shown();
        page.locator("#pad").focus();
        page.keyboard().press("Enter");
        return awaitResult(before);
    }

    private String awaitResult(int before) {
        page.waitForFunction("n => Number(document.getElementById('result').dataset.shown) > n"
                + " || document.getElementById('status').classList.contains('error')", before);
        String error = errorShown();
        if (error != null) throw new AssertionError("the page shows an error: " + error);
        return digitShown();
    }

    void clear() {
        page.locator("#clear").click();
    }

    void upload(Path image) {
        int before = shown();
        page.locator("#upload").setInputFiles(image);
        awaitResult(before);
    }

    /** Switches to On device and waits until the model runs in the page. */
    void useOnDevice() {
        page.locator("label[for=mode-device]").click();
        awaitDeviceModel();
    }

    /** Waits until the page has loaded the chosen model (in On-device mode). */
    void awaitDeviceModel() {
        page.waitForFunction("() => ['ready', 'failed'].includes(document.getElementById('status').dataset.device)");
        String error = errorShown();
        if (error != null) throw new AssertionError("the model did not load into the page: " + error);
    }

    /** Waits until the service worker controls the page, i.e. the app shell is cached for offline use. */
    void awaitOfflineSupport() {
        page.waitForFunction("() => navigator.serviceWorker && navigator.serviceWorker.controller !== null");
    }

    void useServer() {
        page.locator("label[for=mode-server]").click();
    }

    /** "server" or "device": where the shown result was computed. */
    String ranOn() {
        return page.locator("#result").getAttribute("data-source");
    }

    /** The result's label as shown, "–" when there is none. */
    String digitShown() {
        return page.locator("#digit").textContent().trim();
    }

    /** The probabilities of the shown result, in class order. */
    List<Double> probabilities() {
        @SuppressWarnings("unchecked")
        List<Number> p = (List<Number>) page.evaluate(
                "() => JSON.parse(document.getElementById('result').dataset.probabilities || '[]')");
        return p.stream().map(Number::doubleValue).toList();
    }

    /**
     * The largest probability difference from the float32 model that the verification of the file running in the page
     * measured (the page's {@code data-device-model}).
     */
    double deviceModelMaxDifference() {
        Object d = page.evaluate("() => JSON.parse(document.getElementById('status').dataset.deviceModel).maxDifference");
        return ((Number) d).doubleValue();
    }

    String status() {
        return page.locator("#status").textContent();
    }

    String probabilityText() {
        return page.locator("#probability").textContent();
    }

    String inferenceText() {
        return page.locator("#inference").textContent();
    }

    private int shown() {
        String n = page.locator("#result").getAttribute("data-shown");
        return n == null ? 0 : Integer.parseInt(n);
    }

    private String errorShown() {
        boolean error = (Boolean) page.evaluate("() => document.getElementById('status').classList.contains('error')");
        return error ? status() : null;
    }
}
