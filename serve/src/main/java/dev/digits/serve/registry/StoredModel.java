package dev.digits.serve.registry;

import java.util.Collections;
import java.util.List;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** A model of the registry: its versions and which one is the latest. Immutable; the registry swaps whole values. */
public final class StoredModel {
    private final String name;
    private final NavigableMap<Integer, StoredVersion> versions;
    private final int latest;

    StoredModel(String name, NavigableMap<Integer, StoredVersion> versions, int latest) {
        if (!versions.containsKey(latest)) {
            throw new IllegalArgumentException(name + " has no version " + latest);
        }
        this.name = name;
        this.versions = Collections.unmodifiableNavigableMap(new TreeMap<>(versions));
        this.latest = latest;
    }

    public String name() {
        return name;
    }

    /** Versions in ascending order. */
    public List<StoredVersion> versions() {
        return List.copyOf(versions.values());
    }

    /** The number of the version served when a request names none. */
    public int latest() {
        return latest;
    }

    public StoredVersion latestVersion() {
        return versions.get(latest);
    }

    /** The highest version number (not necessarily the latest after a rollback). */
    /** Whether version {@code number} exists. */
    public boolean has(int number) {
        return versions.containsKey(number);
    }

    public int highest() {
        return versions.lastKey();
    }

    /**
     * A version by number.
     *
     * @throws UnknownModelException listing the versions there are
     */
    public StoredVersion version(int version) {
        StoredVersion v = versions.get(version);
        if (v == null) {
            throw new UnknownModelException("model '" + name + "' has no version " + version + "; its versions are "
                    + versions.keySet().stream().map(String::valueOf).collect(Collectors.joining(", ")));
        }
        return v;
    }

    /** The highest version below {@code version}, or null. */
    public StoredVersion before(int version) {
        java.util.Map.Entry<Integer, StoredVersion> e = versions.lowerEntry(version);
        return e == null ? null : e.getValue();
    }

    StoredModel with(StoredVersion v) {
        NavigableMap<Integer, StoredVersion> m = new TreeMap<>(versions);
        m.put(v.version(), v);
        return new StoredModel(name, m, latest);
    }

    StoredModel withLatest(int version) {
        return new StoredModel(name, versions, version);
    }
}
