package dev.digits.convert;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The CPU line of export reports, read from {@code /proc/cpuinfo} texts of the machines Digits runs on. */
class CpuFeaturesTest {
    private static final String AVX2_EPYC = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\n"
            + "flags\t\t: fpu sse sse2 ssse3 fma sse4_1 sse4_2 avx f16c avx2 bmi2\n\nprocessor\t: 1\nmodel name\t: AMD EPYC\n"
            + "flags\t\t: fpu sse avx avx2 avx512f\n";
    private static final String VNNI_EPYC = "model name\t: AMD EPYC 9R14\nflags\t\t: sse4_1 avx avx2 fma avx512f avx512bw"
            + " avx512vl avx512_vnni avx512_bf16\n";
    private static final String ARM = "processor\t: 0\nBogoMIPS\t: 243.75\nFeatures\t: fp asimd evtstrm aes asimddp i8mm\n"
            + "CPU part\t: 0xd0c\n";

    @Test
    void anAvx2OnlyCpuIsDescribedByTheFirstProcessorAndHasNoExactInt8DotProduct() {
        CpuFeatures cpu = CpuFeatures.parse(AVX2_EPYC);
        assertEquals("AMD EPYC", cpu.model());
        assertEquals(List.of("sse4_1", "avx", "avx2", "fma", "f16c"), cpu.features());
        assertFalse(cpu.hasExactInt8DotProduct());
    }

    @Test
    void vnniAndArmDotProductsAreRecognised() {
        CpuFeatures vnni = CpuFeatures.parse(VNNI_EPYC);
        assertTrue(vnni.features().contains("avx512_vnni"), vnni.toString());
        assertTrue(vnni.hasExactInt8DotProduct());
        CpuFeatures arm = CpuFeatures.parse(ARM);
        assertEquals(List.of("asimd", "asimddp", "i8mm"), arm.features());
        assertTrue(arm.hasExactInt8DotProduct());
    }

    @Test
    void thisMachineIsDescribedInTheReport() {
        Object cpu = ExportReport.thisMachine().get("cpu");
        assertTrue(cpu instanceof java.util.Map && ((java.util.Map<?, ?>) cpu).get("model") != null, String.valueOf(cpu));
    }
}
