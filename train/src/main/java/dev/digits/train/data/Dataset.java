package dev.digits.train.data;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** A named dataset: a training split, a test split and the SHA-256 of each source file (for the model card). */
public final class Dataset {
    private final String name;
    private final ImageSet train;
    private final ImageSet test;
    private final Map<String, String> checksums;

    public Dataset(String name, ImageSet train, ImageSet test, Map<String, String> checksums) {
        this.name = name;
        this.train = train;
        this.test = test;
        this.checksums = Collections.unmodifiableMap(new LinkedHashMap<>(checksums));
    }

    public String name() {
        return name;
    }

    public ImageSet train() {
        return train;
    }

    public ImageSet test() {
        return test;
    }

    /** File name → SHA-256 of its decompressed content. */
    public Map<String, String> checksums() {
        return checksums;
    }
}
