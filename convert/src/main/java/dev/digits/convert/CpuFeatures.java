package dev.digits.convert;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The processor that ran a verification: its model name and the SIMD features that change what integer kernels
 * compute or how fast (AVX2 without VNNI saturates ONNX Runtime's u8×s8 kernels, VNNI does not; ARM's dot-product
 * instructions are exact). A report made elsewhere is read knowing what its numbers prove.
 */
public final class CpuFeatures {
    /** Features that pick different integer or float kernels in ONNX Runtime, TFLite and PyTorch. */
    private static final List<String> RELEVANT = List.of(
            "sse4_1", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512_vnni", "avx_vnni",
            "avx512_bf16", "amx_int8", "asimd", "asimddp", "i8mm", "fphp", "sve");

    private final String model;
    private final Set<String> features;

    private CpuFeatures(String model, Set<String> features) {
        this.model = model;
        this.features = features;
    }

    /** This machine's processor, read from {@code /proc/cpuinfo} where there is one (Linux, Android). */
    public static CpuFeatures ofThisMachine() {
        Path info = Path.of("/proc/cpuinfo");
        try {
            if (Files.isReadable(info)) return parse(Files.readString(info, StandardCharsets.UTF_8));
        } catch (IOException e) {
            // Fall through: the architecture is still known.
        }
        return new CpuFeatures(System.getProperty("os.arch"), new TreeSet<>());
    }

    /** Parses the text of {@code /proc/cpuinfo}: the first processor's model and flags (x86) or features (ARM). */
    static CpuFeatures parse(String cpuinfo) {
        String model = null;
        Set<String> present = new TreeSet<>();
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) continue;
            String key = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            if (model == null && (key.equals("model name") || key.equals("hardware") || key.equals("cpu model"))) model = value;
            if (present.isEmpty() && (key.equals("flags") || key.equals("features"))) {
                for (String f : value.split("\\s+")) if (RELEVANT.contains(f)) present.add(f);
            }
        }
        return new CpuFeatures(model != null ? model : System.getProperty("os.arch"), present);
    }

    /** The processor's model name, e.g. {@code AMD EPYC}. */
    public String model() {
        return model;
    }

    /** The relevant SIMD features present, in a fixed order. */
    public List<String> features() {
        List<String> out = new ArrayList<>();
        for (String f : RELEVANT) if (features.contains(f)) out.add(f);
        return out;
    }

    /** Whether the CPU has an 8-bit dot product that adds into 32 bits without saturating (VNNI, ARM dot product). */
    public boolean hasExactInt8DotProduct() {
        return features.contains("avx512_vnni") || features.contains("avx_vnni") || features.contains("asimddp");
    }

    /** Model, architecture and features, as reports store them. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model", model);
        m.put("arch", System.getProperty("os.arch"));
        m.put("simd", features());
        return m;
    }

    @Override
    public String toString() {
        return model + " (" + System.getProperty("os.arch") + (features.isEmpty() ? "" : ": " + String.join(" ", features())) + ")";
    }
}
