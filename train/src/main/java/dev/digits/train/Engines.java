package dev.digits.train;

import ai.djl.engine.Engine;

/**
 * Starts DJL's PyTorch engine the way Digits needs it: offline (the native library comes from the jar on the class
 * path, nothing is downloaded) and quiet.
 */
public final class Engines {
    private Engines() {
    }

    /** The PyTorch engine, loaded once. */
    public static synchronized Engine pytorch() {
        if (System.getProperty("ai.djl.offline") == null) System.setProperty("ai.djl.offline", "true");
        return Engine.getEngine("PyTorch");
    }

    /** Seeds PyTorch's generator (weights initialisation, dropout) for reproducible runs. */
    public static void seed(long seed) {
        pytorch().setRandomSeed((int) seed);
    }
}
