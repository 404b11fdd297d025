package dev.digits.core.artifact;

/** The version of Digits that wrote a file: recorded in cards, manifests and every exported file's metadata. */
public final class DigitsVersion {
    private DigitsVersion() {
    }

    /** This build's version, from the jar manifest ("dev" when run from classes). */
    public static String current() {
        String v = DigitsVersion.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }
}
