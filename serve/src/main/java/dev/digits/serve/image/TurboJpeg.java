package dev.digits.serve.image;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * libjpeg-turbo's TurboJPEG, when the machine has it: JPEGs decoded in the DCT domain at a fraction of their size
 * (a 1600&times;1200 photo at 3/8 computes 600&times;450 pixels from reduced inverse DCTs) and straight to grey, from
 * the luma channel alone, so that the colour channels are never transformed or upsampled. The JDK's decoder, even
 * subsampling, runs the full inverse DCT and colour conversion of every block first.
 *
 * <p>TurboJPEG is optional. Its Java binding is Debian's {@code libturbojpeg-java} ({@value #DEFAULT_JAR}), whose
 * native part is the library itself, found as {@code libturbojpeg.so} ({@code libturbojpeg0-dev} provides that
 * name). Without them {@link #load} says why and the server decodes JPEGs with ImageIO as before. The binding is
 * reached through method handles so that the server builds and runs where it is absent; the system property
 * {@value #JAR_PROPERTY} names another jar, or {@code off} to leave TurboJPEG unused.
 *
 * <p>A decompressor is not thread-safe; each thread keeps its own.
 */
final class TurboJpeg {
    /** Where Debian's libturbojpeg-java installs the binding. */
    static final String DEFAULT_JAR = "/usr/share/java/turbojpeg.jar";
    /** System property naming the binding's jar, or {@code off}. */
    static final String JAR_PROPERTY = "digits.turbojpeg.jar";

    private static final String DECOMPRESSOR = "org.libjpegturbo.turbojpeg.TJDecompressor";

    private final MethodHandle create;
    private final MethodHandle setSource;
    private final MethodHandle width;
    private final MethodHandle height;
    private final MethodHandle decompress;
    private final int grayFormat;
    private final ThreadLocal<Object> decompressors;

    /** A JPEG's size as its header gives it. */
    static final class Size {
        final int width;
        final int height;

        Size(int width, int height) {
            this.width = width;
            this.height = height;
        }
    }

    /** What {@link #load} found: TurboJPEG, or why not. */
    static final class Loaded {
        final TurboJpeg turbo;
        final String why;

        private Loaded(TurboJpeg turbo, String why) {
            this.turbo = turbo;
            this.why = why;
        }
    }

    private TurboJpeg(Class<?> type, int grayFormat) throws ReflectiveOperationException {
        MethodHandles.Lookup lookup = MethodHandles.publicLookup();
        create = lookup.findConstructor(type, MethodType.methodType(void.class));
        setSource = lookup.findVirtual(type, "setSourceImage", MethodType.methodType(void.class, byte[].class, int.class));
        width = lookup.findVirtual(type, "getWidth", MethodType.methodType(int.class));
        height = lookup.findVirtual(type, "getHeight", MethodType.methodType(int.class));
        decompress = lookup.findVirtual(type, "decompress", MethodType.methodType(void.class, byte[].class, int.class,
                int.class, int.class, int.class, int.class, int.class, int.class));
        this.grayFormat = grayFormat;
        decompressors = ThreadLocal.withInitial(() -> {
            try {
                return create.invoke();
            } catch (Throwable e) {
                throw new IllegalStateException("TurboJPEG could not make a decompressor: " + e, e);
            }
        });
    }

    /**
     * TurboJPEG from the class path, else from {@value #JAR_PROPERTY} or {@value #DEFAULT_JAR}, with its native
     * library; or the reason it is not available.
     */
    static Loaded load() {
        String jar = System.getProperty(JAR_PROPERTY, DEFAULT_JAR);
        if ("off".equals(jar)) return new Loaded(null, JAR_PROPERTY + " is off");
        try {
            Class<?> type;
            try {
                type = Class.forName(DECOMPRESSOR, true, TurboJpeg.class.getClassLoader());
            } catch (ClassNotFoundException notOnClassPath) {
                Path path = Path.of(jar);
                if (!Files.isRegularFile(path)) {
                    return new Loaded(null, "no TurboJPEG binding at " + jar + " (Debian: libturbojpeg-java)");
                }
                ClassLoader loader = new URLClassLoader(new URL[] {path.toUri().toURL()},
                        TurboJpeg.class.getClassLoader());
                type = Class.forName(DECOMPRESSOR, true, loader);
            }
            Class<?> tj = Class.forName("org.libjpegturbo.turbojpeg.TJ", true, type.getClassLoader());
            TurboJpeg turbo = new TurboJpeg(type, tj.getField("PF_GRAY").getInt(null));
            turbo.decompressors.get();
            return new Loaded(turbo, null);
        } catch (LinkageError e) {
            return new Loaded(null, "TurboJPEG's native library did not load (" + e.getMessage()
                    + "; Debian: libturbojpeg0-dev)");
        } catch (Exception e) {
            return new Loaded(null, "TurboJPEG is not usable: " + e);
        }
    }

    /**
     * Reads the header of {@code jpeg} into this thread's decompressor.
     *
     * @throws UnreadableImageException when TurboJPEG cannot read the header
     */
    Size header(byte[] jpeg, String source) {
        Object d = decompressors.get();
        try {
            setSource.invoke(d, jpeg, jpeg.length);
            return new Size((int) width.invoke(d), (int) height.invoke(d));
        } catch (Throwable e) {
            throw failure(source, e);
        }
    }

    /**
     * The smallest of the scales 1/8, 1/4, 1/2 and 1 at which the image's longer side keeps at least {@code side} pixels,
     * as {scaled width, scaled height} (rounded up, as libjpeg scales); full size when the image is no larger.
     * Handing these to {@link #decodeGrey} makes TurboJPEG pick that scale: it takes the largest factor whose size
     * fits the one asked for.
     */
    static int[] scaledSize(Size size, int side) {
        int n = 1;
        while (n < 8 && (long) Math.max(size.width, size.height) * n < 8L * side) n *= 2;
        return new int[] {(int) (((long) size.width * n + 7) / 8), (int) (((long) size.height * n + 7) / 8)};
    }

    /**
     * Decodes the JPEG last given to {@link #header} on this thread to {@code w × h} grey levels (a size from
     * {@link #scaledSize}).
     *
     * @throws UnreadableImageException when the data is damaged
     */
    byte[] decodeGrey(int w, int h, String source) {
        Object d = decompressors.get();
        byte[] grey = new byte[w * h];
        try {
            decompress.invoke(d, grey, 0, 0, w, w, h, grayFormat, 0);
        } catch (Throwable e) {
            throw failure(source, e);
        }
        return grey;
    }

    private static RuntimeException failure(String source, Throwable e) {
        if (e instanceof Error) throw (Error) e;
        return new UnreadableImageException(source + " could not be decoded as JPEG: " + e.getMessage());
    }
}
