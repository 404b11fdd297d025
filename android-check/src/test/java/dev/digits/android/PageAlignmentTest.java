package dev.digits.android;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The 16 KB page check ({@code android/tools/PageAlignment.java}) run as users run it, with the JDK's source
 * launcher: it flags the native libraries of TFLite 2.16.1 (the AARs the app's build resolves), passes libraries built
 * for 16 KB pages (ONNX Runtime's linux-aarch64 ones, 64 KB aligned), and checks where an APK stores an uncompressed
 * library.
 */
class PageAlignmentTest {
    private static final Path TOOL = Path.of("../android/tools/PageAlignment.java");

    record Run(int code, String out) {
    }

    private static Run run(Path... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), TOOL.toString()));
        for (Path a : args) cmd.add(a.toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Run(p.exitValue(), out);
    }

    @Test
    void tfliteTwoSixteenOnesLibrariesAreFlaggedForEveryAbi() throws Exception {
        Path aars = Path.of("target/tflite-android");
        Run r = run(aars.resolve("tensorflow-lite.aar"), aars.resolve("tensorflow-lite-gpu.aar"));
        assertEquals(1, r.code(), r.out());
        for (String abi : new String[] {"arm64-v8a", "armeabi-v7a", "x86", "x86_64"}) {
            for (String lib : new String[] {"libtensorflowlite_jni.so", "libtensorflowlite_gpu_jni.so"}) {
                assertTrue(r.out().contains("FAIL  ") && r.out().contains("jni/" + abi + "/" + lib + ": LOAD segments aligned to 0x1000"),
                        abi + " " + lib + ":\n" + r.out());
            }
        }
        assertTrue(r.out().contains("8 native libraries, 8 not aligned to 16 KB pages"), r.out());
    }

    @Test
    void librariesBuiltForSixteenKilobytePagesPassAndAnUnalignedStoredEntryFails(@TempDir Path tmp) throws Exception {
        Path ortJar = Path.of(ai.onnxruntime.OrtEnvironment.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        byte[] so;
        try (ZipFile z = new ZipFile(ortJar.toFile())) {
            so = z.getInputStream(z.getEntry("ai/onnxruntime/native/linux-aarch64/libonnxruntime4j_jni.so")).readAllBytes();
        }
        Path lib = tmp.resolve("libonnxruntime4j_jni.so");
        Files.write(lib, so);
        Run ok = run(lib);
        assertEquals(0, ok.code(), ok.out());
        assertTrue(ok.out().contains("LOAD aligned to 65536"), ok.out());

        // As an APK keeps it: uncompressed, at an offset the loader can map only if it is a multiple of 16 KB.
        String name = "lib/arm64-v8a/libonnxruntime4j_jni.so";
        Path unaligned = tmp.resolve("unaligned.apk");
        Files.write(unaligned, storedZip(name, so, new byte[0]));
        Run bad = run(unaligned);
        assertEquals(1, bad.code(), bad.out());
        assertTrue(bad.out().contains("stored uncompressed at offset " + (30 + name.length()) + ", not a multiple of 16384"), bad.out());

        // Padded with an extra field (as zipalign does) so that the data starts at 16,384.
        int pad = 16_384 - 30 - name.length();
        byte[] extra = new byte[pad];
        extra[0] = (byte) 0x35;
        extra[1] = (byte) 0xd9;
        extra[2] = (byte) ((pad - 4) & 0xff);
        extra[3] = (byte) ((pad - 4) >> 8);
        Path aligned = tmp.resolve("aligned.apk");
        Files.write(aligned, storedZip(name, so, extra));
        Run good = run(aligned);
        assertEquals(0, good.code(), good.out());
    }

    private static byte[] storedZip(String name, byte[] data, byte[] extra) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(out)) {
            ZipEntry e = new ZipEntry(name);
            e.setMethod(ZipEntry.STORED);
            e.setSize(data.length);
            CRC32 crc = new CRC32();
            crc.update(data);
            e.setCrc(crc.getValue());
            if (extra.length > 0) e.setExtra(extra);
            z.putNextEntry(e);
            z.write(data);
            z.closeEntry();
        }
        return out.toByteArray();
    }
}
