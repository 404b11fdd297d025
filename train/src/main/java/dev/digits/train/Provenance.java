package dev.digits.train;

import ai.djl.engine.Engine;

import java.util.LinkedHashMap;
import java.util.Map;

/** Where a model came from, software-wise: written into every model card and carried into the exports. */
public final class Provenance {
    private Provenance() {
    }

    /** Digits, DJL, PyTorch, Java, OS and CPU versions of this process. */
    public static Map<String, Object> current() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("digits", version());
        m.put("djl", Engine.getDjlVersion());
        m.put("engine", "PyTorch " + Engines.pytorch().getVersion());
        m.put("java", System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        m.put("cpus", Runtime.getRuntime().availableProcessors());
        return m;
    }

    /** The engine that trains and runs networks in this module, e.g. {@code DJL 0.35.1 / PyTorch 2.7.1}. */
    public static String engine() {
        return "DJL " + Engine.getDjlVersion() + " / PyTorch " + Engines.pytorch().getVersion();
    }

    /** This build's version, from the jar manifest ("dev" when run from classes). */
    public static String version() {
        String v = Provenance.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
