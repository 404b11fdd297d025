import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Checks that native libraries load on devices with 16 KB memory pages, as Google Play requires of apps targeting
 * Android 15 and later: every ELF LOAD segment of every {@code .so} must be aligned to at least 16,384 bytes
 * ({@code p_align}), and a {@code .so} stored uncompressed in an APK (so that it is mapped straight from the APK)
 * must start at a multiple of 16,384 in the zip. Libraries built for 4 KB pages (p_align 0x1000) fail to load on
 * 16 KB devices.
 *
 * <p>A dependency-free program, run with the JDK's source launcher on the app's APK or AAB, on AARs, or on
 * {@code .so} files or directories of them:
 * <pre>
 *   java android/tools/PageAlignment.java app/build/outputs/apk/release/app-release.apk
 * </pre>
 * It prints one line per library and exits 0 when all pass, 1 when one fails, 2 on a usage error.
 */
public final class PageAlignment {
    /** The page size libraries must be aligned to. */
    public static final long PAGE = 16_384;

    private PageAlignment() {
    }

    /** One native library checked: where it is, its smallest LOAD alignment, and why it fails (null if it passes). */
    public record Result(String where, long smallestAlignment, String problem) {
        public boolean ok() {
            return problem == null;
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length == 0) {
            System.err.println("usage: java PageAlignment.java APK|AAB|AAR|SO|DIR ...");
            System.exit(2);
        }
        List<Result> results = new ArrayList<>();
        for (String a : args) results.addAll(check(Path.of(a)));
        int failed = 0;
        for (Result r : results) {
            System.out.println((r.ok() ? "ok    " : "FAIL  ") + r.where() + (r.ok() ? " (LOAD aligned to " + r.smallestAlignment() + ")"
                    : ": " + r.problem()));
            if (!r.ok()) failed++;
        }
        System.out.println(results.size() + " native libraries, " + failed + " not aligned to 16 KB pages");
        System.exit(results.isEmpty() ? 2 : failed == 0 ? 0 : 1);
    }

    /** Every native library in {@code path}: a {@code .so}, a zip (APK, AAB, AAR) or a directory of either. */
    public static List<Result> check(Path path) throws IOException {
        List<Result> out = new ArrayList<>();
        if (Files.isDirectory(path)) {
            try (Stream<Path> walk = Files.walk(path)) {
                for (Path p : (Iterable<Path>) walk.sorted()::iterator) {
                    String n = p.getFileName().toString();
                    if (Files.isRegularFile(p) && (n.endsWith(".so") || isZipName(n))) out.addAll(check(p));
                }
            }
            return out;
        }
        String name = path.getFileName().toString();
        if (isZipName(name)) {
            byte[] zip = Files.readAllBytes(path);
            try (ZipFile z = new ZipFile(path.toFile())) {
                for (ZipEntry e : z.stream().toList()) {
                    if (!e.getName().endsWith(".so")) continue;
                    byte[] so;
                    try (var in = z.getInputStream(e)) {
                        so = in.readAllBytes();
                    }
                    String where = path + "!" + e.getName();
                    Result r = elf(so, where);
                    if (r.ok() && e.getMethod() == ZipEntry.STORED) {
                        long offset = dataOffset(zip, e.getName());
                        if (offset % PAGE != 0) {
                            r = new Result(where, r.smallestAlignment(), "stored uncompressed at offset " + offset
                                    + ", not a multiple of 16384 (zipalign -P 16)");
                        }
                    }
                    out.add(r);
                }
            }
            return out;
        }
        out.add(elf(Files.readAllBytes(path), path.toString()));
        return out;
    }

    private static boolean isZipName(String n) {
        return n.endsWith(".apk") || n.endsWith(".aab") || n.endsWith(".aar") || n.endsWith(".zip");
    }

    /** The smallest {@code p_align} of the ELF file's LOAD segments. */
    static Result elf(byte[] b, String where) {
        if (b.length < 52 || b[0] != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F') {
            return new Result(where, 0, "not an ELF file");
        }
        boolean is64 = b[4] == 2;
        ByteBuffer buf = ByteBuffer.wrap(b).order(b[5] == 2 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
        long phoff = is64 ? buf.getLong(32) : buf.getInt(28) & 0xffffffffL;
        int phentsize = buf.getShort(is64 ? 54 : 42) & 0xffff;
        int phnum = buf.getShort(is64 ? 56 : 44) & 0xffff;
        long smallest = Long.MAX_VALUE;
        for (int i = 0; i < phnum; i++) {
            int at = (int) (phoff + (long) i * phentsize);
            if (at + phentsize > b.length) return new Result(where, 0, "program header " + i + " lies past the end of the file");
            if (buf.getInt(at) != 1) continue; // PT_LOAD
            long align = is64 ? buf.getLong(at + 48) : buf.getInt(at + 28) & 0xffffffffL;
            smallest = Math.min(smallest, align);
        }
        if (smallest == Long.MAX_VALUE) return new Result(where, 0, "no LOAD segment");
        return smallest >= PAGE ? new Result(where, smallest, null)
                : new Result(where, smallest, "LOAD segments aligned to 0x" + Long.toHexString(smallest)
                        + " (" + smallest + " bytes), less than 16 KB: rebuild with -Wl,-z,max-page-size=16384 or use a release that is");
    }

    /** Where the data of entry {@code name} starts in the zip: its local header's offset plus that header's length. */
    static long dataOffset(byte[] zip, String name) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(zip).order(ByteOrder.LITTLE_ENDIAN);
        int eocd = -1;
        for (int i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65_535); i--) {
            if (b.getInt(i) == 0x06054b50) {
                eocd = i;
                break;
            }
        }
        if (eocd < 0) throw new IOException("no end of central directory record");
        int entries = b.getShort(eocd + 10) & 0xffff;
        int at = b.getInt(eocd + 16);
        for (int k = 0; k < entries; k++) {
            if (b.getInt(at) != 0x02014b50) throw new IOException("broken central directory");
            int n = b.getShort(at + 28) & 0xffff;
            int extra = b.getShort(at + 30) & 0xffff;
            int comment = b.getShort(at + 32) & 0xffff;
            long local = b.getInt(at + 42) & 0xffffffffL;
            String entry = new String(zip, at + 46, n, java.nio.charset.StandardCharsets.UTF_8);
            if (entry.equals(name)) {
                int ln = b.getShort((int) local + 26) & 0xffff;
                int le = b.getShort((int) local + 28) & 0xffff;
                return local + 30 + ln + le;
            }
            at += 46 + n + extra + comment;
        }
        throw new IOException(name + " is not in the zip");
    }
}
